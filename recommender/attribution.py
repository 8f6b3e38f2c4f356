"""Last-click attribution: which click, if any, earned each add-to-cart or purchase.

A conversion counts for the latest click on the same item by the same person (the group: visitor
and item, coded as integers by the caller) that came at most ``window`` seconds before it; clicks
after the conversion never count. Pure numpy: sort the clicks by group and time, and find each
conversion's place among them with one ``searchsorted``.
"""
from __future__ import annotations

import numpy as np


def last_click(click_group: np.ndarray, click_time: np.ndarray, conversion_group: np.ndarray,
               conversion_time: np.ndarray, window: float) -> np.ndarray:
    """Per conversion, the index of the click it is attributed to, or -1."""
    click_group, click_time = np.asarray(click_group, np.int64), np.asarray(click_time, np.float64)
    conversion_group = np.asarray(conversion_group, np.int64)
    conversion_time = np.asarray(conversion_time, np.float64)
    if not len(click_group) or not len(conversion_group):
        return np.full(len(conversion_group), -1, np.int64)
    order = np.lexsort((click_time, click_group))
    groups, times = click_group[order], click_time[order]
    # the last click of the same group at or before the conversion: search (group, time) pairs
    position = _search_pairs(groups, times, conversion_group, conversion_time) - 1
    found = position >= 0
    candidate = np.where(found, position, 0)
    found &= groups[candidate] == conversion_group
    found &= conversion_time - times[candidate] <= window
    return np.where(found, order[candidate], -1)


def _search_pairs(groups: np.ndarray, times: np.ndarray, group: np.ndarray, time: np.ndarray) -> np.ndarray:
    """``searchsorted(side="right")`` over pairs sorted by (group, time): each pair becomes one
    integer, the group times the number of distinct times plus the time's rank among them."""
    distinct, ranks = np.unique(np.concatenate([times, time]), return_inverse=True)
    span = np.int64(len(distinct) + 1)
    keys = groups * span + ranks[:len(times)]
    return np.searchsorted(keys, group * span + ranks[len(times):], side="right")

"""Which click earned each add-to-cart and purchase (last click, within the window).

A conversion matches clicks on the same item by the same visitor id, or by the same customer id
(a click made before logging in, a purchase sent by the shop's back end with the customer only);
of the clicks either match finds, the latest wins.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from recommender.attribution import last_click

SEPARATOR = "\x1f"


def attribute(clicks: pd.DataFrame, conversions: pd.DataFrame, window_seconds: float) -> np.ndarray:
    """Per conversion row, the position of its click in ``clicks``, or -1."""
    best = np.full(len(conversions), -1, np.int64)
    click_times = clicks["at"].to_numpy(np.float64)
    for person in ("visitor_id", "user_id"):
        by_click = np.flatnonzero(clicks[person].notna().to_numpy())
        by_conversion = np.flatnonzero(conversions[person].notna().to_numpy())
        if not len(by_click) or not len(by_conversion):
            continue
        keys = pd.concat([_keys(clicks, person, by_click), _keys(conversions, person, by_conversion)],
                         ignore_index=True)
        codes = pd.factorize(keys)[0]
        found = last_click(codes[:len(by_click)], click_times[by_click], codes[len(by_click):],
                           conversions["at"].to_numpy(np.float64)[by_conversion], window_seconds)
        matched = found >= 0
        candidate = np.where(matched, by_click[np.where(matched, found, 0)], -1)
        current = best[by_conversion]
        later = matched & ((current < 0) | (click_times[np.maximum(candidate, 0)] > click_times[np.maximum(current, 0)]))
        best[by_conversion[later]] = candidate[later]
    return best


def _keys(frame: pd.DataFrame, person: str, rows: np.ndarray) -> pd.Series:
    part = frame.iloc[rows]
    return part[person].astype(str) + SEPARATOR + part["item_id"].astype(str)

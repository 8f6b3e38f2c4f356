"""Candidate pools and their rows for the learned re-ranker, one batch of customers at a time.

A customer's pool is the blend's best items plus each signal's own best, so an item that only
one signal likes can still reach the ranker. Each pooled item gets, per signal, its scaled score
and its rank in the pool by that signal, then the item and pair features of
:mod:`recommender.rank_features`.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from .rank_features import ITEM_FEATURES, PAIR_FEATURES, CustomerState, ItemFacts, pair_features
from .ranking import top_n


@dataclass(frozen=True)
class Pool:
    """``items[r]``: customer ``r``'s pooled items (-1 pads a short row); ``blend``: their blended
    scores; ``rows``/``cols``: the positions of the real items, row-major."""

    items: np.ndarray
    blend: np.ndarray

    @cached_property
    def _real(self) -> tuple[np.ndarray, np.ndarray]:
        return np.nonzero(self.items >= 0)

    @property
    def rows(self) -> np.ndarray:
        return self._real[0]

    @property
    def cols(self) -> np.ndarray:
        return self._real[1]

    def group_sizes(self) -> np.ndarray:
        return np.count_nonzero(self.items >= 0, axis=1)


def feature_names(signals: list[str]) -> list[str]:
    return ([f"{s}_score" for s in signals] + [f"{s}_rank" for s in signals] + ["blend_score", "blend_rank"]
            + list(ITEM_FEATURES) + list(PAIR_FEATURES))


def pool_candidates(parts: dict[str, np.ndarray], weights: dict[str, float], exclude: sp.csr_matrix | None,
                    n_blend: int, n_each: int, static: frozenset[str] = frozenset(),
                    skip: frozenset[str] = frozenset()) -> Pool:
    """The union, per row, of the blend's best ``n_blend`` and each signal's best ``n_each``
    (items in ``exclude`` never), ordered by the blend. ``static`` signals give every row the
    same scores, so their best are found once; ``skip`` signals only score, never pool (buy again
    among new items: it scores nothing but what is excluded)."""
    total = sum(w * parts[name] for name, w in weights.items() if w)
    total = np.asarray(total, dtype=np.float32)
    if exclude is not None:
        coo = sp.coo_matrix(exclude)
        total[coo.row, coo.col] = -np.inf
    lists = [top_n(total, n_blend)[0]]
    for name, scores in parts.items():
        if name in skip:
            continue
        if name in static:
            lists.append(_static_best(scores[0], n_each, exclude, len(total)))
        else:
            lists.append(top_n(np.where(np.isfinite(total), scores, -np.inf), n_each)[0])
    unique = union_rows(lists)
    blend = np.where(unique >= 0, np.take_along_axis(total, np.maximum(unique, 0), axis=1), -np.inf)
    by_blend = np.argsort(-blend, axis=1, kind="stable")
    return Pool(np.take_along_axis(unique, by_blend, axis=1), np.take_along_axis(blend, by_blend, axis=1))


def _static_best(row: np.ndarray, n: int, exclude: sp.csr_matrix | None, m: int) -> np.ndarray:
    """``m`` rows of the best ``n`` items of one shared score ``row``, each row without its own
    ``exclude`` items."""
    widest = int(np.diff(exclude.indptr).max(initial=0)) if exclude is not None else 0
    best = np.tile(top_n(row[None, :], n + widest)[0][0], (m, 1))
    if exclude is not None and widest:
        hit = np.asarray(exclude[np.arange(m)[:, None], np.maximum(best, 0)].todense()) != 0
        order = np.argsort(hit, axis=1, kind="stable")
        best = np.where(np.take_along_axis(hit, order, axis=1), -1, np.take_along_axis(best, order, axis=1))
    return best[:, :n]


def union_rows(lists: list[np.ndarray]) -> np.ndarray:
    """Per row, the distinct non-negative ids of every list, ascending, then -1 padding."""
    order = np.sort(np.hstack(lists), axis=1)
    repeated = np.zeros_like(order, dtype=bool)
    repeated[:, 1:] = order[:, 1:] == order[:, :-1]
    unique = np.where(repeated | (order < 0), -1, order)
    return np.take_along_axis(unique, np.argsort(unique < 0, axis=1, kind="stable"), axis=1)


def _rank_in_row(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """1 for each row's largest valid value, 2 for the next, …; invalid entries rank last."""
    keyed = np.where(valid, values, -np.inf)
    order = np.argsort(-keyed, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, values.shape[1] + 1)[None, :].repeat(len(values), 0), axis=1)
    return ranks


def pool_features(pool: Pool, parts: dict[str, np.ndarray], users: np.ndarray, facts: ItemFacts,
                  state: CustomerState) -> np.ndarray:
    """One row per pooled (customer, item), row-major, columns as :func:`feature_names` says."""
    valid = pool.items >= 0
    rows, cols = pool.rows, pool.cols
    items = pool.items[rows, cols]
    safe = np.maximum(pool.items, 0)
    scores = [np.take_along_axis(part, safe, axis=1) for part in parts.values()]
    ranks = [_rank_in_row(s, valid) for s in scores]
    columns = [s[rows, cols] for s in scores] + [r[rows, cols] for r in ranks]
    columns += [pool.blend[rows, cols], _rank_in_row(pool.blend, valid)[rows, cols]]
    signal_block = np.column_stack(columns).astype(np.float32)
    return np.hstack([signal_block, pair_features(users[rows], items, facts, state)])


def rerank(pool: Pool, predicted: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's best ``n`` pooled items by the ranker's ``predicted`` scores (row-major, one per
    real item) and those scores; -1 (score -inf) pads."""
    scores = np.full(pool.items.shape, -np.inf, dtype=np.float64)
    scores[pool.rows, pool.cols] = predicted
    order = np.argsort(-scores, axis=1, kind="stable")[:, :n]
    ranked = np.take_along_axis(pool.items, order, axis=1)
    best = np.take_along_axis(scores, order, axis=1)
    ranked = np.where(best > -np.inf, ranked, -1)
    if ranked.shape[1] < n:
        width = ((0, 0), (0, n - ranked.shape[1]))
        ranked, best = np.pad(ranked, width, constant_values=-1), np.pad(best, width, constant_values=-np.inf)
    return ranked, best

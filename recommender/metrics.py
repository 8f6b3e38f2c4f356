"""Offline ranking metrics over top-k recommendation lists, vectorized across users.

``recommended`` is an ``n_users × m`` (``m ≥ k``) array of item indices, best first, padded with
``-1`` when fewer than ``m`` items were recommended. ``relevant`` is an ``n_users × n_items``
sparse matrix whose nonzero entries are the held-out items of each user. Users without any
relevant item are left out of every average: no ranking can be judged for them.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

PADDING = -1


def ranking_metrics(
    recommended: np.ndarray,
    relevant: sp.spmatrix,
    k: int = 10,
    n_items: int | None = None,
) -> dict[str, float]:
    """Precision, recall, NDCG, MAP and hit rate at ``k``, averaged over users with relevant items.

    Also reports catalog coverage of all users' top-``k`` lists over ``n_items`` items
    (default: ``relevant.shape[1]``).
    """
    hits, n_relevant = _hits(recommended, relevant, k)
    judged = n_relevant > 0
    if not judged.any():
        raise ValueError("no user has a relevant item: nothing to evaluate")
    hits, n_relevant = hits[judged], n_relevant[judged]
    n_hits = hits.sum(axis=1)
    return {
        f"precision@{k}": float(np.mean(n_hits / k)),
        f"recall@{k}": float(np.mean(n_hits / n_relevant)),
        f"ndcg@{k}": float(np.mean(_ndcg(hits, n_relevant))),
        f"map@{k}": float(np.mean(_average_precision(hits, n_relevant))),
        f"hit_rate@{k}": float(np.mean(n_hits > 0)),
        f"coverage@{k}": catalog_coverage(
            np.asarray(recommended)[:, :k], relevant.shape[1] if n_items is None else n_items
        ),
    }


def per_user_ndcg(recommended: np.ndarray, relevant: sp.spmatrix, k: int = 10) -> np.ndarray:
    """NDCG@k of every user, NaN for users without relevant items.

    One entry per row keeps two models' arrays aligned for paired significance tests.
    """
    hits, n_relevant = _hits(recommended, relevant, k)
    scores = np.full(len(n_relevant), np.nan)
    judged = n_relevant > 0
    scores[judged] = _ndcg(hits[judged], n_relevant[judged])
    return scores


def catalog_coverage(recommended: np.ndarray, n_items: int) -> float:
    """Share of the ``n_items`` items that appear in at least one list (padding ignored)."""
    if n_items < 1:
        raise ValueError(f"n_items must be positive, got {n_items}")
    recommended = np.asarray(recommended)
    return np.unique(recommended[recommended != PADDING]).size / n_items


def _hits(recommended: np.ndarray, relevant: sp.spmatrix, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``(hits, n_relevant)``: an ``n_users × k`` bool matrix and each user's count of relevant items.

    Every (user, item) pair becomes the key ``user * n_items + item``; the keys of a canonical CSR
    matrix are already sorted, so one ``searchsorted`` answers all lookups at once. Padding keys
    can collide with the previous user's last item, hence the explicit padding mask.
    """
    top = _check_recommended(recommended, relevant.shape, k)
    relevant = sp.csr_matrix(relevant != 0)
    relevant.sum_duplicates()
    n_users, n_items = relevant.shape
    row_of_entry = np.repeat(np.arange(n_users, dtype=np.int64), np.diff(relevant.indptr))
    sentinel = np.iinfo(np.int64).max  # keeps every searchsorted answer a valid index
    relevant_keys = np.append(row_of_entry * n_items + relevant.indices, sentinel)
    keys = np.arange(n_users, dtype=np.int64)[:, None] * n_items + top
    found = relevant_keys[np.searchsorted(relevant_keys, keys)]
    hits = (top != PADDING) & (found == keys)
    return hits, np.diff(relevant.indptr)


def _check_recommended(recommended: np.ndarray, shape: tuple[int, int], k: int) -> np.ndarray:
    """The first ``k`` columns as int64, after checking shape, range and repeats."""
    recommended = np.asarray(recommended)
    if k < 1:
        raise ValueError(f"k must be positive, got {k}")
    if recommended.ndim != 2 or not np.issubdtype(recommended.dtype, np.integer):
        raise ValueError("recommended must be a 2-D array of integer item indices")
    if recommended.shape[0] != shape[0]:
        raise ValueError("recommended and relevant must have 1 row for every user")
    if recommended.shape[1] < k:
        raise ValueError(f"recommended has {recommended.shape[1]} columns, fewer than k={k}")
    top = recommended[:, :k].astype(np.int64)
    if top.size and (top.min() < PADDING or top.max() >= shape[1]):
        raise ValueError(f"item indices must lie in [0, {shape[1]}) or be {PADDING} for padding")
    ordered = np.sort(top, axis=1)
    if np.any((ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] != PADDING)):
        raise ValueError("an item appears twice in one user's recommendations")
    return top


def _discounts(k: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(2, k + 2))


def _ndcg(hits: np.ndarray, n_relevant: np.ndarray) -> np.ndarray:
    k = hits.shape[1]
    discounts = _discounts(k)
    ideal = np.cumsum(discounts)[np.minimum(n_relevant, k) - 1]
    return (hits @ discounts) / ideal


def _average_precision(hits: np.ndarray, n_relevant: np.ndarray) -> np.ndarray:
    k = hits.shape[1]
    precision_at_rank = np.cumsum(hits, axis=1) / np.arange(1, k + 1)
    return (precision_at_rank * hits).sum(axis=1) / np.minimum(n_relevant, k)

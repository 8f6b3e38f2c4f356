"""Top-N selection over dense score rows, with per-user exclusions."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def rows_per_batch(n_items: int, n_arrays: int = 1, budget_bytes: int = 2**28) -> int:
    """How many users to score at once so that ``n_arrays`` dense float32 rows of ``n_items`` each
    stay within ``budget_bytes`` (at least 16): 100k products must not cost 100k × 4 kB per user."""
    return max(16, budget_bytes // max(1, 4 * n_items * n_arrays))


def top_n(scores: np.ndarray, n: int, exclude: sp.csr_matrix | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Best ``n`` items per row: ``(ids, scores)``, both ``m × n``; ids are -1 where fewer remain.

    ``exclude`` marks (user, item) pairs that must not be returned (e.g. already bought).
    Ties break toward the lower item index, so results are deterministic.
    """
    scores = np.asarray(scores, dtype=np.float32)
    m, n_items = scores.shape
    if exclude is not None:
        scores = scores.copy()
        coo = sp.coo_matrix(exclude)
        scores[coo.row, coo.col] = -np.inf
    k = min(n, n_items)
    if m == 1 and 0 < n < n_items:
        return _top_of_row(scores[0], n)
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k] if k < n_items else np.tile(np.arange(n_items), (m, 1))
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -part_scores), axis=1)
    ids = np.take_along_axis(part, order, axis=1)
    best = np.take_along_axis(part_scores, order, axis=1)
    ids = np.where(np.isfinite(best), ids, -1)
    if k < n:
        ids = np.pad(ids, ((0, 0), (0, n - k)), constant_values=-1)
        best = np.pad(best, ((0, 0), (0, n - k)), constant_values=-np.inf)
    return ids.astype(np.int64), best


def _top_of_row(scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``top_n`` of a single row (a request's) with ``n`` below its length, without the 2-D
    bookkeeping. The row is negated so that the best come first: partitioning around the ``n``-th
    largest from the top end slowed tenfold when most scores tie (a sparse signal's zeros)."""
    part = np.argpartition(-scores, n - 1)[:n]
    part = part[np.lexsort((part, -scores[part]))]
    best = scores[part]
    return np.where(np.isfinite(best), part, -1)[None, :].astype(np.int64), best[None, :]

"""Co-purchase ("bought together") association rules from baskets, kept as sparse matrices.

Like LensKit's association model: co-occurrence counts turned into confidence (a conditional
probability) or lift (confidence over the partner's base rate), keeping each item's best partners.

Row ``a`` of every matrix holds the rules ``a → b``. ``counts_``, ``support_`` and ``lift_`` are
symmetric in value, ``confidence_`` is not; after the per-row ``top_k`` cut none is symmetric in
pattern. Within one row, ranking by confidence is ranking by raw co-count, so popular items win;
lift divides by the partner's popularity and favours true complements.
"""
from __future__ import annotations

import operator
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields

import numpy as np
import scipy.sparse as sp

from .errors import NotFittedError, UnknownItemError
from .history import UserHistory
from .row_products import CsrRows, Rows, dense_product

RANK_BY = ("lift", "confidence")
# Sparse products per block of item rows: bounds memory and gives threads independent work.
_BLOCK_PRODUCTS = 1 << 24
_BUCKETS = 64
# Thresholds and ranking see counts, supports and scores rounded to this many decimals: weighted
# counts summed in another order (another engine's, or another block size) differ in the last
# bits, and must still pass ``min_count`` alike, and tie and be broken by count, then id.
RANK_DECIMALS = 9
_MATRIX_KEYS = ("indptr", "indices", "counts", "support", "confidence", "lift")
_ARRAY_KEYS = (*_MATRIX_KEYS, "item_counts", "n_baskets")


@dataclass(frozen=True)
class Partners:
    """An item's partners, best first; all arrays are aligned."""

    ids: np.ndarray
    support: np.ndarray
    confidence: np.ndarray
    lift: np.ndarray
    counts: np.ndarray


@dataclass(frozen=True)
class _Rules:
    """Selected rules of a block of rows, as COO parts (``rows`` ascending)."""

    rows: np.ndarray
    cols: np.ndarray
    counts: np.ndarray
    confidence: np.ndarray
    lift: np.ndarray


class CoPurchaseModel:
    """Association rules between items bought in the same basket.

    Baskets with more than ``max_basket_size`` items count with weight ``max_basket_size / size``
    in the basket total, the item counts and the pair counts alike, so every count stays a
    (weighted) number of baskets and confidence and lift keep their meaning; a 500-line wholesale
    order weighs as much as a tenth of a basket. ``min_count`` and ``min_support`` apply to these
    weighted counts. ``num_threads=0`` uses every available core.
    """

    def __init__(
        self,
        min_count: float = 2,
        min_support: float = 0.0,
        max_basket_size: int = 50,
        top_k: int = 50,
        rank_by: str = "lift",
        num_threads: int = 0,
    ) -> None:
        self.min_count = min_count
        self.min_support = min_support
        self.max_basket_size = max_basket_size
        self.top_k = top_k
        self.rank_by = rank_by
        self.num_threads = num_threads

    def _check_params(self) -> None:
        if self.rank_by not in RANK_BY:
            raise ValueError(f"rank_by must be one of {RANK_BY}, got {self.rank_by!r}")
        if self.top_k < 1 or self.max_basket_size < 1:
            raise ValueError("top_k and max_basket_size must be at least 1")

    def fit(self, baskets: sp.csr_matrix) -> "CoPurchaseModel":
        """Learn rules from an ``n_baskets × n_items`` matrix; any positive value means "in the basket"."""
        self._check_params()
        in_basket = _binarize(baskets)
        sizes = np.diff(in_basket.indptr)
        if not sizes.any():
            raise ValueError("baskets contain no items")
        weights = np.minimum(1.0, self.max_basket_size / np.maximum(sizes, 1))
        self.n_baskets_ = float(weights[sizes > 0].sum())
        self.item_counts_ = np.bincount(
            in_basket.indices, weights=np.repeat(weights, sizes), minlength=in_basket.shape[1]
        )
        self._set_rules(self._count_and_select(self._pairable(in_basket), weights), in_basket.shape[1])
        return self

    def _count_and_select(self, pairable: sp.csr_matrix, weights: np.ndarray) -> _Rules:
        """Pair counts ``Xᵀ·diag(weights)·X`` one block of item rows at a time, each block cut to
        its rules at once, so the full co-occurrence matrix never exists. Blocks run on threads
        (scipy's sparse product releases the GIL)."""
        sizes = np.diff(pairable.indptr)
        weighted = sp.csr_matrix((np.repeat(weights, sizes), pairable.indices, pairable.indptr), shape=pairable.shape)
        item_baskets = pairable.T.tocsr()
        bounds = _row_blocks(item_baskets @ sizes.astype(np.float64))

        def block(start: int, stop: int) -> _Rules:
            return self._select(start, item_baskets[start:stop] @ weighted)

        with ThreadPoolExecutor(_threads(self.num_threads)) as pool:
            return _concat(list(pool.map(block, bounds[:-1], bounds[1:])))

    def _pairable(self, in_basket: sp.csr_matrix) -> sp.csr_matrix:
        """The entries that can be part of a kept pair: items that pass the thresholds on their own
        (a pair is never more frequent than its items), in baskets holding 2 or more of them.
        Dropping the rest (single-item orders, the long tail) only saves work."""
        frequent = self._passes(self.item_counts_)
        kept = frequent[in_basket.indices]
        per_row = np.diff(np.concatenate(([0], np.cumsum(kept)))[in_basket.indptr])
        kept &= np.repeat(per_row >= 2, np.diff(in_basket.indptr))
        indptr = np.concatenate(([0], np.cumsum(np.where(per_row >= 2, per_row, 0))))
        return sp.csr_matrix((in_basket.data[kept], in_basket.indices[kept], indptr), shape=in_basket.shape)

    def _passes(self, counts: np.ndarray) -> np.ndarray:
        """Which weighted counts reach ``min_count`` and ``min_support`` (at ``RANK_DECIMALS``)."""
        return ((np.round(counts, RANK_DECIMALS) >= round(self.min_count, RANK_DECIMALS))
                & (np.round(counts / self.n_baskets_, RANK_DECIMALS) >= round(self.min_support, RANK_DECIMALS)))

    def _select(self, start: int, pair_counts: sp.csr_matrix) -> _Rules:
        """Thresholds, metrics and the per-row ``top_k`` cut for rows ``start…`` of the pair counts."""
        rows, cols, counts = self._frequent_pairs(start, pair_counts)
        confidence = counts / self.item_counts_[rows]
        # One division of exact products: equal lifts from integer counts are equal floats, so
        # ties are broken by count and id, not by rounding.
        lift = (counts * self.n_baskets_) / (self.item_counts_[rows] * self.item_counts_[cols])
        score = lift if self.rank_by == "lift" else confidence
        few = _top_candidates(rows, score, self.top_k)
        rows, cols, counts, confidence, lift, score = (a[few] for a in (rows, cols, counts, confidence, lift, score))
        order = np.lexsort((cols, -np.round(counts, RANK_DECIMALS), -np.round(score, RANK_DECIMALS), rows))
        rank = np.arange(len(order)) - np.searchsorted(rows, rows[order])
        chosen = order[rank < self.top_k]
        chosen = chosen[np.argsort(rows[chosen] * len(self.item_counts_) + cols[chosen])]
        return _Rules(rows[chosen], cols[chosen], counts[chosen], confidence[chosen], lift[chosen])

    def _frequent_pairs(self, start: int, pair_counts: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(rows, cols, counts)`` of the off-diagonal pairs that pass ``min_count`` and ``min_support``."""
        frequent = self._passes(pair_counts.data)
        kept = np.flatnonzero(frequent)
        per_row = np.diff(np.searchsorted(kept, pair_counts.indptr))
        rows = np.repeat(np.arange(start, start + pair_counts.shape[0]), per_row)
        cols = pair_counts.indices[kept]
        off_diagonal = cols != rows
        return rows[off_diagonal], cols[off_diagonal], pair_counts.data[kept[off_diagonal]]

    def _set_rules(self, rules: _Rules, n_items: int) -> None:
        indptr = np.zeros(n_items + 1, dtype=np.int64)
        np.cumsum(np.bincount(rules.rows, minlength=n_items), out=indptr[1:])
        self._set_matrices(
            indptr, rules.cols, rules.counts, rules.counts / self.n_baskets_, rules.confidence, rules.lift
        )

    def _set_matrices(self, indptr: np.ndarray, indices: np.ndarray, *data: np.ndarray) -> None:
        """``counts_``, ``support_``, ``confidence_`` and ``lift_`` from one CSR pattern and four data arrays."""
        shape = (len(indptr) - 1,) * 2
        self.counts_, self.support_, self.confidence_, self.lift_ = (
            sp.csr_matrix((values, indices, indptr), shape=shape) for values in data
        )

    def _check_fitted(self) -> None:
        if not hasattr(self, "lift_"):
            raise NotFittedError(self)

    def _ranking(self) -> sp.csr_matrix:
        """The matrix that ranks partners and scores baskets: ``lift_`` or ``confidence_``."""
        return self.lift_ if self.rank_by == "lift" else self.confidence_

    def bought_together(self, item: int, n: int = 10) -> Partners:
        """The ``n`` best partners of ``item`` by ``rank_by`` (ties: higher count, then lower id)."""
        self._check_fitted()
        item, n_items = operator.index(item), len(self.item_counts_)
        if not 0 <= item < n_items:
            raise UnknownItemError(f"item index {item} is not in the fitted model (0..{n_items - 1})")
        if n < 0:
            raise ValueError(f"n must be at least 0, got {n}")
        part = slice(self.lift_.indptr[item], self.lift_.indptr[item + 1])
        ids, counts, score = self.lift_.indices[part], self.counts_.data[part], self._ranking().data[part]
        order = part.start + np.lexsort((ids, -counts, -score))[:n]
        return Partners(
            ids=self.lift_.indices[order],
            support=self.support_.data[order],
            confidence=self.confidence_.data[order],
            lift=self.lift_.data[order],
            counts=self.counts_.data[order],
        )

    def score_basket(self, items: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Sum of the basket items' rule scores toward every item (optionally weighted, e.g. by
        recency); the basket items themselves score 0. Returns ``n_items`` float32 scores."""
        self._check_fitted()
        items = np.asarray(items, dtype=np.int64).ravel()
        weights = np.ones(len(items)) if weights is None else np.asarray(weights, dtype=np.float64).ravel()
        if len(weights) != len(items):
            raise ValueError(f"weights must hold 1 entry for every item: {len(weights)} != {len(items)}")
        n_items = len(self.item_counts_)
        unknown = items[(items < 0) | (items >= n_items)]
        if len(unknown):
            raise UnknownItemError(f"item indices {unknown.tolist()} are not in the fitted model (0..{n_items - 1})")
        return self._scores(CsrRows(weights, items, np.array([0, len(items)]), (1, n_items)))[0]

    def score_users(self, history: UserHistory | sp.csr_matrix) -> np.ndarray:
        """``score_basket`` for many users at once: ``history`` rows are weighted recent purchases
        (a ``UserHistory`` contributes its ``purchases``). Every stored entry counts as in the
        basket and scores 0. Returns a dense ``n_users × n_items`` float32 array, so callers
        score users in batches."""
        self._check_fitted()
        baskets = history.purchases if isinstance(history, UserHistory) else _as_csr(history, "history")
        n_items = len(self.item_counts_)
        if baskets.shape[1] != n_items:
            raise ValueError(f"history must have {n_items} columns (one per item), got {baskets.shape[1]}")
        return self._scores(baskets)

    def _scores(self, baskets: Rows) -> np.ndarray:
        scores = dense_product(baskets, self._ranking())
        scores[np.repeat(np.arange(baskets.shape[0]), np.diff(baskets.indptr)), baskets.indices] = 0
        return scores

    def to_arrays(self) -> dict[str, np.ndarray]:
        self._check_fitted()
        return {
            "indptr": self.lift_.indptr,
            "indices": self.lift_.indices,
            "counts": self.counts_.data,
            "support": self.support_.data,
            "confidence": self.confidence_.data,
            "lift": self.lift_.data,
            "item_counts": self.item_counts_,
            "n_baskets": np.asarray(self.n_baskets_),
        }

    @classmethod
    def from_rules(cls, rows: np.ndarray, cols: np.ndarray, counts: np.ndarray, confidence: np.ndarray,
                   lift: np.ndarray, item_counts: np.ndarray, n_baskets: float, **params) -> "CoPurchaseModel":
        """A fitted model from rules computed elsewhere (a Spark job), each ``rows[i] → cols[i]``
        with its weighted count, confidence and lift, already cut to ``top_k`` per item."""
        order = np.lexsort((cols, rows))
        model = cls(**params)
        model._check_params()
        model.n_baskets_ = float(n_baskets)
        model.item_counts_ = np.asarray(item_counts, dtype=np.float64)
        parts = (np.asarray(a)[order] for a in (rows, cols, counts, confidence, lift))
        model._set_rules(_Rules(*parts), len(model.item_counts_))
        return model

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], **params) -> "CoPurchaseModel":
        """Rebuild a fitted model; ``params`` must be those it was fitted with."""
        missing = [key for key in _ARRAY_KEYS if key not in arrays]
        if missing:
            raise ValueError(f"arrays lack {missing}")
        model = cls(**params)
        model._check_params()
        model.n_baskets_ = float(arrays["n_baskets"])
        model.item_counts_ = np.asarray(arrays["item_counts"])
        model._set_matrices(*(np.asarray(arrays[key]) for key in _MATRIX_KEYS))
        return model


def _as_csr(matrix: sp.spmatrix, name: str) -> sp.csr_matrix:
    if not sp.issparse(matrix):
        raise TypeError(f"{name} must be a scipy.sparse matrix, got {type(matrix).__name__}")
    if matrix.format != "csr":
        warnings.warn(f"{name} is not a CSR matrix, converting it (pass CSR to avoid a copy)", stacklevel=3)
    return sp.csr_matrix(matrix)


def _binarize(baskets: sp.spmatrix) -> sp.csr_matrix:
    """1.0 for every positive entry, duplicates merged, other entries dropped."""
    matrix = _as_csr(baskets, "baskets").copy()
    matrix.sum_duplicates()
    matrix.data = (matrix.data > 0).astype(np.float64)
    matrix.eliminate_zeros()
    return matrix


def _row_blocks(products: np.ndarray) -> np.ndarray:
    """Row boundaries splitting items into blocks of about ``_BLOCK_PRODUCTS`` sparse products."""
    total = np.cumsum(products)
    n_blocks = max(1, int(np.ceil(total[-1] / _BLOCK_PRODUCTS)))
    cuts = np.searchsorted(total, np.arange(1, n_blocks) * (total[-1] / n_blocks))
    return np.unique(np.r_[0, cuts, len(products)])


def _threads(num_threads: int) -> int:
    if num_threads > 0:
        return num_threads
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _top_candidates(rows: np.ndarray, score: np.ndarray, k: int) -> np.ndarray:
    """Mask of the entries that can be among their row's ``k`` best (``rows`` ascending, ``score`` > 0).

    A per-row histogram of how many quarter-octaves each score lies below its row's best finds
    the bucket that completes ``k`` entries, so the exact sort only sees the rows' heads. The
    buckets come from the float's bits (exponent and two mantissa bits), which order positive
    floats exactly.
    """
    starts = np.flatnonzero(np.diff(rows, prepend=-1))
    lengths = np.diff(np.append(starts, len(rows)))
    if not len(rows) or lengths.max() <= k:
        return np.ones(len(rows), dtype=bool)
    level = score.view(np.int64) >> 50
    group = np.repeat(np.arange(len(starts)), lengths)
    bucket = np.minimum(np.maximum.reduceat(level, starts)[group] - level, _BUCKETS - 1)
    filled = np.bincount(group * _BUCKETS + bucket, minlength=len(starts) * _BUCKETS)
    reached = filled.reshape(-1, _BUCKETS).cumsum(axis=1) >= k
    cutoff = np.where(reached[:, -1], reached.argmax(axis=1), _BUCKETS - 1)
    return bucket <= cutoff[group]


def _concat(parts: list[_Rules]) -> _Rules:
    return _Rules(*(np.concatenate([getattr(part, field.name) for part in parts]) for field in fields(_Rules)))

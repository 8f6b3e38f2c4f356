"""A weighted blend of scoring signals, each rescaled per user so weights are comparable.

Signals come in three shapes, and the blend keeps each in its cheapest one: dense rows (ALS,
EASE), sparse rows (co-purchase, item-kNN, buy again: a user touches few items) and one static
row shared by every user (popularity, trending), scaled once when the blend is built. Only the
total is dense; a request pays for one dense row per dense signal, not one per signal.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Protocol, runtime_checkable

import numpy as np
import scipy.sparse as sp

from .history import UserHistory


class Scorer(Protocol):
    def score_users(self, history: UserHistory) -> np.ndarray: ...


@runtime_checkable
class SparseScorer(Protocol):
    """A signal that scores few items per user and can say so as a CSR matrix (each column at
    most once per row, as sparse products and loaded matrices are)."""

    def score_sparse(self, history: UserHistory) -> sp.csr_matrix: ...


@runtime_checkable
class StaticScorer(Protocol):
    """A signal that gives every user the same scores."""

    def static_scores(self) -> np.ndarray: ...


def scale_rows(scores: np.ndarray) -> np.ndarray:
    """Divide each row by its largest absolute value, so every signal lies in [-1, 1]."""
    peak = np.abs(scores).max(axis=1, keepdims=True)
    return scores / np.where(peak > 0, peak, 1.0)


@dataclass(frozen=True)
class SparseRows:
    """Stored entries of a sparse signal as parallel arrays, scaled per row and weighted.

    Kept as plain arrays rather than a scipy matrix: a request builds and reads one of these per
    sparse signal, and scipy's per-object overhead would cost more than the arithmetic.
    """

    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    n_cols: int

    @classmethod
    def scaled(cls, matrix: sp.csr_matrix, weight: float) -> "SparseRows":
        """``weight · scale_rows(matrix)``, for the stored entries only."""
        lengths = np.diff(matrix.indptr)
        data = np.asarray(matrix.data, dtype=np.float32)
        peak = np.ones(len(lengths), dtype=np.float32)
        filled = lengths > 0
        if filled.any():
            peak[filled] = np.maximum.reduceat(np.abs(data), matrix.indptr[:-1][filled])
        peak[peak == 0] = 1.0
        rows = np.repeat(np.arange(len(lengths)), lengths)
        return cls(rows, matrix.indices, weight * data / peak[rows], matrix.shape[1])

    def add_to(self, total: np.ndarray) -> None:
        """Add into a dense batch; CSR rows hold each column once, so plain fancy indexing adds
        every entry (``np.add.at`` would be needed for repeats, at ten times the cost)."""
        total[self.rows, self.cols] += self.values

    def at(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """The values at (row, col) pairs, 0 where nothing is stored."""
        keys = self.rows.astype(np.int64) * self.n_cols + self.cols
        order = np.argsort(keys)
        wanted = np.asarray(rows, dtype=np.int64) * self.n_cols + cols
        found = np.clip(np.searchsorted(keys[order], wanted), 0, max(len(keys) - 1, 0))
        hit = keys[order][found] == wanted if len(keys) else np.zeros(wanted.shape, dtype=bool)
        return np.where(hit, self.values[order][found] if len(keys) else 0.0, 0.0)


@dataclass(frozen=True)
class Blended:
    """One batch's blended scores and each signal's weighted, scaled part of them."""

    total: np.ndarray
    dense: dict[str, np.ndarray]
    sparse: dict[str, SparseRows]
    static: dict[str, np.ndarray]

    def strongest(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """The name of the signal contributing most at each (row, col) pair (same-shape arrays)."""
        names = [*self.dense, *self.sparse, *self.static]
        if not names:
            return np.full(rows.shape, "popularity")
        values = [part[rows, cols] for part in self.dense.values()]
        values += [part.at(rows, cols) for part in self.sparse.values()]
        values += [part[cols] for part in self.static.values()]
        return np.array(names)[np.argmax(values, axis=0)]


class BlendModel:
    """``score = Σ weight_s · scale_rows(signal_s)`` over the signals with a non-zero weight.

    Signals are fitted elsewhere; the blend only combines them, so it has no ``fit``.
    """

    def __init__(self, signals: Mapping[str, Scorer], weights: Mapping[str, float]) -> None:
        unknown = set(weights) - set(signals)
        if unknown:
            raise ValueError(f"weights name unknown signals {sorted(unknown)}; known: {sorted(signals)}")
        self.signals = dict(signals)
        self.weights = {name: float(w) for name, w in weights.items() if w != 0}
        self.static = {
            name: weight * scale_rows(np.asarray(self.signals[name].static_scores(), np.float32)[None, :])[0]
            for name, weight in self.weights.items() if isinstance(self.signals[name], StaticScorer)
        }
        self.static_total = sum(self.static.values()) if self.static else None
        self.sparse = {name for name in self.weights if isinstance(self.signals[name], SparseScorer)} - set(self.static)

    def score(self, history: UserHistory) -> Blended:
        total = np.zeros((len(history), history.n_items), dtype=np.float32)
        if self.static_total is not None:
            total += self.static_total
        dense, sparse = {}, {}
        for name, weight in self.weights.items():
            if name in self.static:
                continue
            if name in self.sparse:
                sparse[name] = SparseRows.scaled(self.signals[name].score_sparse(history), weight)
                sparse[name].add_to(total)
            else:
                dense[name] = weight * scale_rows(np.asarray(self.signals[name].score_users(history), dtype=np.float32))
                total += dense[name]
        return Blended(total, dense, sparse, self.static)

    def score_users(self, history: UserHistory) -> np.ndarray:
        return self.score(history).total

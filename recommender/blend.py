"""A weighted blend of scoring signals, each rescaled per user so weights are comparable.

Signals come in two shapes: dense rows (ALS, EASE, and co-purchase, item-kNN and buy again,
which sum a few sparse rows into dense ones) and one static row shared by every user (popularity,
trending), scaled and weighted once when the blend is built. A request's cost is a few passes
over one row per dense signal, so each signal's scores are scaled and weighted in place.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Protocol, runtime_checkable

import numpy as np

from .history import UserHistory


class Scorer(Protocol):
    def score_users(self, history: UserHistory) -> np.ndarray:
        """``m × n_items`` scores in a new array, which the caller may change."""


@runtime_checkable
class StaticScorer(Protocol):
    """A signal that gives every user the same scores."""

    def static_scores(self) -> np.ndarray: ...


def row_peaks(scores: np.ndarray) -> np.ndarray:
    """Each row's largest absolute value (1 for an all-zero row), as an ``m × 1`` column; from the
    row's max and min, so no absolute-value copy is made."""
    if scores.shape[1] == 0:
        return np.ones((scores.shape[0], 1), dtype=scores.dtype)
    peak = np.maximum(scores.max(axis=1, keepdims=True), -scores.min(axis=1, keepdims=True))
    return np.where(peak > 0, peak, 1).astype(scores.dtype)


def scale_rows(scores: np.ndarray) -> np.ndarray:
    """Divide each row by its largest absolute value, so every signal lies in [-1, 1]."""
    return scores / row_peaks(scores)


@dataclass(frozen=True)
class Blended:
    """One batch's blended scores and each signal's weighted, scaled part of them."""

    total: np.ndarray
    dense: dict[str, np.ndarray]
    static: dict[str, np.ndarray]

    def strongest(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """The name of the signal contributing most at each (row, col) pair (same-shape arrays)."""
        names = [*self.dense, *self.static]
        if not names:
            return np.full(rows.shape, "popularity")
        values = [part[rows, cols] for part in self.dense.values()]
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

    def score(self, history: UserHistory) -> Blended:
        total = np.zeros((len(history), history.n_items), dtype=np.float32)
        if self.static_total is not None:
            total += self.static_total
        dense = {}
        for name, weight in self.weights.items():
            if name not in self.static:
                part = dense[name] = np.asarray(self.signals[name].score_users(history), dtype=np.float32)
                part *= np.float32(weight) / row_peaks(part)  # in place: a signal's scores are a new array
                total += part
        return Blended(total, dense, self.static)

    def score_users(self, history: UserHistory) -> np.ndarray:
        return self.score(history).total

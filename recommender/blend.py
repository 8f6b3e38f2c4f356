"""A weighted blend of scoring signals, each rescaled per user so weights are comparable."""
from __future__ import annotations

from typing import Mapping, Protocol

import numpy as np

from .history import UserHistory


class Scorer(Protocol):
    def score_users(self, history: UserHistory) -> np.ndarray: ...


def scale_rows(scores: np.ndarray) -> np.ndarray:
    """Divide each row by its largest absolute value, so every signal lies in [-1, 1]."""
    peak = np.abs(scores).max(axis=1, keepdims=True)
    return scores / np.where(peak > 0, peak, 1.0)


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

    def score_components(self, history: UserHistory) -> dict[str, np.ndarray]:
        """Each weighted signal's scaled contribution (used to explain a pick)."""
        return {
            name: weight * scale_rows(np.asarray(self.signals[name].score_users(history), dtype=np.float32))
            for name, weight in self.weights.items()
        }

    def score_users(self, history: UserHistory) -> np.ndarray:
        total = np.zeros((len(history), history.n_items), dtype=np.float32)
        for part in self.score_components(history).values():
            total += part
        return total

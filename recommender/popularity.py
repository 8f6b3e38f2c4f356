"""Recency-weighted popularity, overall and per category: a baseline and the last fallback."""
from __future__ import annotations

import numpy as np

from .errors import NotFittedError
from .history import UserHistory
from .interactions import decay_factor


class PopularityModel:
    """Each purchase counts ``0.5 ** (age_days / half_life_days)``; ``None`` counts all equally."""

    def __init__(self, half_life_days: float | None = 30.0) -> None:
        self.half_life_days = half_life_days

    def fit(
        self,
        item_idx: np.ndarray,
        age_days: np.ndarray,
        n_items: int,
        categories: np.ndarray | None = None,
    ) -> "PopularityModel":
        """``item_idx``/``age_days`` describe purchase events; ``categories`` holds one int per item."""
        weights = decay_factor(age_days, self.half_life_days)
        self.scores_ = np.bincount(item_idx, weights=weights, minlength=n_items).astype(np.float32)
        self.categories_ = (
            np.zeros(n_items, dtype=np.int32) if categories is None else np.asarray(categories, dtype=np.int32)
        )
        if len(self.categories_) != n_items:
            raise ValueError("categories must hold 1 entry for every item")
        return self

    def brought_forward(self, item_idx: np.ndarray, age_days: np.ndarray, elapsed_days: float) -> "PopularityModel":
        """The same model ``elapsed_days`` later with the purchases since (``item_idx``, ``age_days``
        now) counted: with exponential decay that equals fitting on all of them again."""
        self._check_fitted()
        model = type(self)(self.half_life_days)
        weights = decay_factor(np.asarray(age_days, dtype=np.float64), self.half_life_days)
        recent = np.bincount(np.asarray(item_idx, dtype=np.int64), weights=weights, minlength=len(self.scores_))
        elapsed = float(decay_factor(np.array([max(elapsed_days, 0.0)]), self.half_life_days)[0])
        model.scores_ = (self.scores_ * elapsed + recent).astype(np.float32)
        model.categories_ = self.categories_
        return model

    def _check_fitted(self) -> None:
        if not hasattr(self, "scores_"):
            raise NotFittedError(self)

    def top(self, n: int = 10, category: int | None = None, exclude: np.ndarray | None = None):
        """Most popular items, optionally within one category: ``(ids, scores)``.

        Walks the ranking sorted once per model (popularity is the same for every request), so
        a request only reads a prefix of it."""
        self._check_fitted()
        ranked = self._ranking(category)
        exclude = np.asarray([] if exclude is None else exclude, dtype=np.int64)
        prefix = ranked[: n + len(exclude)]
        order = prefix[np.isin(prefix, exclude, invert=True)][:n]
        return order, self.scores_[order].astype(np.float32)

    def _ranking(self, category: int | None) -> np.ndarray:
        """Item ids by decreasing popularity (ties: lower id first), all or one category's."""
        if not hasattr(self, "_rankings"):
            self._rankings: dict[int | None, np.ndarray] = {}
        if category not in self._rankings:
            ids = np.arange(len(self.scores_)) if category is None else np.flatnonzero(self.categories_ == category)
            self._rankings[category] = ids[np.lexsort((ids, -self.scores_[ids].astype(np.float64)))]
        return self._rankings[category]

    def static_scores(self) -> np.ndarray:
        """Popularity is the same for every user: the blend scales it once."""
        self._check_fitted()
        return self.scores_

    def score_users(self, history: UserHistory) -> np.ndarray:
        """The same popularity row for every user (the blend adds it as a prior)."""
        self._check_fitted()
        return np.broadcast_to(self.scores_, (len(history), len(self.scores_)))

    def to_arrays(self) -> dict[str, np.ndarray]:
        self._check_fitted()
        return {"scores": self.scores_, "categories": self.categories_}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], **params) -> "PopularityModel":
        model = cls(**params)
        model.scores_ = np.asarray(arrays["scores"], dtype=np.float32)
        model.categories_ = np.asarray(arrays["categories"], dtype=np.int32)
        return model

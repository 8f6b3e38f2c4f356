"""EASE (Steck 2019): a closed-form linear item-item model over the head of the catalog.

Its weights are a dense square matrix, so a catalog larger than ``max_items`` keeps EASE for its
``max_items`` most-bought products (where co-occurrence carries signal) and scores the tail 0;
item-kNN and ALS cover the tail. On the 60k-product grocery store of issue 12, EASE on the head
was the strongest simple baseline.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .errors import NotFittedError
from .history import UserHistory


class EASEModel:
    """``B = I - P / diag(P)`` with ``P = (XᵀX + λI)⁻¹`` over the head items ``items_``."""

    def __init__(self, l2: float = 300.0, max_items: int = 4_000) -> None:
        self.l2 = l2
        self.max_items = max_items

    def fit(self, user_items: sp.csr_matrix) -> "EASEModel":
        binary = sp.csr_matrix(user_items, dtype=np.float32)
        binary.data[:] = 1.0
        n_items = binary.shape[1]
        if n_items > self.max_items:
            users_per_item = np.diff(binary.tocsc().indptr)
            head = np.sort(np.argsort(-users_per_item, kind="stable")[: self.max_items])
            binary = binary[:, head]
        else:
            head = np.arange(n_items)
        gram = (binary.T @ binary).toarray()
        gram[np.diag_indices(len(head))] += self.l2
        precision = np.linalg.inv(gram)
        weights = -precision / np.diag(precision)
        weights[np.diag_indices(len(head))] = 0.0
        self.weights_ = weights.astype(np.float32)
        self.items_ = head.astype(np.int64)
        self.n_items_ = n_items
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "weights_"):
            raise NotFittedError(self)

    def to_arrays(self) -> dict[str, np.ndarray]:
        self._check_fitted()
        return {"weights": self.weights_, "items": self.items_}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], n_items: int, **params) -> "EASEModel":
        model = cls(**params)
        model.weights_ = arrays["weights"]
        model.items_ = np.asarray(arrays["items"], dtype=np.int64)
        model.n_items_ = n_items
        return model

    @property
    def covers_catalog(self) -> bool:
        return len(self.items_) == self.n_items_

    def consistent_with(self, n_items: int) -> bool:
        size = len(self.items_)
        return (self.n_items_ == n_items and self.weights_.shape == (size, size)
                and (size == 0 or (int(self.items_.max()) < n_items and bool(np.all(np.diff(self.items_) > 0)))))

    def score_users(self, history: UserHistory) -> np.ndarray:
        self._check_fitted()
        rows = history.interactions
        if self.covers_catalog:
            binary = sp.csr_matrix((np.ones(len(rows.data), np.float32), rows.indices, rows.indptr), shape=rows.shape)
            return np.asarray(binary @ self.weights_, dtype=np.float32)
        position = np.searchsorted(self.items_, rows.indices)
        in_head = (position < len(self.items_)) & (self.items_[np.minimum(position, len(self.items_) - 1)] == rows.indices)
        row_of = np.repeat(np.arange(rows.shape[0]), np.diff(rows.indptr))
        binary = sp.csr_matrix((np.ones(int(in_head.sum()), np.float32), (row_of[in_head], position[in_head])),
                               shape=(rows.shape[0], len(self.items_)))
        scores = np.zeros(rows.shape, dtype=np.float32)
        scores[:, self.items_] = np.asarray(binary @ self.weights_, dtype=np.float32)
        return scores

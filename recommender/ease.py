"""EASE (Steck 2019): a closed-form linear item-item model, used as a strong baseline."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .errors import NotFittedError
from .history import UserHistory


class EASEModel:
    """``B = I - P / diag(P)`` with ``P = (XᵀX + λI)⁻¹``; dense, so only for catalogs of a few
    thousand items (``max_items``), which is where the published baselines use it."""

    def __init__(self, l2: float = 300.0, max_items: int = 4_000) -> None:
        self.l2 = l2
        self.max_items = max_items

    def fit(self, user_items: sp.csr_matrix) -> "EASEModel":
        n_items = user_items.shape[1]
        if n_items > self.max_items:
            raise ValueError(f"EASE needs a dense {n_items}² matrix; max_items is {self.max_items}")
        binary = sp.csr_matrix(user_items, dtype=np.float32)
        binary.data[:] = 1.0
        gram = (binary.T @ binary).toarray()
        gram[np.diag_indices(n_items)] += self.l2
        precision = np.linalg.inv(gram)
        weights = -precision / np.diag(precision)
        weights[np.diag_indices(n_items)] = 0.0
        self.weights_ = weights.astype(np.float32)
        return self

    def to_arrays(self) -> dict[str, np.ndarray]:
        if not hasattr(self, "weights_"):
            raise NotFittedError(self)
        return {"weights": self.weights_}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], **params) -> "EASEModel":
        model = cls(**params)
        model.weights_ = arrays["weights"]
        return model

    def score_users(self, history: UserHistory) -> np.ndarray:
        if not hasattr(self, "weights_"):
            raise NotFittedError(self)
        rows = history.interactions
        binary = sp.csr_matrix((np.ones(len(rows.data), dtype=np.float32), rows.indices, rows.indptr), shape=rows.shape)
        return np.asarray(binary @ self.weights_, dtype=np.float32)

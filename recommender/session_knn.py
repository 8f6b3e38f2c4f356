"""V-SKNN (Ludewig & Jannach 2018): session-based nearest neighbours with position decay.

Given the items of a live session in the order they were seen, past sessions that share items
with it are its neighbours. Each shared item counts by its position (linear decay: the latest
item weighs 1, the first ``1/len``), normalised like a cosine by both sessions' lengths. Only the
``sample_size`` most recent sessions that contain a session item are considered (recent behaviour
is the better guide, and it bounds the work per request), and the ``neighbours`` most similar of
them vote for their items with their similarity. In Ludewig et al. 2021 this simple method was
ahead of GRU4Rec on RetailRocket and Diginetica.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .errors import NotFittedError
from .history import UserHistory


class SessionKNNModel:
    def __init__(self, neighbours: int = 100, sample_size: int = 1000) -> None:
        self.neighbours = neighbours
        self.sample_size = sample_size

    def fit(self, sessions: sp.csr_matrix) -> "SessionKNNModel":
        """``sessions`` × items, rows in time order (a later session has a larger row)."""
        binary = sp.csr_matrix(sessions, dtype=np.float32)
        binary.sum_duplicates()
        binary.data[:] = 1.0
        self.sessions_ = binary
        self._index()
        return self

    def _index(self) -> None:
        self.postings_ = self.sessions_.tocsc()  # per item, its sessions in ascending (time) order
        self.postings_.sort_indices()
        self.norms_ = np.sqrt(np.maximum(np.diff(self.sessions_.indptr), 1)).astype(np.float32)

    def _check_fitted(self) -> None:
        if not hasattr(self, "sessions_"):
            raise NotFittedError(self)

    def score_weighted(self, items: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Scores over the catalog for a session of ``items`` with per-item ``weights``."""
        self._check_fitted()
        scores = np.zeros(self.sessions_.shape[1], dtype=np.float32)
        items = np.asarray(items, dtype=np.int64)
        if not len(items):
            return scores
        starts, ends = self.postings_.indptr[items], self.postings_.indptr[items + 1]
        recent = [self.postings_.indices[max(s, e - self.sample_size):e] for s, e in zip(starts, ends)]
        candidates = np.unique(np.concatenate(recent)) if recent else np.zeros(0, np.int64)
        if not len(candidates):
            return scores
        candidates = candidates[-self.sample_size:]
        query = np.zeros(self.sessions_.shape[1], dtype=np.float32)
        np.maximum.at(query, items, np.asarray(weights, dtype=np.float32))
        overlap = self.sessions_[candidates] @ query
        similarity = overlap / (self.norms_[candidates] * np.sqrt(len(np.unique(items))))
        if len(candidates) > self.neighbours:
            best = np.argpartition(-similarity, self.neighbours - 1)[: self.neighbours]
            candidates, similarity = candidates[best], similarity[best]
        return np.asarray(self.sessions_[candidates].T @ similarity, dtype=np.float32).ravel()

    def score_sequence(self, items: np.ndarray) -> np.ndarray:
        """Scores for a session seen in this order (V-SKNN's linear position decay)."""
        items = np.asarray(items, dtype=np.int64)
        return self.score_weighted(items, np.arange(1, len(items) + 1, dtype=np.float32) / max(len(items), 1))

    def score_users(self, history: UserHistory) -> np.ndarray:
        """Each row's interactions as an unordered session, weighted by their confidence."""
        rows = history.interactions
        out = np.zeros((len(history), history.n_items), dtype=np.float32)
        for row in range(len(history)):
            part = slice(rows.indptr[row], rows.indptr[row + 1])
            values = np.asarray(rows.data[part], dtype=np.float32)
            if len(values):
                out[row] = self.score_weighted(rows.indices[part], values / values.max())
        return out

    def to_arrays(self) -> dict[str, np.ndarray]:
        self._check_fitted()
        return {"indptr": self.sessions_.indptr, "indices": self.sessions_.indices,
                "shape": np.array(self.sessions_.shape, dtype=np.int64)}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], **params) -> "SessionKNNModel":
        model = cls(**params)
        indices = np.asarray(arrays["indices"])
        model.sessions_ = sp.csr_matrix((np.ones(len(indices), np.float32), indices, np.asarray(arrays["indptr"])),
                                        shape=tuple(int(x) for x in arrays["shape"]))
        model._index()
        return model

"""Item-based nearest neighbours through implicit's cosine or BM25 recommenders (a baseline)."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from implicit.nearest_neighbours import ItemItemRecommender, bm25_weight, normalize

from .errors import NotFittedError
from .history import UserHistory
from .row_products import dense_product


class ItemKNNModel:
    """Scores = history @ item-item similarity, keeping the ``neighbours`` most similar items.

    The item itself is its own nearest neighbour, so with ``history=interactions`` the model
    also recommends what a user bought before: strong for repeat buying, useless for discovery.
    """

    def __init__(self, neighbours: int = 100, weighting: str = "bm25", k1: float = 1.2, b: float = 0.75) -> None:
        self.neighbours = neighbours
        self.weighting = weighting
        self.k1 = k1
        self.b = b

    def fit(self, user_items: sp.csr_matrix) -> "ItemKNNModel":
        items_users = sp.csr_matrix(user_items, dtype=np.float64).T
        if self.weighting == "bm25":
            weighted = bm25_weight(items_users, self.k1, self.b)
        elif self.weighting == "cosine":
            weighted = normalize(items_users)
        else:
            raise ValueError(f"weighting must be 'bm25' or 'cosine', got {self.weighting!r}")
        knn = ItemItemRecommender(K=self.neighbours)
        knn.fit(sp.csr_matrix(weighted.T, dtype=np.float64), show_progress=False)
        self.similarity_ = sp.csr_matrix(knn.similarity, dtype=np.float32)
        return self

    def to_arrays(self) -> dict[str, np.ndarray]:
        if not hasattr(self, "similarity_"):
            raise NotFittedError(self)
        s = self.similarity_
        return {"indptr": s.indptr, "indices": s.indices, "data": s.data, "shape": np.asarray(s.shape)}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], **params) -> "ItemKNNModel":
        model = cls(**params)
        shape = tuple(int(x) for x in arrays["shape"])
        model.similarity_ = sp.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=shape)
        return model

    def score_users(self, history: UserHistory) -> np.ndarray:
        if not hasattr(self, "similarity_"):
            raise NotFittedError(self)
        return dense_product(history.interactions, self.similarity_)

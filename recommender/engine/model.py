"""What the engine reads: one loaded model version, and the approximate ALS scorer for huge catalogs."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import scipy.sparse as sp

from ..als import ALSModel
from ..ann import VectorIndex
from ..candidates import ItemNeighbours, UserCandidates
from ..copurchase import CoPurchaseModel
from ..ease import EASEModel
from ..session_knn import SessionKNNModel
from ..history import UserHistory
from ..interactions import InteractionConfig
from ..item_knn import ItemKNNModel
from ..popularity import PopularityModel


@dataclass(frozen=True)
class ServingModel:
    """Everything the engine reads; loaded once per process and never written."""

    user_ids: np.ndarray
    item_ids: np.ndarray
    category_names: np.ndarray
    item_category: np.ndarray
    titles: np.ndarray
    als: ALSModel
    copurchase: CoPurchaseModel
    popularity: PopularityModel
    trending: PopularityModel
    item_knn: ItemKNNModel
    ease: EASEModel | None
    confidence: sp.csr_matrix
    purchases: sp.csr_matrix
    indexes: Mapping[str, VectorIndex]
    blend_weights: Mapping[str, Mapping[str, float]]
    interactions: InteractionConfig
    scoring: str = "exact"
    last_purchase: sp.csr_matrix | None = None  # users × items, days from the last purchase to the data's end
    rhythm: sp.csr_matrix | None = None  # users × items, a customer's mean days between purchase days of an item
    session_knn: SessionKNNModel | None = None  # V-SKNN over training sessions, for live sessions
    session_weight: float = 0.0  # its weight beside the blend, chosen at training
    candidates: UserCandidates | None = None  # each user's best new items, scored at training time
    repeat_candidates: UserCandidates | None = None  # the same with past purchases kept
    neighbours: ItemNeighbours | None = None  # each item's nearest items by cosine, found at training time


class ApproximateALS:
    """ALS scores of the Annoy MIPS candidates only, zero elsewhere.

    Used when training measured Annoy faster than exact scoring at equal recall (very large
    catalogs): the user vector is compared with ``candidates`` items instead of all of them.
    """

    def __init__(self, als: ALSModel, index: VectorIndex, candidates: int) -> None:
        self.als = als
        self.index = index
        self.candidates = candidates

    def score_users(self, history: UserHistory) -> np.ndarray:
        scores = np.zeros((len(history), history.n_items), dtype=np.float32)
        for row, vector in enumerate(self.als.user_vectors(history)):
            ids, dots = self.index.query_vector(vector, self.candidates)
            scores[row, ids] = dots
        return scores


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)

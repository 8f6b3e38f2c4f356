"""Fit every model of a training run on one dataset, and name the signals the blend may use."""
from __future__ import annotations

from dataclasses import dataclass

import scipy.sparse as sp

from recommender.als import ALSModel
from recommender.blend import Scorer
from recommender.buy_again import BuyAgainModel
from recommender.copurchase import CoPurchaseModel
from recommender.ease import EASEModel
from recommender.item_knn import ItemKNNModel
from recommender.popularity import PopularityModel
from recommender.session_knn import SessionKNNModel

from .config import TrainConfig
from .dataset import PURCHASE, Dataset, basket_matrix, interaction_matrices, session_matrix


@dataclass
class FittedModels:
    """Everything fitted from one dataset, as of ``now`` (seconds since the epoch)."""

    now: float
    confidence: sp.csr_matrix
    purchases: sp.csr_matrix
    als: ALSModel
    copurchase: CoPurchaseModel
    popularity: PopularityModel
    trending: PopularityModel
    item_knn: ItemKNNModel
    session_knn: SessionKNNModel
    ease: EASEModel | None = None


def fit_popularity(data: Dataset, now: float, half_life_days: float) -> PopularityModel:
    bought = data.event == PURCHASE
    return PopularityModel(half_life_days).fit(
        data.item[bought], data.age_days(now)[bought], data.n_items, data.item_category
    )


def fit_models(data: Dataset, config: TrainConfig, now: float) -> FittedModels:
    """Fit the served models; EASE over the ``ease.max_items`` most-bought items (0: no EASE)."""
    confidence, purchases = interaction_matrices(data, now, config.interactions)
    models = FittedModels(
        now=now,
        confidence=confidence,
        purchases=purchases,
        als=ALSModel(**vars(config.als)).fit(confidence),
        copurchase=CoPurchaseModel(**vars(config.copurchase)).fit(basket_matrix(data)),
        popularity=fit_popularity(data, now, config.popularity_half_life_days),
        trending=fit_popularity(data, now, config.trending_half_life_days),
        item_knn=ItemKNNModel(**vars(config.item_knn)).fit(confidence),
        session_knn=SessionKNNModel(**vars(config.session_knn)).fit(session_matrix(data)),
    )
    if config.ease.max_items > 0:
        models.ease = EASEModel(**vars(config.ease)).fit(confidence)
    return models


def signals(models: FittedModels) -> dict[str, Scorer]:
    """The signals a blend can weigh, by name (V-SKNN serves live sessions only, beside the blend)."""
    found: dict[str, Scorer] = {
        "als": models.als,
        "copurchase": models.copurchase,
        "popularity": models.popularity,
        "trending": models.trending,
        "buy_again": BuyAgainModel(),
        "item_knn": models.item_knn,
    }
    if models.ease is not None:
        found["ease"] = models.ease
    return found

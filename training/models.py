"""Fit every model of a training run on one dataset, and name the signals the blend may use."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Protocol

import pandas as pd
import scipy.sparse as sp

from recommender.als import ALSModel
from recommender.blend import Scorer
from recommender.buy_again import BuyAgainModel
from recommender.copurchase import CoPurchaseModel
from recommender.ease import EASEModel
from recommender.item_knn import ItemKNNModel
from recommender.popularity import PopularityModel
from recommender.session_knn import SessionKNNModel

from .config import ALSConfig, CoPurchaseConfig, TrainConfig
from .dataset import PURCHASE, Dataset, basket_matrix, interaction_matrices, session_matrix
from .events import LoadReport, load_events


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


class Engine(Protocol):
    """Where the heavy steps of a training run happen: reading and cleaning an events file, and
    fitting ALS, the co-purchase rules and popularity. Every engine returns the same models, so
    the rest of the run, and serving, cannot tell them apart."""

    name: str

    def load_events(self, path: Path, column_map: Mapping[str, str] | None, preset: str | None,
                    max_bad_share: float) -> tuple[pd.DataFrame, LoadReport]: ...

    def als(self, confidence: sp.csr_matrix, config: ALSConfig) -> ALSModel: ...

    def copurchase(self, data: Dataset, config: CoPurchaseConfig) -> CoPurchaseModel: ...

    def popularity(self, data: Dataset, now: float, half_life_days: float) -> PopularityModel: ...


class LocalEngine:
    """This process: pyarrow and pandas, implicit's ALS, scipy's sparse products."""

    name = "local"

    def load_events(self, path: Path, column_map: Mapping[str, str] | None, preset: str | None,
                    max_bad_share: float) -> tuple[pd.DataFrame, LoadReport]:
        return load_events(path, column_map, preset, max_bad_share)

    def als(self, confidence: sp.csr_matrix, config: ALSConfig) -> ALSModel:
        return ALSModel(**vars(config)).fit(confidence)

    def copurchase(self, data: Dataset, config: CoPurchaseConfig) -> CoPurchaseModel:
        return CoPurchaseModel(**vars(config)).fit(basket_matrix(data))

    def popularity(self, data: Dataset, now: float, half_life_days: float) -> PopularityModel:
        return fit_popularity(data, now, half_life_days)


LOCAL = LocalEngine()


def fit_models(data: Dataset, config: TrainConfig, now: float, engine: Engine = LOCAL) -> FittedModels:
    """Fit the served models; EASE over the ``ease.max_items`` most-bought items (0: no EASE)."""
    confidence, purchases = interaction_matrices(data, now, config.interactions)
    models = FittedModels(
        now=now,
        confidence=confidence,
        purchases=purchases,
        als=engine.als(confidence, config.als),
        copurchase=engine.copurchase(data, config.copurchase),
        popularity=engine.popularity(data, now, config.popularity_half_life_days),
        trending=engine.popularity(data, now, config.trending_half_life_days),
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

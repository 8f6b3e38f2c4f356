"""``SparkEngine``: the training engine whose heavy steps run on a Spark session."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

import pandas as pd
import scipy.sparse as sp

from recommender.als import ALSModel
from recommender.copurchase import CoPurchaseModel
from recommender.popularity import PopularityModel
from training.config import ALSConfig, CoPurchaseConfig
from training.dataset import Dataset
from training.events import LoadReport

from . import events, models
from .session import SparkSession, spark_session


class SparkEngine:
    """Reads events and fits ALS, co-purchase and popularity on ``session``; the rest of the run
    (dataset, item-kNN, EASE, rankers, profiles, Annoy, stored lists) stays on the driver."""

    name = "spark"

    def __init__(self, session: SparkSession) -> None:
        self.session = session

    def load_events(self, path: Path, column_map: Mapping[str, str] | None, preset: str | None,
                    max_bad_share: float) -> tuple[pd.DataFrame, LoadReport]:
        return events.load_events(self.session, path, column_map, preset, max_bad_share)

    def als(self, confidence: sp.csr_matrix, config: ALSConfig) -> ALSModel:
        return models.fit_als(self.session, confidence, config)

    def copurchase(self, data: Dataset, config: CoPurchaseConfig) -> CoPurchaseModel:
        return models.fit_copurchase(self.session, data, config)

    def popularity(self, data: Dataset, now: float, half_life_days: float) -> PopularityModel:
        return models.fit_popularity(self.session, data, now, half_life_days)


__all__ = ["SparkEngine", "spark_session"]

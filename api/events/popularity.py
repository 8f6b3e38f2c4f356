"""Today's sales in the popular and trending lists: each worker counts the purchases the event store
holds since its version's data ended, once per ``FRESHNESS_INTERVAL`` seconds in the background, and the rules
cache serves an engine whose popularity includes them (``RecommendationEngine.with_recent_purchases``).

Purchases are read per item and hour (one aggregate query), so the read stays small however many
events arrive; an hour's purchases are aged from the middle of their hour.
"""
from __future__ import annotations

import logging
import time

import numpy as np
from sqlalchemy import Integer, cast, func, select
from sqlalchemy.exc import SQLAlchemyError

from recommender.customers import SECONDS_PER_DAY
from recommender.engine import RecommendationEngine

from api.events.refresh import PerVersion
from api.events.store import EVENTS, EventStore
from api.serving.model_store import Served

E = EVENTS.c
HOUR = 3600.0
log = logging.getLogger(__name__)


class LivePopularity:
    def __init__(self, store: EventStore, interval: float) -> None:
        self.store = store
        self._counts: PerVersion[tuple[np.ndarray, np.ndarray, float]] = PerVersion(
            lambda served, _previous: self._read(served), interval, "vitrine-popularity")

    def stamp(self, served: Served) -> float:
        """When the counts for ``served`` were read: the rules cache recompiles when it moves."""
        return self._counts.read_at(served)

    def apply(self, engine: RecommendationEngine, served: Served) -> RecommendationEngine:
        """``engine`` with the counted purchases in its popularity."""
        items, ages, elapsed = self._counts.get(served)
        return engine.with_recent_purchases(items, ages, elapsed) if len(items) else engine

    def _read(self, served: Served) -> tuple[np.ndarray, np.ndarray, float]:
        data_end, now = served.manifest_time("data_end"), time.time()
        hour = cast(E.at / HOUR, Integer)
        query = (select(E.item_id, hour, func.count()).where(E.type == "purchase", E.known_item.is_(True),
                                                             E.at >= data_end, E.at <= now)
                 .group_by(E.item_id, hour))
        try:
            with self.store.connect() as connection:
                rows = connection.execute(query).all()
        except SQLAlchemyError as exc:
            log.warning("cannot read today's purchases from the event store (%s); popularity is training's", exc)
            rows = []
        index = served.engine.item_index
        known = [(index[item], bucket, count) for item, bucket, count in rows if item in index]
        if not known:
            return np.array([], np.int64), np.array([]), 0.0
        items, buckets, counts = (np.array(column) for column in zip(*known))
        ages = np.maximum(now - (buckets + 0.5) * HOUR, 0.0) / SECONDS_PER_DAY
        return np.repeat(items, counts), np.repeat(ages, counts), max(now - data_end, 0.0) / SECONDS_PER_DAY

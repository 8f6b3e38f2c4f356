"""Today's sales in the popular and trending lists: each worker counts the purchases the event store
holds since its version's data ended, at most once per ``FRESHNESS_INTERVAL`` seconds, and the rules
cache serves an engine whose popularity includes them (``RecommendationEngine.with_recent_purchases``).

Purchases are read per item and hour (one aggregate query), so the read stays small however many
events arrive; an hour's purchases are aged from the middle of their hour.
"""
from __future__ import annotations

import logging
import threading
import time

import numpy as np
from sqlalchemy import Integer, cast, func, select
from sqlalchemy.exc import SQLAlchemyError

from recommender.engine import RecommendationEngine

from api.events.store import EVENTS, EventStore
from api.serving.model_store import Served

E = EVENTS.c
HOUR = 3600.0
log = logging.getLogger(__name__)


class LivePopularity:
    def __init__(self, store: EventStore, interval: float) -> None:
        self.store = store
        self.interval = interval
        self._counts: tuple[str, float, np.ndarray, np.ndarray, float] | None = None
        self._lock = threading.Lock()

    def stamp(self, served: Served) -> float:
        """When the counts for ``served`` were read (refreshing them when they are too old)."""
        return self._current(served)[1]

    def apply(self, engine: RecommendationEngine, served: Served) -> RecommendationEngine:
        """``engine`` with the counted purchases in its popularity."""
        _, _, items, ages, elapsed = self._current(served)
        return engine.with_recent_purchases(items, ages, elapsed) if len(items) else engine

    def _current(self, served: Served) -> tuple[str, float, np.ndarray, np.ndarray, float]:
        """The counts for ``served``: only the first ask for a version waits for the store; after
        that stale counts are used while a background thread reads the next."""
        counts = self._counts
        if counts is None or counts[0] != served.name or self.interval == 0:  # 0: always as of now
            with self._lock:
                counts = self._counts
                if counts is None or counts[0] != served.name or self.interval == 0:
                    counts = self._counts = (served.name, time.monotonic(), *self._read(served))
            return counts
        if time.monotonic() >= counts[1] + self.interval and self._lock.acquire(blocking=False):
            threading.Thread(target=self._refresh_and_release, args=(served,), name="vitrine-popularity",
                             daemon=True).start()
        return counts

    def _refresh_and_release(self, served: Served) -> None:
        try:
            self._counts = (served.name, time.monotonic(), *self._read(served))
        finally:
            self._lock.release()

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
        ages = np.maximum(now - (buckets + 0.5) * HOUR, 0.0) / 86_400.0
        return np.repeat(items, counts), np.repeat(ages, counts), max(now - data_end, 0.0) / 86_400.0

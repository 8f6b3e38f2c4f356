"""A/B experiments, server side: the store, each worker's exposure log, and the engine a request of
an experiment's placement answers through.

A request names its unit (the visitor id, else the customer id); the rules cache assigns it from the
running experiment's split (a hash, no lookup) and answers through the variant's placement
settings. The first time a worker serves a unit in an experiment it writes the exposure (once per
experiment and unit in the store; concurrent requests' exposures share a transaction through a
group commit; a write that fails is retried on the unit's next request, and never fails the answer).
"""
from __future__ import annotations

import logging
import threading
import time

from flask import Flask, current_app
from sqlalchemy.exc import SQLAlchemyError

from recommender.engine import RecommendationEngine
from recommender.experiments import Assigned

from api.events import KEY as EVENTS_KEY
from api.events.writer import GroupCommit
from api.experiments.store import ExperimentStore
from api.rules.cache import KEY as RULES_KEY, rules_cache
from api.serving.model_store import Served

KEY = "vitrine_experiments"
SEEN_LIMIT = 200_000  # exposures a worker remembers having written before it forgets them all
log = logging.getLogger(__name__)


class Experiments:
    def __init__(self, store: ExperimentStore) -> None:
        self.store = store
        self.writer: GroupCommit[int] = GroupCommit(store.expose)
        self._seen: set[tuple[int, str]] = set()
        self._lock = threading.Lock()

    def expose(self, assigned: Assigned, unit: str) -> None:
        self.expose_many([(assigned, unit)])

    def expose_many(self, exposures: list[tuple[Assigned, str]]) -> None:
        """Write the exposures this worker has not written yet, in one transaction."""
        new = {(a.experiment_id, unit): a.variant for a, unit in exposures if (a.experiment_id, unit) not in self._seen}
        if not new:
            return
        now = time.time()
        try:
            self.writer.write([{"experiment_id": experiment, "unit": unit, "variant": variant, "at": now}
                               for (experiment, unit), variant in new.items()])
        except SQLAlchemyError as exc:
            log.warning("cannot log %d exposures (%s); retried on the units' next requests", len(new), exc)
            return
        with self._lock:
            if len(self._seen) + len(new) > SEEN_LIMIT:
                self._seen.clear()
            self._seen.update(new)


def answering_engine(served: Served, placement: str | None,
                     unit: str | None) -> tuple[RecommendationEngine, Assigned | None]:
    """The engine for one request, and the variant ``unit`` was assigned (exposure logged) if an
    experiment runs on ``placement``."""
    cache = rules_cache()
    assigned = cache.assignment(placement, unit)
    if assigned is not None:
        experiments().expose(assigned, unit)
    return cache.engine(served, assigned), assigned


def install_experiments(app: Flask) -> Experiments:
    """After ``install_rules`` and ``install_events``: the store shares their database."""
    extension = Experiments(ExperimentStore(app.extensions[RULES_KEY].store, app.extensions[EVENTS_KEY].store))
    app.extensions[KEY] = extension
    return extension


def experiments() -> Experiments:
    return current_app.extensions[KEY]

"""Live segments of one worker: the served version's trained segments brought up to date by the
event store (``recommender.live_segments.LiveMembership``).

Listings (``/v1/segments/{name}/users``, ``vitrine export --segment``) ask the store each time; rule
audiences, asked on every request, reuse one answer for ``LIVE_REFRESH_INTERVAL`` seconds
(refreshed in the background). If the store cannot be read, the last answer (or training's
segments) keeps applying.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from recommender.customers import SECONDS_PER_DAY
from recommender.lifecycle import LifecycleConfig
from recommender.live_segments import LiveEvidence, LiveMembership

from api.config import database_url
from api.events.live_queries import LiveRules, read_evidence
from api.events.refresh import PerVersion
from api.events.store import EventStore
from api.serving.model_store import Served

log = logging.getLogger(__name__)
DEFAULTS = LifecycleConfig()


class LiveSegments:
    def __init__(self, store: EventStore, cart_delay_minutes: float, cart_window_hours: float,
                 interval: float) -> None:
        self.store = store
        self.cart_delay_seconds = cart_delay_minutes * 60.0
        self.cart_window_seconds = cart_window_hours * 3600.0
        self._recent: PerVersion[LiveMembership] = PerVersion(self._read, interval, "vitrine-live-segments")

    def now(self, served: Served) -> LiveMembership:
        """Membership as the store says this moment."""
        definitions = _definitions(served)
        rules = LiveRules(self.cart_delay_seconds, self.cart_window_seconds,
                          float(definitions.get("browse_days", DEFAULTS.browse_days)) * SECONDS_PER_DAY,
                          int(definitions.get("browse_min_views", DEFAULTS.browse_min_views)))
        first_time_days = float(definitions.get("repurchase_window_days", DEFAULTS.default_window_days))
        evidence = read_evidence(self.store, time.time(), rules, served.manifest_time("data_end"))
        return LiveMembership(served.version.profiles, evidence, first_time_days)

    def recent(self, served: Served) -> LiveMembership:
        """Membership at most about ``LIVE_REFRESH_INTERVAL`` seconds old (``api/events/refresh.py``)."""
        return self._recent.get(served)

    def audiences(self, served: Served) -> Callable[[str | None], Iterable[str]]:
        """What the rules cache asks to match rule audiences on ``served``."""
        return lambda user_id: self.recent(served).segments_of(user_id)

    def forget(self) -> None:
        """Drop the reused answer (after an erasure on this worker)."""
        self._recent.forget()

    def _read(self, served: Served, previous: LiveMembership | None) -> LiveMembership:
        try:
            return self.now(served)
        except SQLAlchemyError as exc:
            log.warning("cannot read live segments from the event store (%s); the last ones keep applying", exc)
            return previous or LiveMembership(served.version.profiles, LiveEvidence(time.time()),
                                              DEFAULTS.default_window_days)


def _definitions(served: Served) -> dict:
    profiles = served.version.profiles
    return profiles.summary.get("definitions", {}) if profiles is not None else {}


def live_segments(settings: Mapping[str, Any]) -> LiveSegments:
    """Live segments over the event store ``settings`` name (``vitrine export --segment``)."""
    return LiveSegments(EventStore(database_url(settings)), settings["CART_ABANDON_MINUTES"],
                        settings["CART_ABANDON_HOURS"], settings["LIVE_REFRESH_INTERVAL"])

"""Live segments of one worker: the served version's trained segments brought up to date by the
event store (``recommender.live_segments.LiveMembership``).

Listings (``/v1/segments/{name}/users``, ``vitrine export --segment``) ask the store each time; rule
audiences, asked on every request, reuse one answer for ``LIVE_REFRESH_INTERVAL`` seconds. If the
store cannot be read, the last answer (or training's segments) keeps applying.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from recommender.lifecycle import LifecycleConfig
from recommender.live_segments import LiveEvidence, LiveMembership

from api.config import database_url
from api.events.live_queries import LiveRules, read_evidence
from api.events.store import EventStore
from api.serving.model_store import Served

log = logging.getLogger(__name__)
DEFAULTS = LifecycleConfig()
SECONDS_PER_DAY = 86_400.0


class LiveSegments:
    def __init__(self, store: EventStore, cart_delay_minutes: float, cart_window_hours: float,
                 interval: float) -> None:
        self.store = store
        self.cart_delay_seconds = cart_delay_minutes * 60.0
        self.cart_window_seconds = cart_window_hours * 3600.0
        self.interval = interval
        self._cached: tuple[str, float, LiveMembership] | None = None
        self._lock = threading.Lock()

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
        """Membership at most about ``interval`` seconds old. Only the first ask for a version waits
        for the store; after that a stale answer is served while a background thread reads the next."""
        cached = self._cached
        if cached is None or cached[0] != served.name or self.interval == 0:  # 0: always as of now
            with self._lock:
                return self._refresh(served)
        if time.monotonic() >= cached[1] and self._lock.acquire(blocking=False):
            threading.Thread(target=self._refresh_and_release, args=(served,), name="vitrine-live-segments",
                             daemon=True).start()
        return cached[2]

    def _refresh_and_release(self, served: Served) -> None:
        try:
            self._refresh(served)
        finally:
            self._lock.release()

    def _refresh(self, served: Served) -> LiveMembership:
        cached = self._cached
        try:
            membership = self.now(served)
        except SQLAlchemyError as exc:
            log.warning("cannot read live segments from the event store (%s); the last ones keep applying", exc)
            membership = cached[2] if cached and cached[0] == served.name else self.trained(served)
        self._cached = (served.name, time.monotonic() + self.interval, membership)
        return membership

    def trained(self, served: Served) -> LiveMembership:
        """Training's segments alone."""
        return LiveMembership(served.version.profiles, LiveEvidence(time.time()), DEFAULTS.default_window_days)

    def audiences(self, served: Served) -> Callable[[str | None], Iterable[str]]:
        """What the rules cache asks to match rule audiences on ``served``."""
        return lambda user_id: self.recent(served).segments_of(user_id)

    def forget(self) -> None:
        """Drop the cached answer (after an erasure on this worker)."""
        self._cached = None


def _definitions(served: Served) -> dict:
    profiles = served.version.profiles
    return profiles.summary.get("definitions", {}) if profiles is not None else {}



def live_segments(settings: Mapping[str, Any]) -> LiveSegments:
    """Live segments over the event store ``settings`` name (``vitrine export --segment``)."""
    return LiveSegments(EventStore(database_url(settings)), settings["CART_ABANDON_MINUTES"],
                        settings["CART_ABANDON_HOURS"], settings["LIVE_REFRESH_INTERVAL"])

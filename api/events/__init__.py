"""The live loop's server side: events in (``POST /v1/events``), kept in the event store, read back
as visitors' sessions and live segments; erasure on request.

``install_events`` gives an app its :class:`Events`: the store (same database as the rules), the
per-worker group commit every write goes through, the rate limits of the events endpoint and the
live segments, which it also hands to the rules cache for rule audiences. Call it after
``install_rules``.

Rate limits count with ``limits`` (the library under flask-limiter, with the same storage backends:
``memory://`` per worker, ``redis://`` shared), called from the events view only: flask-limiter's
own hook inspects every request of every endpoint, which cost a fifth of an event request's time.
"""
from __future__ import annotations

import time

from flask import Flask, current_app, request
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter, RateLimiter

from recommender.customers import SECONDS_PER_DAY
from recommender.engine import SessionEvent

from api.errors import APIError
from api.events.popularity import LivePopularity
from api.events.segments import LiveSegments, live_segments
from api.events.store import Appended, EventStore
from api.events.writer import GroupCommit
from api.rules.cache import KEY as RULES_KEY, rules_cache

KEY = "vitrine_events"


class Events:
    """One worker's access to the event store."""

    def __init__(self, store: EventStore, counter: RateLimiter, limits: tuple[str, str], session_minutes: float,
                 segments: LiveSegments) -> None:
        """``limits``: events per visitor and requests per origin, in ``limits`` notation ("" for none)."""
        self.store = store
        self.counter = counter
        self.segments = segments
        self.visitor_limit, self.origin_limit = (parse(limit) if limit else None for limit in limits)
        self.session_seconds = session_minutes * 60.0
        self.writer: GroupCommit[Appended] = GroupCommit(store.append)

    def write(self, rows: list[dict]) -> Appended:
        """Commit ``rows``; returns only once they are durable."""
        return self.writer.write(rows)

    def erase(self, kind: str, subject: str, actor: str) -> int:
        """Delete a customer's or visitor's events; this worker stops answering from what the served
        model learned of them at once (the others within ``RULES_REFRESH_INTERVAL``)."""
        deleted = self.store.erase(kind, subject, actor)
        rules_cache().refresh(force=True)
        self.segments.forget()
        return deleted

    def check_origin(self) -> None:
        """Count the request against its origin's limit; 429 when over it."""
        origin = request.headers.get("Origin") or request.remote_addr or "unknown"
        if self.origin_limit is not None and not self.counter.hit(self.origin_limit, "events-origin", origin):
            raise self._refused(self.origin_limit, "events-origin", origin, f"origin {origin[:100]!r} sent more than "
                                f"{self.origin_limit} requests", None)

    def check_visitors(self, rows: list[dict]) -> None:
        """Count each event against its sender's limit; 429 naming the first one over it."""
        if self.visitor_limit is None:
            return
        senders: dict[str, int] = {}
        for row in rows:
            sender = row["visitor_id"] or row["user_id"]
            senders[sender] = senders.get(sender, 0) + 1
        for sender, cost in senders.items():
            if not self.counter.hit(self.visitor_limit, "events", sender, cost=cost):
                raise self._refused(self.visitor_limit, "events", sender,
                                    f"{sender[:100]!r} sent more than {self.visitor_limit} events", "visitor_id")

    def _refused(self, limit: RateLimitItem, scope: str, key: str, message: str, field: str | None) -> APIError:
        reset = self.counter.get_window_stats(limit, scope, key).reset_time
        return APIError(429, "rate_limited", message, field, {"Retry-After": str(max(1, int(reset - time.time()) + 1))})

    def session(self, visitor_id: str | None = None, user_id: str | None = None) -> list[SessionEvent]:
        """The person's events of the last ``SESSION_MINUTES`` as the engine's session, oldest first;
        an item taken out of the cart loses its earlier cart events (its views stay)."""
        if self.session_seconds <= 0:
            return []
        now = time.time()
        rows = self.store.recent(now - self.session_seconds, visitor_id, user_id)
        removed: dict[str, int] = {}
        for position, (item, kind, _) in enumerate(rows):
            if kind == "remove_from_cart":
                removed[item] = position
        return [SessionEvent(item, kind, max(0.0, now - at) / SECONDS_PER_DAY)
                for position, (item, kind, at) in enumerate(rows)
                if kind != "remove_from_cart" and not (kind == "cart" and position < removed.get(item, -1))]


def install_events(app: Flask) -> Events:
    """Open the event store (migrating it) and the limiter, and give the app its ``Events``."""
    counter = FixedWindowRateLimiter(storage_from_string(app.config["RATELIMIT_STORAGE_URI"]))
    limits = (app.config["EVENTS_VISITOR_LIMIT"], app.config["EVENTS_ORIGIN_LIMIT"])
    segments = live_segments(app.config)
    store = segments.store
    events = Events(store, counter, limits, app.config["SESSION_MINUTES"], segments)
    app.extensions[RULES_KEY].audiences = segments.audiences
    app.extensions[RULES_KEY].popularity = LivePopularity(store, app.config["FRESHNESS_INTERVAL"])
    app.extensions[KEY] = events
    return events


def events() -> Events:
    return current_app.extensions[KEY]

"""Live "waiting" segments a storefront acts on quickly; a customer may be in several, besides a stage.

- ``cart_abandoner``: carted something in the last ``cart_days`` days and bought nothing since
  their last cart event;
- ``browsing_interest``: viewed one category at least ``browse_min_views`` times in the last
  ``browse_days`` days without buying in it in that time; the most viewed such category is kept.

Training computes both (and the lifecycle stages) as of the data's end; ``LiveMembership`` brings
them up to date with what the service's event store holds since (``api/events/segments.py``).
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import numpy as np

from .customers import CART, PURCHASE, SECONDS_PER_DAY, VIEW, CustomerEvents
from .lifecycle import STAGES, LifecycleConfig

if TYPE_CHECKING:
    from .profiles import CustomerProfiles

LIVE_SEGMENTS = ("cart_abandoner", "browsing_interest")
NO_CATEGORY = -1


def cart_abandoners(events: CustomerEvents, last_purchase_time: np.ndarray, as_of: float,
                    config: LifecycleConfig) -> np.ndarray:
    """One bool per customer; ``last_purchase_time`` is NaN for customers who never bought."""
    carts = events.event == CART
    last_cart = np.full(events.n_users, -np.inf)
    np.maximum.at(last_cart, events.user[carts], events.time[carts])
    recent = (last_cart >= as_of - config.cart_days * SECONDS_PER_DAY) & (last_cart <= as_of)
    return recent & ~(np.nan_to_num(last_purchase_time, nan=-np.inf) >= last_cart)


def browsing_interest(events: CustomerEvents, as_of: float, config: LifecycleConfig) -> np.ndarray:
    """The category each customer keeps browsing without buying, ``NO_CATEGORY`` (-1) for none."""
    recent = (events.time >= as_of - config.browse_days * SECONDS_PER_DAY) & (events.time <= as_of)
    n_categories = max(events.n_categories, 1)
    key = events.user.astype(np.int64) * n_categories + events.item_category[events.item]
    views, counts = np.unique(key[recent & (events.event == VIEW)], return_counts=True)
    bought = np.unique(key[recent & (events.event == PURCHASE)])
    keep = (counts >= config.browse_min_views) & ~np.isin(views, bought)
    views, counts = views[keep], counts[keep]
    order = np.lexsort((views % n_categories, -counts, views // n_categories))
    views = views[order]
    users = views // n_categories
    first = np.ones(len(users), dtype=bool)
    first[1:] = users[1:] != users[:-1]
    out = np.full(events.n_users, NO_CATEGORY, dtype=np.int32)
    out[users[first]] = (views[first] % n_categories).astype(np.int32)
    return out


# ---- live membership: the trained segments brought up to date by the events stored since ----------
@dataclass(frozen=True)
class Evidence:
    """One stored event that puts a customer in a segment (the "why")."""

    user_id: str
    event_id: str
    type: str
    item_id: str
    at: float
    category: str | None = None

    def why(self) -> dict:
        why = {"event_id": self.event_id, "type": self.type, "item_id": self.item_id, "at": _iso(self.at)}
        return why | ({"category": self.category} if self.category else {})


@dataclass(frozen=True)
class StoreOrders:
    """A customer's purchases stored since the model's data ended."""

    orders: int
    spend: float
    first: Evidence
    categories: frozenset[str]


@dataclass(frozen=True)
class LiveEvidence:
    """What the event store says now: who abandoned a cart (the cart event), who keeps browsing a
    category (the view that reached the threshold), and who bought since the model's data ended."""

    as_of: float
    abandoned_carts: tuple[Evidence, ...] = ()
    browsing: tuple[Evidence, ...] = ()
    orders: Mapping[str, StoreOrders] = field(default_factory=dict)


@dataclass(frozen=True)
class Member:
    user_id: str
    segment: str
    since: float | None  # None: known from training (``why`` says so)
    why: dict
    category: str | None = None

    def to_dict(self) -> dict:
        answer = {"segment": self.segment, "since": _iso(self.since) if self.since is not None else None,
                  "why": self.why}
        return answer | ({"category": self.category} if self.category else {})


BACK_TO_ACTIVE = ("prospect", "first_time", "at_risk", "lapsed")


class LiveMembership:
    """Segments as of now: the stored events' members first (newest first), then training's members
    that no newer event took out. A purchase since training takes a customer out of
    ``cart_abandoner``, out of ``browsing_interest`` for that category, and moves their stage: to
    ``first_time`` for a first order within ``first_time_days``, else from prospect, first-time,
    at-risk or lapsed to ``active`` (heroes stay heroes)."""

    def __init__(self, profiles: "CustomerProfiles | None", evidence: LiveEvidence, first_time_days: float) -> None:
        self.profiles = profiles
        self.evidence = evidence
        self.first_time_days = first_time_days
        self._live: dict[str, dict[str, Member]] = {name: {} for name in (*LIVE_SEGMENTS, "first_time", "active")}
        self._taken: dict[str, set[str]] = {}
        for member in self._store_members():
            self._live[member.segment].setdefault(member.user_id, member)

    def stage_of(self, user_id: str) -> str:
        for stage in ("first_time", "active"):
            if user_id in self._live[stage]:
                return stage
        return self._trained_stage(user_id)

    def _trained_stage(self, user_id: str) -> str:
        index = self._index(user_id)
        return STAGES[int(self.profiles.arrays["stage"][index])] if index >= 0 else "prospect"

    def memberships(self, user_id: str) -> list[Member]:
        """The live segments a customer is in, with since when and why."""
        found = []
        for name in LIVE_SEGMENTS:
            member = self._live[name].get(user_id) or self._trained_member(name, user_id)
            if member is not None:
                found.append(member)
        return found

    def segments_of(self, user_id: str | None) -> tuple[str, ...]:
        """What rule audiences match: the stage first, then the live segments."""
        if user_id is None:
            return ("prospect",)
        index = self._index(user_id)
        community = self.profiles.community(index) if index >= 0 else None
        return (self.stage_of(user_id), *(member.segment for member in self.memberships(user_id)),
                *((community["audience"],) if community else ()))

    def members(self, name: str) -> list[Member]:
        """Segment or stage ``name``: stored-event members (newest first), then training's (highest
        predicted value first) that are still in it."""
        live = sorted(self._live.get(name, {}).values(), key=lambda m: (-(m.since or 0.0), m.user_id))
        why = self._trained_why()
        trained = [Member(str(self.profiles.user_ids[index]), name, None, why,
                          self._browsed(index) if name == "browsing_interest" else None)
                   for index in self._still_trained(name)]
        return live + trained

    def count(self, name: str) -> int:
        """How many ``members(name)`` there are, without listing them."""
        return len(self._live.get(name, {})) + len(self._still_trained(name))

    def _still_trained(self, name: str) -> np.ndarray:
        """Training's members of ``name`` (user indices, best first) that no stored event took out
        and that the stored events do not already list."""
        if self.profiles is None:
            return np.array([], dtype=np.int64)
        indices = self.profiles.members(name)
        gone = set(self._live.get(name, {})) | self._taken_out(name)
        if not gone:
            return indices
        return indices[~np.isin(self.profiles.user_ids[indices], np.array(sorted(gone), dtype=object))]

    def _taken_out(self, name: str) -> set[str]:
        """Customers whose stored events took them out of training's ``name`` (worked out once)."""
        if name not in self._taken:
            self._taken[name] = self._find_taken_out(name)
        return self._taken[name]

    def _find_taken_out(self, name: str) -> set[str]:
        if name == "cart_abandoner":
            return set(self.evidence.orders)
        if name == "browsing_interest":
            return {user for user, orders in self.evidence.orders.items()
                    if self._index(user) >= 0 and self._browsed(self._index(user)) in orders.categories}
        if name in STAGES:
            return set(self._live["first_time"]) | set(self._live["active"])
        return set()  # communities: behaviour, not a state the events change

    def _browsed(self, index: int) -> str | None:
        category = int(self.profiles.arrays["browsing_category"][index])
        return None if category == NO_CATEGORY else str(self.profiles.category_names[category])

    def _trained_member(self, name: str, user_id: str) -> Member | None:
        index = self._index(user_id)
        if index < 0 or name not in self.profiles.segments_of(user_id)[1:] or user_id in self._taken_out(name):
            return None
        category = self._browsed(index) if name == "browsing_interest" else None
        return Member(user_id, name, None, self._trained_why(), category)

    def _store_members(self) -> Iterator[Member]:
        for cart in self.evidence.abandoned_carts:
            yield Member(cart.user_id, "cart_abandoner", cart.at, cart.why())
        for view in self.evidence.browsing:
            yield Member(view.user_id, "browsing_interest", view.at, view.why(), view.category)
        for user, orders in self.evidence.orders.items():
            first_ever = self._index(user) < 0 or int(self.profiles.arrays["orders"][self._index(user)]) == 0
            recent = orders.first.at >= self.evidence.as_of - self.first_time_days * SECONDS_PER_DAY
            if first_ever and orders.orders == 1 and recent:
                yield Member(user, "first_time", orders.first.at, orders.first.why())
            elif self._trained_stage(user) in BACK_TO_ACTIVE:
                yield Member(user, "active", orders.first.at, orders.first.why())

    def _trained_why(self) -> dict:
        as_of = self.profiles.summary.get("as_of") if self.profiles is not None else None
        return {"source": "training", "as_of": as_of}

    def _index(self, user_id: str) -> int:
        return self.profiles.index_of(user_id) if self.profiles is not None else -1


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")

"""What flows along the request path: the candidates, what a re-ranker may look at, and the answer."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class Pick:
    item_id: str
    score: float
    reason: str
    source: str


@dataclass(frozen=True)
class Answer:
    picks: list[Pick]
    strategy: str


@dataclass(frozen=True)
class SessionEvent:
    item_id: str
    event: str
    age_days: float = 0.0


@dataclass(frozen=True)
class Candidates:
    """Scored item indices, best first, with the signal that put each one there."""

    items: np.ndarray
    scores: np.ndarray
    sources: np.ndarray
    fallback: np.ndarray | None = None  # True for popular items added only to fill the list

    def __len__(self) -> int:
        return len(self.items)

    @property
    def tiers(self) -> np.ndarray:
        """0 for candidates, 1 for fill-up items: re-ranking never lifts a fill-up item above a candidate."""
        return np.zeros(len(self.items), np.int8) if self.fallback is None else self.fallback.astype(np.int8)

    def take(self, keep: np.ndarray) -> "Candidates":
        fallback = None if self.fallback is None else self.fallback[keep]
        return Candidates(self.items[keep], self.scores[keep], self.sources[keep], fallback)


@dataclass(frozen=True)
class RequestContext:
    """What a re-ranker may look at: where the list is shown, for whom and when.

    ``exclude`` are items the list must not hold (the anchor item, the basket, recent purchases);
    ``now`` is seconds since the epoch (``None``: the current time); ``segments`` are the
    customer segments the visitor belongs to, for rules aimed at an audience.
    """

    placement: str | None = None
    user_id: str | None = None
    known_user: bool = False
    exclude: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))
    now: float | None = None
    segments: frozenset[str] = frozenset()


class Reranker(Protocol):
    def apply(self, candidates: Candidates, context: RequestContext) -> Candidates: ...


@dataclass(frozen=True)
class PurchaseRule:
    """Whether a placement leaves out what the user bought, and after how many days an item may come
    back (``None``: never)."""

    exclude: bool = True
    after_days: float | None = None


@runtime_checkable
class PlacementPolicy(Protocol):
    """A re-ranker that also decides, per placement, which past purchases are left out and which
    strategy makes the list (``recommender.rules.STRATEGIES``)."""

    def purchase_rule(self, placement: str | None) -> PurchaseRule: ...

    def strategy(self, placement: str | None) -> str: ...


class KeepAll:
    """The re-ranker used when no business rules are configured."""

    def apply(self, candidates: Candidates, context: RequestContext) -> Candidates:
        return candidates

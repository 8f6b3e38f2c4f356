"""The audiences a rule may target: ``known`` and ``anonymous`` visitors, the customer lifecycle
stages and live segments (``first_time``, ``hero``, ``cart_abandoner``…), the communities a model
version found (``community:coffee-tea``), plus any segment registered through ``register_audiences``. A request lists the visitor's segments in
``RequestContext.segments``. A rule naming an audience that is not registered is refused.
"""
from __future__ import annotations

import re

from ..communities import COMMUNITY_PATTERN
from ..profiles import audiences as customer_segments

BUILT_IN = ("known", "anonymous")
_registered: dict[str, None] = dict.fromkeys((*BUILT_IN, *customer_segments()))


def register_audiences(*names: str) -> None:
    """Make ``names`` valid rule audiences (idempotent)."""
    for name in names:
        if not isinstance(name, str) or not name:
            raise ValueError(f"an audience name must be a non-empty string, got {name!r}")
        _registered[name] = None


def known_audiences() -> tuple[str, ...]:
    return tuple(_registered)


def is_audience(name: str) -> bool:
    """A registered audience, or a community (``community:<slug>``, which each model version names)."""
    return name in _registered or re.fullmatch(COMMUNITY_PATTERN, name) is not None


def matches(audience: str | None, known_user: bool, segments: frozenset[str]) -> bool:
    """Does a visitor (known or not, in ``segments``) belong to ``audience`` (``None`` = everyone)?"""
    if audience is None:
        return True
    if audience in BUILT_IN:
        return known_user == (audience == "known")
    return audience in segments

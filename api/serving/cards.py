"""What an answer shows of each item besides its id: title, category, price, product page and image.

Built once per model version (and again when catalog updates change an item), so that an answer
costs one dictionary lookup per item.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from recommender.rules.items import is_link

MEDIA_COLUMNS = ("url", "image_url")  # catalog columns every answer passes through (None where absent)


class Card(NamedTuple):
    title: str
    category: str
    price: float | None
    url: str | None = None
    image_url: str | None = None


def unknown_card(item_id: str) -> Card:
    """The card of an item the catalog does not describe: its id as the title."""
    return Card(item_id, "", None)


def item_cards(labels: Mapping[str, tuple[str, str]], catalog: Mapping[str, dict],
               updates: Mapping[str, dict] | None = None) -> dict[str, Card]:
    """Each labelled item's card. Price, url and image are a catalog update's (``PUT
    /v1/catalog/items``) where there is one, else the catalog snapshot's; ``None`` where neither
    holds one."""
    updates = updates or {}
    cards = {}
    for item, (title, category) in labels.items():
        record = {**catalog.get(item, {}), **updates.get(item, {})}
        cards[item] = Card(title, category, _price(record.get("price")),
                           *(_link(record.get(column)) for column in MEDIA_COLUMNS))
    return cards


def _price(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value else None


def safe_link(value: object) -> bool:
    """An http(s) URL or site path. Anything else (a version trained before links were checked
    could hold ``javascript:``) stays out of every ``href`` and ``src``: of answers here, and of
    pages showing catalog rows through the ``link`` template test."""
    return isinstance(value, str) and is_link(value)


def _link(value: object) -> str | None:
    return value if safe_link(value) else None

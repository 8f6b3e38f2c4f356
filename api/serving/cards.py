"""What an answer shows of each item besides its id: title, category and price.

Built once per model version (and again when catalog updates change a price), so that an answer
costs one dictionary lookup per item.
"""
from __future__ import annotations

from collections.abc import Mapping

Card = tuple[str, str, "float | None"]  # title, category, price


def item_cards(labels: Mapping[str, tuple[str, str]], catalog: Mapping[str, dict],
               updates: Mapping[str, dict] | None = None) -> dict[str, Card]:
    """Each labelled item's card. The price is a catalog update's (``PUT /v1/catalog/items``) if
    there is one, else the catalog snapshot's; ``None`` when neither holds a number."""
    updates = updates or {}
    return {item: (title, category, _price(updates.get(item, {}).get("price", catalog.get(item, {}).get("price"))))
            for item, (title, category) in labels.items()}


def _price(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value else None

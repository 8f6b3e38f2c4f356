"""Engine answers as the JSON the API (and ``vitrine export``) send: external ids, labels, reasons."""
from __future__ import annotations

from flask import current_app, has_app_context

from recommender.engine import Answer, Pick

from api.serving.cards import Card
from api.serving.model_store import Served
from api.rules.cache import KEY as RULES_KEY


def cards_for(served: Served) -> dict[str, Card]:
    """What a widget shows of each item. Prices come from catalog updates (``PUT
    /v1/catalog/items``) over the model's catalog snapshot; the rules cache keeps them per version."""
    if has_app_context() and RULES_KEY in current_app.extensions:
        return current_app.extensions[RULES_KEY].cards(served)
    return served.cards


def pick_fields(cards: dict[str, Card], pick: Pick) -> dict:
    title, category, price = cards.get(pick.item_id, (pick.item_id, "", None))
    return {"item_id": pick.item_id, "score": round(pick.score, 6), "title": title, "category": category,
            "price": price, "reason": pick.reason}


def listing(served: Served, answer: Answer, cards: dict[str, Card] | None = None) -> dict:
    """``{"items": [...], "strategy", "model_version"}``: the shape of every list answer. ``cards``
    default to the request's (:func:`cards_for`); a streamed answer passes the ones it started with."""
    cards = cards_for(served) if cards is None else cards
    return {"items": [pick_fields(cards, pick) for pick in answer.picks], "strategy": answer.strategy,
            "model_version": served.name}


def user_line(served: Served, user_id: str, answer: Answer, cards: dict[str, Card] | None = None) -> dict:
    """One line of a batch answer or of a JSON-lines export."""
    return {"user_id": user_id, **listing(served, answer, cards)}


def partner_fields(served: Served, anchor_title: str, partner: dict) -> dict:
    """A bought-together partner: the list item fields plus its association-rule numbers."""
    title, category, price = cards_for(served).get(partner["item_id"], (partner["item_id"], "", None))
    return {"item_id": partner["item_id"], "score": round(partner["lift"], 6), "title": title,
            "category": category, "price": price,
            "reason": f"bought together with {anchor_title}",
            "support": round(partner["support"], 6), "confidence": round(partner["confidence"], 6),
            "lift": round(partner["lift"], 6)}

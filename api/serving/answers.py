"""Engine answers as the JSON the API (and ``vitrine export``) send: external ids, labels, reasons."""
from __future__ import annotations

import hashlib
import os

from flask import current_app, has_app_context

from recommender.engine import Answer, Pick
from recommender.experiments import Assigned

from api.serving.cards import Card, unknown_card
from api.serving.model_store import Served
from api.rules.cache import KEY as RULES_KEY


def cards_for(served: Served) -> dict[str, Card]:
    """What a widget shows of each item. Prices come from catalog updates (``PUT
    /v1/catalog/items``) over the model's catalog snapshot; the rules cache keeps them per version."""
    if has_app_context() and RULES_KEY in current_app.extensions:
        return current_app.extensions[RULES_KEY].cards(served)
    return served.cards


def pick_fields(cards: dict[str, Card], pick: Pick) -> dict:
    card = cards.get(pick.item_id) or unknown_card(pick.item_id)
    return {"item_id": pick.item_id, "score": round(pick.score, 6), "title": card.title, "category": card.category,
            "price": card.price, "url": card.url, "image_url": card.image_url, "reason": pick.reason}


def listing(served: Served, answer: Answer, cards: dict[str, Card] | None = None,
            assigned: Assigned | None = None, list_id: str | None = None) -> dict:
    """``{"items": [...], "strategy", "model_version", "recommendation_id", "experiment_id",
    "variant"}``: the shape of every list answer. ``cards`` default to the request's
    (:func:`cards_for`); a streamed answer passes the ones it started with. The recommendation id
    is new for every list unless ``list_id`` gives it: impressions, clicks and e-mail clicks report it
    back (``POST /v1/events``)."""
    cards = cards_for(served) if cards is None else cards
    return {"items": [pick_fields(cards, pick) for pick in answer.picks], "strategy": answer.strategy,
            "model_version": served.name, "recommendation_id": list_id or recommendation_id(),
            "experiment_id": assigned.experiment_id if assigned else None,
            "variant": assigned.variant if assigned else None}


def recommendation_id() -> str:
    """64 random bits as 16 hex digits: unique enough to join a click to its list."""
    return os.urandom(8).hex()


def export_recommendation_id(served: Served, placement: str | None, user_id: str) -> str:
    """An export's list id: the same for a customer, placement and model version, so exporting twice
    (or in parallel parts) writes the same file."""
    return hashlib.sha256(f"{served.name}\x1f{placement or ''}\x1f{user_id}".encode()).hexdigest()[:16]


def user_line(served: Served, user_id: str, answer: Answer, cards: dict[str, Card] | None = None,
              assigned: Assigned | None = None, list_id: str | None = None) -> dict:
    """One line of a batch answer or of a JSON-lines export."""
    return {"user_id": user_id, **listing(served, answer, cards, assigned, list_id)}


def partner_fields(served: Served, anchor_title: str, partner: dict) -> dict:
    """A bought-together partner: the list item fields plus its association-rule numbers."""
    card = cards_for(served).get(partner["item_id"]) or unknown_card(partner["item_id"])
    return {"item_id": partner["item_id"], "score": round(partner["lift"], 6), "title": card.title,
            "category": card.category, "price": card.price, "url": card.url, "image_url": card.image_url,
            "reason": f"bought together with {anchor_title}",
            "support": round(partner["support"], 6), "confidence": round(partner["confidence"], 6),
            "lift": round(partner["lift"], 6)}

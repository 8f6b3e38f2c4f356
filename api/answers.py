"""Engine answers as the JSON the API (and ``vitrine export``) send: external ids, labels, reasons."""
from __future__ import annotations

from flask import current_app, has_app_context

from recommender.engine import Answer, Pick

from .model_store import Served
from .rules_cache import KEY as RULES_KEY


def item_price(served: Served, item_id: str) -> float | None:
    """The price a widget shows: a catalog update's (``PUT /v1/catalog/items``) if there is one, else
    the model's catalog snapshot's; ``None`` when neither has one."""
    updates = current_app.extensions[RULES_KEY].items if has_app_context() and RULES_KEY in current_app.extensions \
        else {}
    price = updates.get(item_id, {}).get("price", served.version.catalog.get(item_id, {}).get("price"))
    return float(price) if isinstance(price, (int, float)) and not isinstance(price, bool) and price == price else None


def pick_fields(served: Served, pick: Pick) -> dict:
    title, category = served.labels.get(pick.item_id, (pick.item_id, ""))
    return {"item_id": pick.item_id, "score": round(pick.score, 6), "title": title, "category": category,
            "price": item_price(served, pick.item_id), "reason": pick.reason}


def listing(served: Served, answer: Answer) -> dict:
    """``{"items": [...], "strategy", "model_version"}``: the shape of every list answer."""
    return {"items": [pick_fields(served, pick) for pick in answer.picks], "strategy": answer.strategy,
            "model_version": served.name}


def user_line(served: Served, user_id: str, answer: Answer) -> dict:
    """One line of a batch answer or of a JSON-lines export."""
    return {"user_id": user_id, **listing(served, answer)}


def partner_fields(served: Served, anchor_title: str, partner: dict) -> dict:
    """A bought-together partner: the list item fields plus its association-rule numbers."""
    title, category = served.labels.get(partner["item_id"], (partner["item_id"], ""))
    return {"item_id": partner["item_id"], "score": round(partner["lift"], 6), "title": title,
            "category": category, "price": item_price(served, partner["item_id"]),
            "reason": f"bought together with {anchor_title}",
            "support": round(partner["support"], 6), "confidence": round(partner["confidence"], 6),
            "lift": round(partner["lift"], 6)}

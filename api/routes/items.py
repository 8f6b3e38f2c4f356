"""Item-to-item answers: related products and products bought together."""
from __future__ import annotations

from flask import Blueprint, request

from recommender.errors import UnknownItemError

from ..answers import listing, partner_fields
from ..errors import APIError
from ..extension import served_model
from ..model_store import Served
from ..validation import query_n, query_placement

bp = Blueprint("items", __name__, url_prefix="/v1/items")


def _check_item(served: Served, item_id: str) -> None:
    try:
        served.engine.item(item_id)
    except UnknownItemError:
        raise APIError(404, "unknown_item", f"item {item_id[:100]!r} is not in model version {served.name}",
                       "item_id") from None


@bp.get("/<path:item_id>/related")
def related(item_id: str) -> dict:
    n, placement = query_n(request.args), query_placement(request.args)
    served = served_model()
    _check_item(served, item_id)
    return listing(served, served.engine.related_items(item_id, n, placement))


@bp.get("/<path:item_id>/bought-together")
def bought_together(item_id: str) -> dict:
    """Association-rule partners with support, confidence and lift; may be empty."""
    n = query_n(request.args)
    served = served_model()
    _check_item(served, item_id)
    anchor_title = served.labels.get(item_id, (item_id, ""))[0]
    items = [partner_fields(served, anchor_title, partner) for partner in served.engine.bought_together(item_id, n)]
    return {"items": items, "strategy": "bought_together", "model_version": served.name}

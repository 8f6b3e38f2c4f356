"""Item-to-item answers: related products and products bought together."""
from __future__ import annotations

from flask import Blueprint, request

from recommender.errors import UnknownItemError

from api.serving.answers import listing, partner_fields
from api.errors import APIError
from api.extension import served_model
from api.serving.model_store import Served
from api.rules.notes import with_rule_notes
from api.experiments import answering_engine
from api.rules.cache import rules_cache
from api.schema.validation import query_bool, query_n, query_placement, query_text

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
    debug = query_bool(request.args, "debug", False)
    served = served_model()
    _check_item(served, item_id)
    engine, assigned = answering_engine(served, placement, query_text(request.args, "visitor_id"))
    body = listing(served, engine.related_items(item_id, n, placement), assigned=assigned)
    return with_rule_notes(body, engine, placement) if debug else body


@bp.get("/<path:item_id>/bought-together")
def bought_together(item_id: str) -> dict:
    """Association-rule partners with support, confidence and lift; may be empty."""
    n, placement = query_n(request.args), query_placement(request.args)
    debug = query_bool(request.args, "debug", False)
    served = served_model()
    _check_item(served, item_id)
    engine = rules_cache().engine(served)
    anchor_title = served.labels.get(item_id, (item_id, ""))[0]
    items = [partner_fields(served, anchor_title, partner) for partner in engine.bought_together(item_id, n, placement)]
    body = {"items": items, "strategy": "bought_together", "model_version": served.name}
    return with_rule_notes(body, engine, placement) if debug else body

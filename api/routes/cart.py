"""Complements for a whole basket."""
from __future__ import annotations

from flask import Blueprint, request

from api.serving.answers import listing
from api.extension import served_model, vitrine
from api.rules.notes import with_rule_notes
from api.experiments import answering_engine
from api.schema.models import CartRequest
from api.schema.validation import parse_body, query_bool, query_text

bp = Blueprint("cart", __name__, url_prefix="/v1/cart")


@bp.post("/complements")
def complements() -> dict:
    """What goes with the basket's items; unknown items are ignored, an empty basket gets popular items."""
    asked = parse_body(CartRequest)
    debug = query_bool(request.args, "debug", False)
    served = served_model()
    engine, assigned = answering_engine(served, asked.placement, query_text(request.args, "visitor_id"))
    answer = engine.cart_complements(asked.items, asked.n, asked.placement)
    vitrine().metrics.count_fallbacks([answer.strategy])
    body = listing(served, answer, assigned=assigned)
    return with_rule_notes(body, engine, asked.placement) if debug else body

"""Complements for a whole basket."""
from __future__ import annotations

from flask import Blueprint

from ..answers import listing
from ..extension import served_model, vitrine
from ..validation import MAX_CART_ITEMS, body_id_list, body_n, body_placement, json_body

bp = Blueprint("cart", __name__, url_prefix="/v1/cart")


@bp.post("/complements")
def complements() -> dict:
    """What goes with the basket's items; unknown items are ignored, an empty basket gets popular items."""
    body = json_body()
    items = body_id_list(body, "items", MAX_CART_ITEMS)
    n, placement = body_n(body), body_placement(body)
    served = served_model()
    answer = served.engine.cart_complements(items, n, placement)
    vitrine().metrics.count_fallbacks([answer.strategy])
    return listing(served, answer)

"""Best sellers, overall or in one category, optionally trending (recent popularity)."""
from __future__ import annotations

from flask import Blueprint, request

from api.serving.answers import listing
from api.errors import APIError
from api.extension import served_model
from api.rules.notes import with_rule_notes
from api.experiments import answering_engine
from api.schema.validation import query_bool, query_n, query_placement, query_text

bp = Blueprint("popular", __name__, url_prefix="/v1/popular")


@bp.get("")
def popular() -> dict:
    n, placement = query_n(request.args), query_placement(request.args)
    category = query_text(request.args, "category")
    trending = query_bool(request.args, "trending", False)
    debug = query_bool(request.args, "debug", False)
    served = served_model()
    if category is not None and category not in served.engine.category_index:
        raise APIError(404, "unknown_category", f"category {category[:100]!r} is not in model version "
                       f"{served.name}", "category")
    engine, assigned = answering_engine(served, placement, query_text(request.args, "visitor_id"))
    body = listing(served, engine.popular(n, category, trending, placement), assigned=assigned)
    return with_rule_notes(body, engine, placement) if debug else body

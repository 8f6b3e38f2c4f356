"""Picks for a visitor, from what they did in this session as the event store holds it."""
from __future__ import annotations

from flask import Blueprint, request

from api.events import events
from api.experiments import answering_engine
from api.extension import served_model, vitrine
from api.rules.notes import with_rule_notes
from api.schema.validation import query_bool, query_n, query_placement
from api.serving.answers import listing

bp = Blueprint("visitors", __name__, url_prefix="/v1/visitors")


@bp.get("/<path:visitor_id>/recommendations")
def recommendations(visitor_id: str) -> dict:
    """The visitor's events of the last ``SESSION_MINUTES`` (and, once they logged in, the
    customer's history) folded into picks; a visitor with no events gets best sellers."""
    n, placement = query_n(request.args), query_placement(request.args)
    exclude_purchased = query_bool(request.args, "exclude_purchased", True)
    debug = query_bool(request.args, "debug", False)
    served = served_model()
    engine, assigned = answering_engine(served, placement, visitor_id)
    live = events()
    user_id = live.store.user_of(visitor_id)
    answer = engine.recommend_session(live.session(visitor_id, user_id), user_id, n, exclude_purchased, placement)
    vitrine().metrics.count_fallbacks([answer.strategy])
    body = listing(served, answer, assigned=assigned)
    return with_rule_notes(body, engine, placement, user_id) if debug else body

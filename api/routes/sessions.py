"""Picks for a live session: anonymous visitors, or known users with what they just did."""
from __future__ import annotations

from flask import Blueprint, request

from api.serving.answers import listing
from api.extension import served_model, vitrine
from api.rules.notes import with_rule_notes
from api.rules.cache import rules_cache
from api.schema.validation import (body_bool, body_n, body_optional_id, body_placement, json_body, query_bool,
                          session_events)

bp = Blueprint("sessions", __name__, url_prefix="/v1/recommendations")


@bp.post("")
def recommend_session() -> dict:
    """Fold the session's events (unknown items ignored) and the user's history into picks."""
    body = json_body()
    user_id = body_optional_id(body, "user_id")
    events = session_events(body)
    n, placement = body_n(body), body_placement(body)
    exclude_purchased = body_bool(body, "exclude_purchased", True)
    debug = query_bool(request.args, "debug", False)
    served = served_model()
    engine = rules_cache().engine(served)
    answer = engine.recommend_session(events, user_id, n, exclude_purchased, placement)
    vitrine().metrics.count_fallbacks([answer.strategy])
    body = listing(served, answer)
    return with_rule_notes(body, engine, placement, user_id) if debug else body

"""Picks for a live session: anonymous visitors, or known users with what they just did."""
from __future__ import annotations

from flask import Blueprint, request

from api.serving.answers import listing
from api.extension import served_model, vitrine
from api.rules.notes import with_rule_notes
from api.experiments import answering_engine
from api.schema.models import SessionRequest
from api.schema.validation import parse_body, query_bool, query_text

bp = Blueprint("sessions", __name__, url_prefix="/v1/recommendations")


@bp.post("")
def recommend_session() -> dict:
    """Fold the session's events (unknown items ignored) and the user's history into picks."""
    asked = parse_body(SessionRequest)
    debug = query_bool(request.args, "debug", False)
    served = served_model()
    unit = query_text(request.args, "visitor_id") or asked.user_id
    engine, assigned = answering_engine(served, asked.placement, unit)
    answer = engine.recommend_session(asked.engine_events(), asked.user_id, asked.n, asked.exclude_purchased,
                                      asked.placement)
    vitrine().metrics.count_fallbacks([answer.strategy])
    body = listing(served, answer, assigned=assigned)
    return with_rule_notes(body, engine, asked.placement, asked.user_id) if debug else body

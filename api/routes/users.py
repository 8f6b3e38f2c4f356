"""Personalized picks and similar users for one customer id."""
from __future__ import annotations

from flask import Blueprint, request

from api.serving.answers import listing
from api.errors import APIError
from api.events import events
from api.experiments import answering_engine
from api.extension import served_model, vitrine
from api.rules.notes import with_rule_notes
from api.rules.cache import rules_cache
from api.schema.validation import query_bool, query_n, query_placement

bp = Blueprint("users", __name__, url_prefix="/v1/users")


@bp.get("/<path:user_id>/recommendations")
def recommendations(user_id: str) -> dict:
    """Personalized picks, with what the customer did in the last ``SESSION_MINUTES`` folded in; a
    user the model does not know (and who did nothing lately) gets popular items, never a 404."""
    n, placement = query_n(request.args), query_placement(request.args)
    exclude_purchased = query_bool(request.args, "exclude_purchased", True)
    debug = query_bool(request.args, "debug", False)
    served = served_model()
    engine, assigned = answering_engine(served, placement, user_id)
    session = events().session(user_id=user_id)
    answer = (engine.recommend_session(session, user_id, n, exclude_purchased, placement) if session
              else engine.recommend_user(user_id, n, exclude_purchased, placement))
    vitrine().metrics.count_fallbacks([answer.strategy])
    body = listing(served, answer, assigned=assigned)
    return with_rule_notes(body, engine, placement, user_id) if debug else body


@bp.get("/<path:user_id>/similar-users")
def similar_users(user_id: str) -> dict:
    n = query_n(request.args)
    served = served_model()
    engine = rules_cache().engine(served)  # without erased customers
    if not engine.knows_user(user_id):
        raise APIError(404, "unknown_user", f"user {user_id[:100]!r} is not in model version {served.name}",
                       "user_id")
    users = [{"user_id": other, "similarity": round(similarity, 6)}
             for other, similarity in engine.similar_users(user_id, n)]
    return {"user_id": user_id, "users": users, "model_version": served.name}

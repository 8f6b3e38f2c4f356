"""Picks for up to 10,000 users in one call, streamed as one JSON line per user (NDJSON).

The body is checked before the first byte is sent, so a bad request is an ordinary 400. Users are
scored in chunks through the engine's batch path, and every line of one call comes from the same
model version even if a reload happens meanwhile. Should scoring fail midway, the stream ends with
an ``{"error": ...}`` line instead of the remaining users.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Iterator

from flask import Blueprint, Response, request
from prometheus_client import Counter

from api.serving.answers import cards_for, user_line
from api.serving.cards import Card
from api.errors import error_body
from api.extension import served_model, vitrine
from api.metrics import FALLBACK_STRATEGY
from api.serving.model_store import Served
from api.experiments import Experiments, experiments
from api.rules.cache import RulesCache, rules_cache
from api.schema.models import BatchRequest
from api.schema.validation import parse_body

CHUNK_USERS = 500
NDJSON = "application/x-ndjson"
log = logging.getLogger(__name__)

bp = Blueprint("batch", __name__, url_prefix="/v1/recommendations/batch")


@bp.post("")
def batch() -> Response:
    asked = parse_body(BatchRequest)
    served = served_model()
    cache = rules_cache()
    fallbacks = vitrine().metrics.fallbacks.labels(request.endpoint)
    lines = _lines(served, cards_for(served), cache, experiments(), fallbacks, asked.user_ids, asked.n,
                   asked.exclude_purchased, asked.placement)
    return Response(lines, mimetype=NDJSON)


def _lines(served: Served, cards: dict[str, Card], cache: RulesCache, running: Experiments, fallbacks: Counter,
           user_ids: list[str], n: int, exclude_purchased: bool, placement: str | None) -> Iterator[str]:
    """Chunks of users, each scored per variant when an experiment runs on the placement."""
    start = 0
    try:
        for start in range(0, len(user_ids), CHUNK_USERS):
            chunk = user_ids[start:start + CHUNK_USERS]
            assigned = [cache.assignment(placement, user) for user in chunk]
            running.expose_many([(a, user) for a, user in zip(assigned, chunk) if a is not None])
            answers: list = [None] * len(chunk)
            for variant in dict.fromkeys(assigned):
                positions = [i for i, a in enumerate(assigned) if a == variant]
                found = cache.engine(served, variant).recommend_users([chunk[i] for i in positions], n,
                                                                      exclude_purchased, placement)
                for i, answer in zip(positions, found):
                    answers[i] = answer
            fallbacks.inc(sum(answer.strategy == FALLBACK_STRATEGY for answer in answers))
            yield "".join(json.dumps(user_line(served, user, answer, cards, a)) + "\n"
                          for user, answer, a in zip(chunk, answers, assigned))
    except Exception:
        log.exception("batch recommendations failed after %d of %d users", start, len(user_ids))
        yield json.dumps(error_body("internal_error", f"batch stopped after {start} of {len(user_ids)} users")) + "\n"

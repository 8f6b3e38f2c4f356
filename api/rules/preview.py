"""``POST /v1/rules/preview``: answer a sample request with the stored rules, then with a draft rule
added (or put in place of the stored rule ``rule_id``), and return both lists; nothing is stored.

Body: ``{"rule": {...}, "rule_id"?: int, "request": {"kind", ...}}`` where ``kind`` is ``user``
(``user_id``), ``session`` (``session``, ``user_id``?), ``related`` or ``bought_together``
(``item_id``), ``cart`` (``items``) or ``popular`` (``category``?, ``trending``?); every kind takes
``n`` and ``placement``, and the personal ones ``exclude_purchased``.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from recommender.engine import RecommendationEngine
from recommender.errors import UnknownItemError
from recommender.rules import RuleBook, RuleReranker

from api.serving.answers import listing, partner_fields
from api.errors import APIError, bad_request
from api.extension import served_model
from api.serving.model_store import Served
from api.rules.changes import check_rule
from api.rules.notes import with_rule_notes
from api.rules.cache import rules_cache
from api.schema.limits import MAX_RULE_ID
from api.schema.rule_models import SAMPLES, CartSample, ItemSample, PopularSample, Sample, SessionSample, UserSample
from api.schema.validation import parse_body


def preview(body: Mapping[str, Any]) -> dict:
    unknown = sorted(set(body) - {"rule", "rule_id", "request"})
    if unknown:
        raise bad_request(f"unknown field {unknown[0][:64]!r}; the fields are rule, rule_id, request", unknown[0][:64])
    rule_id = _rule_id(body.get("rule_id"))
    spec = body.get("request")
    if not isinstance(spec, dict):
        raise bad_request("request must be an object describing a sample request", "request")
    served = served_model()
    rule = check_rule(body.get("rule"), rule_id, "rule.")
    cache = rules_cache()
    current = cache.reranker(served)
    book = RuleBook(tuple(r for r in current.book.rules if r.id != rule_id or not rule_id) + (rule,),
                    current.book.placements)
    after = served.engine.with_reranker(RuleReranker(book, current.table))
    return {"rule": rule.to_dict(), "before": _answer(served, cache.engine(served), spec),
            "after": _answer(served, after, spec)}


def _rule_id(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_RULE_ID:
        raise bad_request(f"rule_id must be an integer from 1 to {MAX_RULE_ID}", "rule_id")
    if rules_cache().store.rule(value) is None:
        raise APIError(404, "unknown_rule", f"rule {value} does not exist", "rule_id")
    return value


def _answer(served: Served, engine: RecommendationEngine, spec: Mapping[str, Any]) -> dict:
    """The sample request's list answer, each item with the rules that acted on it."""
    try:
        return sample_answer(served, engine, spec, "request.")
    except UnknownItemError:
        raise APIError(404, "unknown_item", "the sample request names an item or category the model does not "
                       "know", "request") from None


def sample_answer(served: Served, engine: RecommendationEngine, spec: Mapping[str, Any], prefix: str = "") -> dict:
    """A sample request (``kind`` plus that kind's fields, see ``SAMPLES``) answered with each
    item's rules; a field at fault is named with ``prefix``."""
    kind = spec.get("kind")
    if kind not in SAMPLES:
        raise bad_request(f"{prefix}kind must be one of {', '.join(SAMPLES)}", f"{prefix}kind")
    sample = parse_body(SAMPLES[kind], spec, prefix)
    body = ANSWERS[kind](served, engine, sample)
    user = getattr(sample, "user_id", None)
    return with_rule_notes(body, engine, sample.placement, user)


def _user(served: Served, engine: RecommendationEngine, sample: UserSample) -> dict:
    return listing(served, engine.recommend_user(sample.user_id, sample.n, sample.exclude_purchased, sample.placement))


def _session(served: Served, engine: RecommendationEngine, sample: SessionSample) -> dict:
    answer = engine.recommend_session(sample.engine_events(), sample.user_id, sample.n, sample.exclude_purchased,
                                      sample.placement)
    return listing(served, answer)


def _related(served: Served, engine: RecommendationEngine, sample: ItemSample) -> dict:
    return listing(served, engine.related_items(sample.item_id, sample.n, sample.placement))


def _bought_together(served: Served, engine: RecommendationEngine, sample: ItemSample) -> dict:
    title = served.labels.get(sample.item_id, (sample.item_id, ""))[0]
    partners = engine.bought_together(sample.item_id, sample.n, sample.placement)
    return {"items": [partner_fields(served, title, p) for p in partners], "strategy": "bought_together",
            "model_version": served.name}


def _cart(served: Served, engine: RecommendationEngine, sample: CartSample) -> dict:
    return listing(served, engine.cart_complements(sample.items, sample.n, sample.placement))


def _popular(served: Served, engine: RecommendationEngine, sample: PopularSample) -> dict:
    return listing(served, engine.popular(sample.n, sample.category, sample.trending, sample.placement))


ANSWERS: dict[str, Callable[[Served, RecommendationEngine, Sample], dict]] = {
    "user": _user, "session": _session, "related": _related, "bought_together": _bought_together, "cart": _cart,
    "popular": _popular,
}

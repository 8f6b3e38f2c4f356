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
from api.rules.changes import MAX_RULE_ID, check_rule
from api.rules.notes import with_rule_notes
from api.rules.cache import rules_cache
from api.schema.validation import (MAX_CART_ITEMS, body_bool, body_id_list, body_n, body_optional_id, body_placement,
                         session_events)

KINDS = ("user", "session", "related", "bought_together", "cart", "popular")


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
        kind = spec.get("kind")
        if kind not in KINDS:
            raise bad_request(f"kind must be one of {', '.join(KINDS)}", "kind")
        n, placement = body_n(spec), body_placement(spec)
        body = ANSWERS[kind](served, engine, spec, n, placement)
        user = spec.get("user_id") if kind in ("user", "session") else None
        return with_rule_notes(body, engine, placement, user)
    except APIError as error:
        error.field = f"request.{error.field}" if error.field else "request"
        raise
    except UnknownItemError:
        raise APIError(404, "unknown_item", "the sample request names an item or category the model does not "
                       "know", "request") from None


def _user(served: Served, engine: RecommendationEngine, spec: Mapping, n: int, placement: str | None) -> dict:
    user_id = body_optional_id(spec, "user_id")
    if user_id is None:
        raise bad_request("user_id is required for kind user", "user_id")
    return listing(served, engine.recommend_user(user_id, n, body_bool(spec, "exclude_purchased", True), placement))


def _session(served: Served, engine: RecommendationEngine, spec: Mapping, n: int, placement: str | None) -> dict:
    answer = engine.recommend_session(session_events(spec), body_optional_id(spec, "user_id"), n,
                                      body_bool(spec, "exclude_purchased", True), placement)
    return listing(served, answer)


def _related(served: Served, engine: RecommendationEngine, spec: Mapping, n: int, placement: str | None) -> dict:
    return listing(served, engine.related_items(_item(spec), n, placement))


def _bought_together(served: Served, engine: RecommendationEngine, spec: Mapping, n: int,
                     placement: str | None) -> dict:
    item_id = _item(spec)
    title = served.labels.get(item_id, (item_id, ""))[0]
    items = [partner_fields(served, title, p) for p in engine.bought_together(item_id, n, placement)]
    return {"items": items, "strategy": "bought_together", "model_version": served.name}


def _cart(served: Served, engine: RecommendationEngine, spec: Mapping, n: int, placement: str | None) -> dict:
    return listing(served, engine.cart_complements(body_id_list(spec, "items", MAX_CART_ITEMS), n, placement))


def _popular(served: Served, engine: RecommendationEngine, spec: Mapping, n: int, placement: str | None) -> dict:
    category = body_optional_id(spec, "category")
    return listing(served, engine.popular(n, category, body_bool(spec, "trending", False), placement))


def _item(spec: Mapping) -> str:
    item_id = body_optional_id(spec, "item_id")
    if item_id is None:
        raise bad_request("item_id is required for kinds related and bought_together", "item_id")
    return item_id


ANSWERS: dict[str, Callable[[Served, RecommendationEngine, Mapping, int, str | None], dict]] = {
    "user": _user, "session": _session, "related": _related, "bought_together": _bought_together, "cart": _cart,
    "popular": _popular,
}

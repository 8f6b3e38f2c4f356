"""The Preview page: one sample request (a customer, a product, a basket or best sellers) at a
placement, answered twice side by side, with titles, categories, prices, scores, reasons and the
rules that touched each product.

Without a rule chosen the two lists are the model's raw answer and the answer under the active
rules. With ``?rule=<id>`` they are the answer under the active rules and the answer with that
rule switched on as well (even if it is disabled or scheduled): how a merchandiser checks a rule
before enabling it. With ``?as_of=`` (UTC) both lists are answered as of that moment, and a
scheduled rule applies only if its schedule covers it. Products that drop out are listed with what removed them.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import timezone

import numpy as np
from flask import render_template, request

from recommender.engine import RecommendationEngine
from recommender.rules import RuleBook, RuleReranker
from recommender.rules.reranker import EXCLUDE, INCLUDE

from api.errors import APIError
from api.extension import served_model
from api.serving.model_store import Served
from api.rules.cache import rules_cache
from api.rules.preview import sample_answer
from api.console import bp
from api.console.rule_form import wall_time

KINDS = {"user": "a customer", "related": "a product page", "cart": "a basket", "popular": "best sellers"}
DEFAULT_N = 10


def sample_request(args) -> dict:
    kind = args.get("kind") if args.get("kind") in KINDS else "related"
    spec = {"kind": kind, "placement": args.get("placement", "").strip() or None,
            "n": int(args["n"]) if args.get("n", "").isdigit() else DEFAULT_N}
    if kind == "user":
        spec["user_id"] = args.get("user_id", "").strip()
    elif kind == "related":
        spec["item_id"] = args.get("item_id", "").strip()
    elif kind == "cart":
        spec["items"] = [part.strip() for part in args.get("items", "").split(",") if part.strip()]
    return spec


def answer(served: Served, engine: RecommendationEngine, spec: dict) -> dict:
    """The sample request's answer with each item's ``rules``; bad input raises ``APIError``."""
    try:
        return sample_answer(served, engine, spec)
    except KeyError as exc:
        raise APIError(404, "unknown_item", "the model does not know the product or category asked for") from exc


def why_removed(reranker: RuleReranker, engine: RecommendationEngine, item_ids: list[str], spec: dict) -> dict:
    """For products of the first list missing from the second: the rule or setting that filtered
    each one out, or that it was pushed below the list's end."""
    context = engine.request_context(spec.get("placement"), spec.get("user_id"))
    rows = np.flatnonzero(reranker.applicable(context))
    settings = reranker.book.settings_for(spec.get("placement"))
    price = reranker.table.columns["price"]
    reasons = {}
    for item_id in item_ids:
        item = engine.item_index[item_id]
        why = [f"rule “{reranker.rules[row].name}” ({reranker.rules[row].action.replace('_', ' ')})" for row in rows
               if (reranker.action[row] == EXCLUDE and reranker.masks[row, item])
               or (reranker.action[row] == INCLUDE and not reranker.masks[row, item])]
        if settings.exclude_out_of_stock and reranker.out_of_stock[item]:
            why.append("out of stock (placement setting)")
        if settings.min_price is not None and price[item] < settings.min_price or \
                settings.max_price is not None and price[item] > settings.max_price:
            why.append("price bounds (placement setting)")
        reasons[item_id] = "; ".join(why) or "pushed below the end of the list"
    return reasons


def _as_of(text: str) -> float | None:
    """The form's "as of" (UTC wall time) as a timestamp; None when empty or unreadable."""
    try:
        return wall_time(text, timezone.utc).timestamp() if text.strip() else None
    except ValueError:
        return None


@bp.get("/preview")
def preview() -> str:
    served = served_model()
    cache = rules_cache()
    stored = cache.store.rules()
    spec = sample_request(request.args)
    rule_id = int(request.args["rule"]) if request.args.get("rule", "").isdigit() else None
    asked_as_of = request.args.get("as_of", "")
    as_of = _as_of(asked_as_of)
    chosen = next((rule for rule in stored if rule["id"] == rule_id), None)
    current = cache.reranker(served)
    current = RuleReranker(current.book, current.table, as_of) if as_of else current
    if chosen is not None:
        draft = next(r for r in current.book.rules if r.id == rule_id)
        # as of a moment, the rule keeps its schedule; else it is on whatever its schedule says
        draft = replace(draft, enabled=True) if as_of else replace(draft, enabled=True, starts_at=None, ends_at=None)
        book = RuleBook(tuple(r for r in current.book.rules if r.id != rule_id) + (draft,), current.book.placements)
        before_engine = served.engine.with_reranker(current)
        after_reranker = RuleReranker(book, current.table, as_of)
        labels = ("With the active rules", f"With “{chosen['name']}” switched on too")
    else:
        before_engine, after_reranker = served.engine, current
        labels = ("The model alone (no rules)", "With the active rules")
    after_engine = served.engine.with_reranker(after_reranker)
    asked = any(key in request.args for key in ("kind", "user_id", "item_id", "items"))
    if not asked:  # first visit: a best-selling product's page
        spec["item_id"] = served.engine.popular(1).picks[0].item_id
    before = after = None
    removed: dict[str, str] = {}
    error = None
    try:
        before, after = answer(served, before_engine, spec), answer(served, after_engine, spec)
        kept = {item["item_id"] for item in after["items"]}
        removed = why_removed(after_reranker, after_engine,
                              [item["item_id"] for item in before["items"] if item["item_id"] not in kept], spec)
    except APIError as exc:
        error = exc.message
    if asked_as_of.strip() and as_of is None:
        error = "“As of” must be a date and time, e.g. 2026-12-24T09:00 (UTC)"
    return render_template("console/preview.html", spec=spec, kinds=KINDS, rules=stored, chosen=chosen, labels=labels,
                           before=before, after=after, removed=removed, error=error,
                           as_of=asked_as_of if as_of else "",
                           sample_users=served.version.model.user_ids[:20].tolist(), page_title="Preview")

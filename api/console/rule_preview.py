"""A rule's effect while it is being written: how many products it matches, and its placement's
list before and after it (for a chosen customer, product or basket, as of a chosen moment).

Nothing is stored: the rule is compiled with the stored rules into a throwaway re-ranker, switched
on whatever its schedule says, and the sample request is answered twice, both times as of the
chosen moment so that the other scheduled rules are as they will be then.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from flask import render_template

from recommender.errors import FieldError
from recommender.rules import RuleBook, RuleReranker, compile_condition, parse_condition, parse_rule

from api.errors import APIError
from api.rules.cache import rules_cache
from api.serving.model_store import Served
from api.console.preview import answer, why_removed
from api.console.rule_form import wall_time

MATCH_EXAMPLES = 5
PREVIEW_N = 8
SAMPLE_TRIES = 40  # customers (or best sellers) tried for a default preview that shows the rule's effect
KIND_BY_PLACEMENT = {"product": "related", "cart": "cart", "home": "user", "email": "user"}


def matched_products(definition: Mapping[str, Any], served: Served | None) -> dict | None:
    """``{"count", "total", "examples"}``: the catalog products the rule's condition (or pins) names."""
    if served is None:
        return None
    cache = rules_cache()
    table = cache.table(served)
    try:
        if definition.get("action") == "pin":
            mask = np.isin(table.item_ids, list(definition.get("item_ids") or []))
        elif definition.get("condition") is None:
            return None
        else:
            mask = compile_condition(parse_condition(definition["condition"], table.kinds), table)
    except FieldError:
        return None
    rows = np.flatnonzero(mask)
    titles = served.labels
    examples = [titles.get(item, (item, ""))[0] for item in table.item_ids[rows[:MATCH_EXAMPLES]].tolist()]
    return {"count": int(len(rows)), "total": len(table), "examples": examples}


def _as_of(form: Mapping[str, str], definition: Mapping[str, Any]) -> tuple[float | None, str]:
    """The preview's moment (the form's ``preview_as_of`` in the rule's time zone; else the rule's
    start if it lies ahead; else now) as a timestamp, and as the words the preview shows."""
    text = (form.get("preview_as_of") or "").strip()
    if text:
        try:
            zone = ZoneInfo(definition.get("timezone") or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")
        try:
            moment = wall_time(text, zone)
        except ValueError:
            return None, "now (the date asked for could not be read)"
        return moment.timestamp(), moment.strftime("%Y-%m-%d %H:%M %Z")
    starts = definition.get("starts_at")
    if starts and datetime.fromisoformat(starts).timestamp() > datetime.now().timestamp():
        moment = datetime.fromisoformat(starts)
        return moment.timestamp(), f"{moment.strftime('%Y-%m-%d %H:%M')} (when it starts)"
    return None, "now"


def _specs(served: Served, definition: Mapping[str, Any], form: Mapping[str, str]) -> list[dict]:
    """The sample requests to try, in order: the one the form names, else several (customers, or
    best sellers as the product or basket) so that the preview can show one the rule changes."""
    placements = definition.get("placements") or []
    placement = (form.get("preview_placement") or "").strip() or (placements[0] if placements else "home")
    kind = form.get("preview_kind") or KIND_BY_PLACEMENT.get(placement, "popular")
    spec: dict[str, Any] = {"kind": kind, "placement": placement, "n": PREVIEW_N}
    if kind == "popular":
        return [spec]
    field, chosen = {"user": ("user_id", form.get("preview_user_id")), "related": ("item_id", form.get("preview_item_id")),
                     "cart": ("items", form.get("preview_items"))}[kind]
    chosen = (chosen or "").strip()
    if chosen:
        return [{**spec, field: [p.strip() for p in chosen.split(",") if p.strip()] if kind == "cart" else chosen}]
    if kind == "user":
        return [{**spec, "user_id": user} for user in served.version.model.user_ids[:SAMPLE_TRIES].tolist()]
    best = [pick.item_id for pick in served.engine.popular(SAMPLE_TRIES).picks]
    return [{**spec, field: [item] if kind == "cart" else item} for item in best]


def rule_preview(served: Served, definition: Mapping[str, Any], rule_id: int, form: Mapping[str, str]) -> str:
    """The preview panel's HTML: the placement's list with the stored rules, and with this rule too."""
    cache = rules_cache()
    current = cache.reranker(served)
    rule = replace(parse_rule(definition, current.table.kinds, None, rule_id or 0), enabled=True, id=rule_id or -1)
    book = RuleBook(tuple(r for r in current.book.rules if r.id != rule_id) + (rule,), current.book.placements)
    as_of, moment = _as_of(form, definition)
    before_engine = served.engine.with_reranker(RuleReranker(current.book, current.table, as_of))
    after_reranker = RuleReranker(book, current.table, as_of)
    after_engine = served.engine.with_reranker(after_reranker)
    before = after = error = None
    for spec in _specs(served, definition, form):
        try:
            before, after = answer(served, before_engine, spec), answer(served, after_engine, spec)
        except APIError as exc:
            error = exc.message
            break
        if [i["item_id"] for i in before["items"]] != [i["item_id"] for i in after["items"]]:
            break
    removed = {}
    if before and after:
        kept = {item["item_id"] for item in after["items"]}
        removed = why_removed(after_reranker, after_engine,
                              [item["item_id"] for item in before["items"] if item["item_id"] not in kept], spec)
    return render_template("console/rule_preview.html", spec=spec, moment=moment, before=before, after=after,
                           removed=removed, error=error, scheduled=bool(definition.get("starts_at")
                                                                         or definition.get("ends_at")))

"""The Placements page: what each placement always does before any rule (stock, past purchases and
the repurchase window, diversity, price bounds, objective, strategy), edited with a preview of the
placement's list under the settings as typed, before they are saved.

Settings are checked by the rules package (``parse_settings``) one field at a time, so every
mistake shows at once, and stored as ``PUT /v1/placements/<name>`` stores them.
"""
from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from recommender.errors import FieldError
from recommender.objectives import OBJECTIVES
from recommender.rules import (DEFAULT_PLACEMENT, STRATEGIES, PlacementSettings, check_placement_name,
                               parse_settings)

from api.errors import APIError
from api.extension import vitrine
from api.rules.cache import rules_cache
from api.console import bp
from api.console.preview import answer, why_removed
from api.console.rule_form import COMMON_PLACEMENTS
from api.console.rule_preview import KIND_BY_PLACEMENT, PREVIEW_N
from api.console.rules import actor

FLAGS = ("exclude_out_of_stock", "exclude_purchased", "apply_rules")
PRICES = ("min_price", "max_price")
NUMBERS = {"repurchase_after_days": float, "max_per_category": int, "min_price": float, "max_price": float,
           "relevance_floor": float}


def _name(name: str) -> str:
    try:
        return check_placement_name(name, "name")
    except FieldError:
        abort(404, f"{name[:64]!r} is not a placement name (letters, digits, '_' or '-')")


def _number(text: str, kind: type) -> Any:
    text = text.strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        return text  # parse_settings names the field and what it takes
    return int(number) if kind is int and number.is_integer() else number


def settings_from_form(form) -> tuple[dict, dict[str, str]]:
    """The posted settings, and every mistake keyed by field (each field checked on its own)."""
    values: dict[str, Any] = {name: form.get(name) == "on" for name in FLAGS}
    values.update({name: _number(form.get(name, ""), kind) for name, kind in NUMBERS.items()})
    if values["relevance_floor"] is None:
        values["relevance_floor"] = PlacementSettings().relevance_floor
    values["objective"] = form.get("objective", "relevance")
    values["strategy"] = form.get("strategy", "blend")
    values["skip_rule_tags"] = [t.strip() for t in form.get("skip_rule_tags", "").split(",") if t.strip()]
    errors: dict[str, str] = {}
    groups = [{name: value} for name, value in values.items() if name not in PRICES]
    groups.append({name: values[name] for name in PRICES})  # checked together: the bounds' order too
    for group in groups:
        try:
            parse_settings(group)
        except FieldError as error:
            errors[error.field.split("[")[0]] = error.message
    return values, errors


def _effective(name: str) -> tuple[dict, str]:
    stored = rules_cache().store.placements()
    if name in stored:
        return stored[name], "own"
    if DEFAULT_PLACEMENT in stored:
        return stored[DEFAULT_PLACEMENT], "default"
    return PlacementSettings().to_dict(), "built_in"


@bp.get("/placements")
def placements() -> str:
    stored = rules_cache().store.placements()
    names = list(dict.fromkeys([DEFAULT_PLACEMENT, *COMMON_PLACEMENTS, *sorted(stored)]))
    rows = [{"name": name, "source": _effective(name)[1], **_effective(name)[0]} for name in names]
    return render_template("console/placements.html", rows=rows, page_title="Placements")


@bp.get("/placements/open")
def open_placement() -> Response:
    """The "another placement" box: go to that placement's page."""
    return redirect(url_for("console.placement", name=_name(request.args.get("name", "").strip())), 303)


def _preview(name: str, values: dict, form) -> dict:
    """The placement's sample list under the saved settings and under ``values``."""
    served = vitrine().store.served()
    if served is None:
        return {"error": "no model is served yet"}
    cache = rules_cache()
    current = cache.reranker(served)
    changed = current.with_settings(name, parse_settings(values))
    kind = KIND_BY_PLACEMENT.get(name, "popular")
    spec: dict[str, Any] = {"kind": kind, "placement": name, "n": PREVIEW_N}
    best = served.engine.popular(1).picks[0].item_id
    if kind == "user":
        spec["user_id"] = form.get("preview_user_id", "").strip() or served.version.model.user_ids[0]
    elif kind == "related":
        spec["item_id"] = form.get("preview_item_id", "").strip() or best
    elif kind == "cart":
        spec["items"] = [form.get("preview_item_id", "").strip() or best]
    try:
        before = answer(served, served.engine.with_reranker(current), spec)
        after_engine = served.engine.with_reranker(changed)
        after = answer(served, after_engine, spec)
    except APIError as exc:
        return {"error": exc.message, "spec": spec}
    kept = {item["item_id"] for item in after["items"]}
    removed = why_removed(changed, after_engine, [i["item_id"] for i in before["items"] if i["item_id"] not in kept],
                          spec)
    return {"before": before, "after": after, "removed": removed, "spec": spec}


@bp.route("/placements/<name>", methods=["GET", "POST"])
def placement(name: str) -> Response | tuple | str:
    name = _name(name)
    saved, source = _effective(name)
    if request.method == "GET":
        return _page(name, saved, source, {}, None)
    values, errors = settings_from_form(request.form)
    if errors:
        return _page(name, values, source, errors, None, 400)
    if request.form.get("intent") == "preview":
        return _page(name, values, source, {}, _preview(name, values, request.form))
    rules_cache().store.put_placement(name, parse_settings(values).to_dict(), actor())
    rules_cache().refresh(force=True)
    flash(f"Settings of “{name}” saved: they apply to its lists now.")
    return redirect(url_for("console.placement", name=name), 303)


def _page(name: str, values: dict, source: str, errors: dict, preview: dict | None, code: int = 200):
    return render_template("console/placement.html", name=name, values=values, source=source, errors=errors,
                           preview=preview, objectives=OBJECTIVES, strategies=STRATEGIES,
                           page_title=f"Placement {name}"), code

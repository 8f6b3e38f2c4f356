"""The Rules pages: the list with each rule's status, the create/edit form, enable/disable, delete
(after a confirmation page) and each rule's audit history.

Rules are checked and stored exactly as ``/v1/rules`` does (``api.changes.check_rule``, the rule
store, then a forced refresh of this worker's rules), so the console and the API cannot disagree.
"""
from __future__ import annotations

import numpy as np
from flask import abort, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from recommender.rules import ACTIONS, OPS, known_audiences

from api.rules.changes import check_rule
from api.errors import APIError
from api.rules.cache import rules_cache
from api.rules.store import STORE_FIELDS, rule_definition
from api.extension import vitrine
from api.console import bp
from api.console.rule_form import (COMMON_PLACEMENTS, FormError, definition_from_form, describe_condition, form_field,
                        form_from_definition, form_from_post, status)

MAX_LISTED_VALUES = 200
HIDDEN_VALUE_COLUMNS = ("item_id", "title")


def actor() -> str:
    return session.get("actor") or "console"


def catalog_columns() -> tuple[dict[str, str], dict[str, list[str]]]:
    """The catalog's columns (name → kind) and, for columns with few distinct values, those values."""
    cache = rules_cache()
    served = vitrine().store.served()
    kinds = dict(cache.kinds(served))
    table = cache.table(served)
    values: dict[str, list[str]] = {}
    if table is not None:
        for name, kind in kinds.items():
            if name in HIDDEN_VALUE_COLUMNS or name not in table.columns:
                continue
            column = table.columns[name][table.present[name]]
            distinct = np.unique(column)
            if len(distinct) <= MAX_LISTED_VALUES:
                values[name] = ["true" if v else "false" for v in distinct.tolist()] if kind == "bool" else \
                    [f"{v:g}" if isinstance(v, float) else str(v) for v in distinct.tolist()]
    return kinds, values


def stored_rule(rule_id: int) -> dict:
    rule = rules_cache().store.rule(rule_id)
    if rule is None:
        abort(404, f"rule {rule_id} does not exist (it may have been deleted)")
    return rule


def _placements() -> list[str]:
    cache = rules_cache()
    named = {p for rule in cache.store.rules() for p in rule.get("placements") or []}
    return list(dict.fromkeys([*COMMON_PLACEMENTS, *sorted(named | set(cache.store.placements()))]))


@bp.get("/rules")
def rules() -> str:
    listed = [{**rule, "status": status(rule), "condition_text": describe_condition(rule.get("condition"))}
              for rule in rules_cache().store.rules()]
    listed.sort(key=lambda rule: (-rule.get("priority", 0), rule["id"]))
    return render_template("console/rules.html", rules=listed, page_title="Rules")


def _form_page(values: dict, errors: dict[str, str], rule_id: int | None, status_code: int = 200):
    kinds, column_values = catalog_columns()
    return render_template("console/rule_form.html", form=values, errors=errors, rule_id=rule_id, kinds=kinds,
                           column_values=column_values, actions=ACTIONS, ops=OPS, audiences=known_audiences(),
                           placements=_placements(), page_title="Edit rule" if rule_id else "New rule"), status_code


def _save(rule_id: int | None) -> Response | tuple:
    kinds, _ = catalog_columns()
    definition: dict = {}
    try:
        definition = definition_from_form(request.form, kinds)
        rule = check_rule(definition, rule_id or 0)
    except FormError as error:
        return _form_page(form_from_post(request.form), {error.field: error.message}, rule_id, 400)
    except APIError as error:
        field = form_field(error.field or "", definition)
        message = error.message.split(": ", 1)[1] if ": " in error.message else error.message
        return _form_page(form_from_post(request.form), {field: message}, rule_id, 400)
    store = rules_cache().store
    if rule_id is None:
        saved = store.add_rule(rule.to_dict(), actor())
    else:
        saved = store.replace_rule(rule_id, rule.to_dict(), actor())
        if saved is None:
            abort(404, f"rule {rule_id} does not exist (it may have been deleted)")
    rules_cache().refresh(force=True)
    flash(f"Rule “{saved['name']}” saved ({status(saved)}).")
    return redirect(url_for("console.rules"), 303)


@bp.route("/rules/new", methods=["GET", "POST"])
def new_rule():
    if request.method == "POST":
        return _save(None)
    return _form_page(form_from_definition(None), {}, None)


@bp.route("/rules/<int:rule_id>/edit", methods=["GET", "POST"])
def edit_rule(rule_id: int):
    if request.method == "POST":
        return _save(rule_id)
    return _form_page(form_from_definition(stored_rule(rule_id)), {}, rule_id)


@bp.post("/rules/<int:rule_id>/toggle")
def toggle_rule(rule_id: int) -> Response:
    current = stored_rule(rule_id)
    definition = rule_definition(current)
    definition["enabled"] = not current.get("enabled", True)
    try:
        rule = check_rule(definition, rule_id)
    except APIError as error:  # the catalog lost a column the rule uses: say so, change nothing
        flash(f"Rule “{current['name']}” cannot be changed: {error.message}", "error")
        return redirect(url_for("console.rules"), 303)
    saved = rules_cache().store.replace_rule(rule_id, rule.to_dict(), actor())
    rules_cache().refresh(force=True)
    flash(f"Rule “{saved['name']}” {'enabled' if saved['enabled'] else 'disabled'}.")
    return redirect(url_for("console.rules"), 303)


@bp.route("/rules/<int:rule_id>/delete", methods=["GET", "POST"])
def delete_rule(rule_id: int):
    rule = stored_rule(rule_id)
    if request.method == "GET":
        return render_template("console/rule_delete.html", rule=rule, page_title="Delete rule")
    rules_cache().store.delete_rule(rule_id, actor())
    rules_cache().refresh(force=True)
    flash(f"Rule “{rule['name']}” deleted.")
    return redirect(url_for("console.rules"), 303)


@bp.get("/rules/<int:rule_id>/history")
def rule_history(rule_id: int) -> str:
    entries = [entry for entry in rules_cache().store.audit(limit=1000, entity="rule")
               if entry["entity_id"] == str(rule_id)]
    if not entries:
        abort(404, f"rule {rule_id} has no history")
    current = rules_cache().store.rule(rule_id)
    return render_template("console/rule_history.html", rule_id=rule_id, entries=entries, current=current,
                           changed=_changed_fields, page_title="Rule history")


def _changed_fields(entry: dict) -> list[tuple[str, object, object]]:
    before, after = entry.get("before") or {}, entry.get("after") or {}
    names = [k for k in dict.fromkeys([*before, *after]) if k not in STORE_FIELDS]
    return [(name, before.get(name), after.get(name)) for name in names if before.get(name) != after.get(name)]

"""The Rules pages: the list with each rule's status, the create/edit form (drafts, checked as you
type, previewed in place), publish, enable/disable, delete (after a confirmation page), and each
rule's history as sentences with a revert button per version.

A rule made or edited here is a draft until published: a new rule serves nothing, and a published
rule keeps serving its published version while its changes wait. Rules are checked against the
served catalog as ``/v1/rules`` checks them (``rule_problems``: every mistake at once), so the
console and the API cannot disagree; every change forces a refresh of this worker's rules.
"""
from __future__ import annotations

import numpy as np
from flask import abort, flash, jsonify, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from recommender.rules import ACTIONS, OP_WORDS, OPS, known_audiences, parse_rule, rule_problems

from api.rules.cache import rules_cache
from api.rules.store import rule_definition
from api.extension import vitrine
from api.console import bp
from api.console.rule_form import (COMMON_PLACEMENTS, STATUS_WORDS, definition_from_form, form_field,
                                   form_from_definition, form_from_post, status)
from api.console.rule_preview import matched_products, rule_preview
from api.console.rule_words import describe_change, describe_condition, describe_rule

MAX_LISTED_VALUES = 200
HIDDEN_VALUE_COLUMNS = ("item_id", "title", "url", "image_url")


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
    """A rule, drafts too, with ``published`` and ``draft``; 404 when there is none."""
    rule = rules_cache().store.rule_with_draft(rule_id)
    if rule is None:
        abort(404, f"rule {rule_id} does not exist (it may have been deleted)")
    return rule


def _placements() -> list[str]:
    cache = rules_cache()
    named = {p for rule in cache.store.rules_with_drafts() for p in rule.get("placements") or []}
    return list(dict.fromkeys([*COMMON_PLACEMENTS, *sorted(named | set(cache.store.placements()))]))


@bp.get("/rules")
def rules() -> str:
    listed = [{**rule, "status": status(rule), "condition_text": describe_condition(rule.get("condition")),
               "summary": describe_rule(rule)} for rule in rules_cache().store.rules_with_drafts()]
    listed.sort(key=lambda rule: (-rule.get("priority", 0), rule["id"]))
    return render_template("console/rules.html", rules=listed, status_words=STATUS_WORDS, page_title="Rules")


def _known_items() -> set[str] | None:
    cache = rules_cache()
    table = cache.table(vitrine().store.served())
    return None if table is None else {*table.index, *cache.items}


def checked_form(form, enabled: bool = True) -> tuple[dict, dict[str, str]]:
    """The posted form as a definition, and every mistake in it keyed by the form input at fault."""
    kinds, _ = catalog_columns()
    definition, errors = definition_from_form(form, kinds, enabled)
    for problem in rule_problems(definition, kinds, _known_items()):
        errors.setdefault(form_field(problem.field, form), problem.message)
    return definition, errors


def _form_page(values: dict, errors: dict[str, str], rule: dict | None, status_code: int = 200):
    kinds, column_values = catalog_columns()
    served = vitrine().store.served()
    return render_template("console/rule_form.html", form=values, errors=errors, rule=rule,
                           rule_id=rule["id"] if rule else None, kinds=kinds, column_values=column_values,
                           actions=ACTIONS, ops=OPS, op_words=OP_WORDS, audiences=known_audiences(),
                           placements=_placements(), page_title="Edit rule" if rule else "New rule",
                           sample_users=served.version.model.user_ids[:20].tolist() if served else [],
                           ), status_code


def _save(rule: dict | None) -> Response | tuple:
    definition, errors = checked_form(request.form, rule.get("enabled", True) if rule else True)
    if errors:
        return _form_page(form_from_post(request.form), errors, rule, 400)
    checked = parse_rule(definition, rules_cache().kinds(vitrine().store.served()), None).to_dict()
    store = rules_cache().store
    saved = store.save_draft(rule["id"] if rule else None, checked, actor())
    if saved is None:
        abort(404, "the rule was deleted meanwhile")
    if request.form.get("intent") == "publish":
        saved = store.publish(saved["id"], checked, actor())
        rules_cache().refresh(force=True)
        flash(f"Rule “{saved['name']}” published: it is {STATUS_WORDS[status(saved)]} now.")
        return redirect(url_for("console.rules"), 303)
    flash(f"Draft of “{saved['name']}” saved; it serves nothing until you publish it."
          if not saved["published"] else f"Changes to “{saved['name']}” saved as a draft; the published version "
          "keeps serving until you publish them.")
    return redirect(url_for("console.edit_rule", rule_id=saved["id"]), 303)


@bp.route("/rules/new", methods=["GET", "POST"])
def new_rule():
    if request.method == "POST":
        return _save(None)
    return _form_page(form_from_definition(None), {}, None)


@bp.route("/rules/<int:rule_id>/edit", methods=["GET", "POST"])
def edit_rule(rule_id: int):
    rule = stored_rule(rule_id)
    if request.method == "POST":
        return _save(rule)
    return _form_page(form_from_definition(rule.get("draft") or rule), {}, rule)


@bp.post("/rules/check")
def check_rule_form() -> Response:
    """The form as typed: its mistakes, how many products it matches, and its preview (HTML)."""
    definition, errors = checked_form(request.form)
    served = vitrine().store.served()
    matched = matched_products(definition, served) if not any(
        key.startswith(("field_", "op_", "value_", "condition", "item_ids")) for key in errors) else None
    preview = None
    if not errors and served is not None:
        rule_id = int(request.form["rule_id"]) if request.form.get("rule_id", "").isdigit() else 0
        preview = rule_preview(served, definition, rule_id, request.form)
    return jsonify(errors=errors, matched=matched, preview=preview)


def _republished(rule_id: int, definition: dict, action: str) -> dict | None:
    """``definition`` checked against today's catalog and published; ``None`` (with a message) if
    it no longer fits (a column was dropped, a pinned product left the catalog)."""
    kinds = rules_cache().kinds(vitrine().store.served())
    problems = rule_problems(rule_definition(definition), kinds, _known_items())
    if problems:
        flash(f"“{definition.get('name')}” cannot be {action}ed: {problems[0].field}: {problems[0].message}", "error")
        return None
    checked = parse_rule(rule_definition(definition), kinds, None).to_dict()
    saved = rules_cache().store.publish(rule_id, checked, actor(), "publish" if action == "publish" else "revert")
    rules_cache().refresh(force=True)
    return saved


@bp.post("/rules/<int:rule_id>/publish")
def publish_rule(rule_id: int) -> Response:
    rule = stored_rule(rule_id)
    saved = _republished(rule_id, rule.get("draft") or rule, "publish")
    if saved is not None:
        flash(f"Rule “{saved['name']}” published: it is {STATUS_WORDS[status(saved)]} now.")
    return redirect(url_for("console.rules"), 303)


@bp.post("/rules/<int:rule_id>/discard")
def discard_draft(rule_id: int) -> Response:
    rule = stored_rule(rule_id)
    rules_cache().store.discard_draft(rule_id, actor())
    flash(f"Draft changes to “{rule['name']}” discarded; the published version is unchanged.")
    return redirect(url_for("console.rules"), 303)


@bp.post("/rules/<int:rule_id>/toggle")
def toggle_rule(rule_id: int) -> Response:
    current = rules_cache().store.rule(rule_id)
    if current is None:
        abort(404, f"rule {rule_id} is not published (publish it first)")
    definition = {**rule_definition(current), "enabled": not current.get("enabled", True)}
    problems = rule_problems(definition, rules_cache().kinds(vitrine().store.served()), _known_items())
    if problems:  # the catalog lost a column the rule uses: say so, change nothing
        flash(f"Rule “{current['name']}” cannot be changed: {problems[0].field}: {problems[0].message}", "error")
        return redirect(url_for("console.rules"), 303)
    saved = rules_cache().store.replace_rule(rule_id, definition, actor())
    rules_cache().refresh(force=True)
    flash(f"Rule “{saved['name']}” {'switched on' if saved['enabled'] else 'switched off'}.")
    return redirect(url_for("console.rules"), 303)


@bp.route("/rules/<int:rule_id>/delete", methods=["GET", "POST"])
def delete_rule(rule_id: int):
    rule = stored_rule(rule_id)
    if request.method == "GET":
        return render_template("console/rule_delete.html", rule=rule, page_title="Delete rule")
    rules_cache().store.delete_rule(rule_id, actor(), drafts=True)
    rules_cache().refresh(force=True)
    flash(f"Rule “{rule['name']}” deleted. Its history can bring it back.")
    return redirect(url_for("console.rules"), 303)


def _history(rule_id: int) -> list[dict]:
    return [entry for entry in rules_cache().store.audit(limit=1000, entity="rule") if entry["entity_id"] == str(rule_id)]


@bp.get("/rules/<int:rule_id>/history")
def rule_history(rule_id: int) -> str:
    entries = _history(rule_id)
    if not entries:
        abort(404, f"rule {rule_id} has no history")
    current = rules_cache().store.rule_with_draft(rule_id)
    return render_template("console/rule_history.html", rule_id=rule_id, entries=entries, current=current,
                           sentences=describe_change, describe=describe_rule, revertible=_revertible,
                           page_title="Rule history")


SERVED_CHANGES = ("create", "update", "publish", "revert")  # entries whose "after" is a served version


def _revertible(entry: dict, current: dict | None) -> bool:
    """Whether the version an entry left behind can be put back: a served version other than the
    one serving now, or a deleted rule's last version (which brings it back)."""
    if entry["action"] == "delete":
        return current is None
    if entry["action"] not in SERVED_CHANGES or not entry.get("after"):
        return False
    return current is None or not current.get("published") or \
        rule_definition(entry["after"]) != rule_definition(current)


@bp.post("/rules/<int:rule_id>/revert/<int:entry_id>")
def revert_rule(rule_id: int, entry_id: int) -> Response:
    entry = next((e for e in _history(rule_id) if e["id"] == entry_id), None)
    if entry is None:
        abort(404, f"rule {rule_id} has no history entry {entry_id}")
    version = entry.get("before") if entry["action"] == "delete" else entry.get("after")
    if not version:
        abort(400, "that history entry left no version to go back to")
    saved = _republished(rule_id, {k: v for k, v in version.items() if k != "draft"}, "revert")
    if saved is not None:
        flash(f"Rule “{saved['name']}” is back to the version of {entry['at'][:16].replace('T', ' ')} UTC "
              f"and published: it is {STATUS_WORDS[status(saved)]} now.")
    return redirect(url_for("console.rule_history", rule_id=rule_id), 303)

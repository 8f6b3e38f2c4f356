"""``/v1/rules``: merchant rules (list, create, read, replace, patch, delete) and their audit log.

Reads are open; writes need the admin token. A rule is checked against the served catalog's
columns (and pinned items) before it is stored, and the stored form is the checked, normalized one.
"""
from __future__ import annotations

from flask import Blueprint, request

from recommender.rules import Rule

from api.admin_token import require_admin_token
from api.rules.changes import admin_actor, check_rule, not_found
from api.rules.store import rule_definition
from api.errors import bad_request
from api.rules.cache import rules_cache
from api.schema.limits import AUDIT_ENTITIES, MAX_AUDIT_PAGE, MAX_RULE_ID
from api.rules.preview import preview
from api.schema.validation import json_body

bp = Blueprint("rules", __name__, url_prefix="/v1/rules")


@bp.get("")
def list_rules() -> dict:
    cache = rules_cache()
    return {"rules": cache.store.rules(), "version": cache.store.version()}


@bp.post("")
def create_rule() -> tuple[dict, int]:
    actor = admin_actor()
    rule = check_rule(json_body())
    stored = rules_cache().store.add_rule(rule.to_dict(), actor)
    rules_cache().refresh(force=True)
    return stored, 201


@bp.get("/<int:rule_id>")
def get_rule(rule_id: int) -> dict:
    return _stored(rule_id)


@bp.put("/<int:rule_id>")
def replace_rule(rule_id: int) -> dict:
    actor = admin_actor()
    _stored(rule_id)
    return _replace(rule_id, check_rule(json_body(), rule_id), actor)


@bp.patch("/<int:rule_id>")
def patch_rule(rule_id: int) -> dict:
    """Change only the fields the body names (``null`` clears an optional one)."""
    actor = admin_actor()
    changes = rule_definition(json_body())
    stored = rules_cache().store.patch_rule(rule_id, changes, lambda merged: check_rule(merged, rule_id).to_dict(),
                                            actor) if rule_id <= MAX_RULE_ID else None
    if stored is None:
        raise not_found("rule", str(rule_id), "rule_id")
    rules_cache().refresh(force=True)
    return stored


@bp.delete("/<int:rule_id>")
def delete_rule(rule_id: int) -> dict:
    actor = admin_actor()
    deleted = rules_cache().store.delete_rule(rule_id, actor) if rule_id <= MAX_RULE_ID else None
    if deleted is None:
        raise not_found("rule", str(rule_id), "rule_id")
    rules_cache().refresh(force=True)
    return {"deleted": deleted}


@bp.post("/preview")
def preview_rule() -> dict:
    """The answer to a sample request before and after a draft rule; nothing is stored."""
    admin_actor()
    return preview(json_body())


@bp.get("/audit")
def audit() -> dict:
    """Changes to rules, placements and the catalog, newest first; ``before`` pages back. Admin
    only: the audit names who changed what."""
    require_admin_token()
    limit = _int_arg("limit", 100, 1, MAX_AUDIT_PAGE)
    before = _int_arg("before", None, 1, MAX_RULE_ID)
    entity = request.args.get("entity")
    if entity is not None and entity not in AUDIT_ENTITIES:
        raise bad_request(f"entity must be one of {', '.join(AUDIT_ENTITIES)}", "entity")
    entries = rules_cache().store.audit(limit, before, entity)
    next_before = entries[-1]["id"] if len(entries) == limit else None
    return {"entries": entries, "next_before": next_before}


def _stored(rule_id: int) -> dict:
    rule = rules_cache().store.rule(rule_id) if rule_id <= MAX_RULE_ID else None
    if rule is None:
        raise not_found("rule", str(rule_id), "rule_id")
    return rule


def _replace(rule_id: int, rule: Rule, actor: str) -> dict:
    stored = rules_cache().store.replace_rule(rule_id, rule.to_dict(), actor)
    if stored is None:
        raise not_found("rule", str(rule_id), "rule_id")
    rules_cache().refresh(force=True)
    return stored


def _int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise bad_request(f"{name} must be an integer from {low} to {high}, got {raw[:20]!r}", name)
    return int(raw)

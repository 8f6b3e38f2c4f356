"""Rules and their changes in a merchandiser's words: ``category is Razor and price is less than
20``, and a history entry as a sentence ("changed the factor from 2 to 3")."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from recommender.rules import OP_WORDS

ACTION_WORDS = {"exclude": "Hide", "include_only": "Show only", "boost": "Boost", "bury": "Bury", "pin": "Pin"}
FIELD_WORDS = {"name": "the name", "action": "the action", "factor": "the factor", "placements": "the placements",
               "audience": "the audience", "priority": "the priority", "tags": "the tags",
               "starts_at": "the start", "ends_at": "the end", "timezone": "the time zone",
               "item_ids": "the pinned products", "positions": "the slots", "condition": "the products it applies to",
               "enabled": "on/off"}
CHANGE_WORDS = {"create": "created and published", "draft": "saved a draft", "publish": "published",
                "revert": "reverted to an earlier version", "discard": "discarded the draft", "delete": "deleted",
                "update": "changed"}


def value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return ", ".join(value_text(part) for part in value) or "none"
    return "–" if value is None else str(value)


def describe_condition(condition: Any, top: bool = True) -> str:
    """``category is phones and price is less than 20``; nested groups in parentheses."""
    if not isinstance(condition, Mapping):
        return ""
    if "field" in condition:
        op = condition.get("op")
        return f"{condition['field']} {OP_WORDS.get(op, op)} {value_text(condition.get('value'))}"
    kind = "any" if "any" in condition else "all"
    parts = condition.get(kind, [])
    joined = f" {'or' if kind == 'any' else 'and'} ".join(describe_condition(part, False) for part in parts)
    return joined if top or len(parts) == 1 else f"({joined})"


def describe_rule(rule: Mapping[str, Any]) -> str:
    """What the rule does, in one sentence: "Hide products where category is Razor, on home, for everyone"."""
    action = rule.get("action")
    if action == "pin":
        what = "Pin " + ", ".join(f"{item} in slot {slot}" for item, slot in
                                  zip(rule.get("item_ids") or [], rule.get("positions") or []))
    else:
        what = f"{ACTION_WORDS.get(action, action)} products where {describe_condition(rule.get('condition'))}"
        if action in ("boost", "bury") and rule.get("factor"):
            what += f" (score ×{value_text(rule['factor'])})"
    where = ", ".join(rule.get("placements") or []) or "every placement"
    audience = str(rule.get("audience") or "everyone").replace("_", " ")
    return f"{what}, on {where}, for {audience}"


def _field_value(name: str, definition: Mapping[str, Any]) -> str:
    value = definition.get(name)
    if name == "condition":
        return describe_condition(value) or "none"
    if name == "placements":
        return value_text(value) if value else "every placement"
    if name == "audience":
        return str(value or "everyone").replace("_", " ")
    return value_text(value)


def describe_change(entry: Mapping[str, Any], named: bool = True) -> list[str]:
    """A history entry as sentences: what was done, then one per changed field (``named``: a
    creation or deletion names the rule; the audit page names it already)."""
    action = entry.get("action", "")
    before, after = entry.get("before") or {}, entry.get("after") or {}
    head = CHANGE_WORDS.get(action, action)
    if action in ("create", "draft") and not before:
        name = f" “{after.get('name', '')}”" if named else ""
        return [f"{'created the draft' if action == 'draft' else head}{name}: {describe_rule(after)}"]
    if action == "delete":
        return [f"{head} “{before.get('name', '')}”" if named else head]
    if action == "discard":
        return [head]
    old = before if action != "draft" else (before.get("draft") or before)
    new = after if action != "draft" else (after.get("draft") or after)
    changes = [f"{FIELD_WORDS[name]} from {_field_value(name, old)} to {_field_value(name, new)}"
               for name in FIELD_WORDS if old.get(name) != new.get(name)]
    if action == "update" and changes == [f"{FIELD_WORDS['enabled']} from yes to no"]:
        return ["switched it off"]
    if action == "update" and changes == [f"{FIELD_WORDS['enabled']} from no to yes"]:
        return ["switched it on"]
    return [head + (":" if changes else ""), *[f"changed {change}" for change in changes]]

"""Between the rule form of the console and a rule's JSON definition, both ways.

The form flattens a condition into rows (field, op, value) joined by ``all`` or ``any``; a nested
condition made through the API is edited as JSON instead. Values are typed by the column's kind
(numbers, true/false, text; comma-separated lists for ``in`` and ``not_in``). Validation itself is
the rules package's (``rule_problems``, every mistake at once): its ``FieldError`` paths are mapped
back onto the form's inputs here.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from werkzeug.datastructures import MultiDict

MIN_ROWS = 2
LIST_OPS = ("in", "not_in")
COMMON_PLACEMENTS = ("home", "product", "cart", "email")


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _typed(text: str, kind: str) -> Any:
    text = text.strip()
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            return text  # the rules package names the field and the expected kind
        return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number
    if kind == "bool" and text.lower() in ("true", "false", "yes", "no", "1", "0"):
        return text.lower() in ("true", "yes", "1")
    return text


def _moment(date: str, zone: str, field: str, errors: dict[str, str]) -> str | None:
    """The form's local date and time as an ISO moment; a mistake goes into ``errors``."""
    if not date.strip():
        return None
    try:
        tz = ZoneInfo(zone.strip() or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = f"unknown time zone {zone!r} (e.g. UTC, Europe/Paris)"
        return None
    try:
        return wall_time(date, tz).isoformat()
    except ValueError:
        errors[field] = "must be a date and time, e.g. 2026-12-01T09:00"
        return None


def wall_time(text: str, zone: tzinfo) -> datetime:
    """A date and time typed in a form, read in ``zone`` unless it names its own offset
    (``ValueError`` when it is not a date and time)."""
    moment = datetime.fromisoformat(text.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _clauses(form: MultiDict, kinds: Mapping[str, str]) -> list[dict]:
    clauses = []
    for field, op, value in zip(form.getlist("field"), form.getlist("op"), form.getlist("value")):
        if not field.strip():
            continue
        kind = kinds.get(field, "text")
        typed = [_typed(part, kind) for part in _split(value)] if op in LIST_OPS else _typed(value, kind)
        clauses.append({"field": field, "op": op, "value": typed})
    return clauses


def definition_from_form(form: MultiDict, kinds: Mapping[str, str], enabled: bool = True) -> tuple[dict, dict[str, str]]:
    """The rule's JSON definition from the posted form (not validated: ``rule_problems`` does
    that), and the inputs that could not even be read (a bad date, bad JSON) with what is wrong."""
    errors: dict[str, str] = {}
    action = form.get("action", "")
    placements = list(dict.fromkeys([*form.getlist("placements"), *_split(form.get("other_placements", ""))]))
    zone = form.get("timezone", "UTC")
    definition: dict[str, Any] = {
        "name": form.get("name", ""), "enabled": enabled, "placements": placements,
        "audience": form.get("audience") or None, "action": action,
        "priority": _typed(form.get("priority", "") or "0", "number"), "tags": _split(form.get("tags", "")),
        "starts_at": _moment(form.get("starts_at", ""), zone, "starts_at", errors),
        "ends_at": _moment(form.get("ends_at", ""), zone, "ends_at", errors),
    }
    if definition["starts_at"] or definition["ends_at"]:
        definition["timezone"] = form.get("timezone", "").strip() or "UTC"
    if action in ("boost", "bury"):
        definition["factor"] = _typed(form.get("factor", ""), "number") if form.get("factor", "").strip() else None
    if action == "pin":
        definition["item_ids"] = _split(form.get("item_ids", ""))
        definition["positions"] = [_typed(p, "number") for p in _split(form.get("positions", ""))]
        return definition, errors
    raw = form.get("condition_json", "").strip()
    if raw:
        try:
            definition["condition"] = json.loads(raw)
        except ValueError as exc:
            errors["condition_json"] = f"is not valid JSON: {exc}"
        return definition, errors
    clauses = _clauses(form, kinds)
    match = form.get("match") if form.get("match") in ("all", "any") else "all"
    definition["condition"] = {match: clauses} if clauses else None
    return definition, errors


def form_field(path: str, form: Mapping[str, Any]) -> str:
    """The form input a ``FieldError`` path points at (``condition.any[1].value`` → ``value_1``):
    the Advanced JSON box when the condition was written there."""
    if path.startswith("condition") and (form.get("condition_json") or "").strip():
        return "condition_json"
    if path == "condition" or path.startswith("condition") and not re.match(r"^condition\.(all|any)\[", path):
        return "condition"
    match = re.match(r"^condition\.(?:all|any)\[(\d+)\]\.(field|op|value)", path)
    if match:
        return f"{match.group(2)}_{match.group(1)}"
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(_text(part) for part in value)
    return "" if value is None else str(value)


def _local(moment: str | None, zone: str) -> str:
    """A stored moment as the form shows it: the wall time in the zone the rule was written in."""
    if not moment:
        return ""
    parsed = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return parsed.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def form_from_definition(definition: Mapping[str, Any] | None) -> dict:
    """Values to fill the form with (a new rule when ``definition`` is None)."""
    definition = definition or {"enabled": True, "action": "exclude", "priority": 0}
    condition = definition.get("condition")
    rows, match, raw = [], "all", ""
    if isinstance(condition, Mapping) and "field" in condition:
        rows = [condition]
    elif isinstance(condition, Mapping):
        match = "any" if "any" in condition else "all"
        parts = condition.get(match, [])
        if all(isinstance(part, Mapping) and "field" in part for part in parts):
            rows = list(parts)
        else:
            raw = json.dumps(condition, indent=2)
    rows = [{"field": r.get("field", ""), "op": r.get("op", "eq"), "value": _text(r.get("value"))} for r in rows]
    rows += [{"field": "", "op": "eq", "value": ""}] * max(MIN_ROWS - len(rows), 1 if rows else 0)
    placements = list(definition.get("placements") or [])
    zone = definition.get("timezone") or "UTC"
    return {
        "name": definition.get("name", ""), "action": definition.get("action", "exclude"), "factor": _text(definition.get("factor")),
        "placements": [p for p in placements if p in COMMON_PLACEMENTS],
        "other_placements": ", ".join(p for p in placements if p not in COMMON_PLACEMENTS),
        "audience": definition.get("audience") or "", "priority": _text(definition.get("priority", 0)),
        "tags": ", ".join(definition.get("tags") or []),
        "starts_at": _local(definition.get("starts_at"), zone), "ends_at": _local(definition.get("ends_at"), zone),
        "timezone": zone, "item_ids": _text(definition.get("item_ids") or []),
        "positions": _text(definition.get("positions") or []), "match": match, "rows": rows,
        "condition_json": raw,
    }


def form_from_post(form: MultiDict) -> dict:
    """The posted values, to show the form again next to its errors."""
    rows = [{"field": f, "op": o, "value": v}
            for f, o, v in zip(form.getlist("field"), form.getlist("op"), form.getlist("value"))]
    return {
        "name": form.get("name", ""), "action": form.get("action", ""),
        "factor": form.get("factor", ""), "placements": form.getlist("placements"),
        "other_placements": form.get("other_placements", ""), "audience": form.get("audience", ""),
        "priority": form.get("priority", ""), "tags": form.get("tags", ""), "starts_at": form.get("starts_at", ""),
        "ends_at": form.get("ends_at", ""), "timezone": form.get("timezone", "UTC"),
        "item_ids": form.get("item_ids", ""), "positions": form.get("positions", ""),
        "match": form.get("match", "all"), "rows": rows or [{"field": "", "op": "eq", "value": ""}],
        "condition_json": form.get("condition_json", ""),
    }


STATUS_WORDS = {"draft": "a draft", "disabled": "switched off", "expired": "ended", "scheduled": "scheduled",
                "active": "live"}


def status(definition: Mapping[str, Any], now: datetime | None = None) -> str:
    """``draft`` (never published), ``disabled``, ``expired``, ``scheduled`` or ``active``."""
    now = now or datetime.now(timezone.utc)
    if definition.get("published") is False:
        return "draft"
    if not definition.get("enabled", True):
        return "disabled"
    ends, starts = definition.get("ends_at"), definition.get("starts_at")
    if ends and datetime.fromisoformat(ends.replace("Z", "+00:00")) <= now:
        return "expired"
    if starts and datetime.fromisoformat(starts.replace("Z", "+00:00")) > now:
        return "scheduled"
    return "active"

"""Business rules and placement settings as checked, immutable values, parsed from their JSON form.

Parsing is the validation: every mistake raises ``FieldError`` naming the offending field
(``condition.any[1].op``, ``factor``, ``positions[2]``), and unknown keys are refused so that a
misspelt field never silently does nothing.
"""
from __future__ import annotations

import math
import re
from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
from typing import Any

from ..errors import FieldError
from ..objectives import OBJECTIVES
from .audiences import is_audience, known_audiences
from .conditions import Condition, condition_to_dict, parse_condition

ACTIONS = ("exclude", "include_only", "boost", "bury", "pin")
PLACEMENT_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
DEFAULT_PLACEMENT = "default"
MAX_NAME_LENGTH = 200
MAX_PINS = 100
MAX_PLACEMENTS = 100
MAX_PRIORITY = 1_000_000
MAX_TAGS = 20
TAG_PATTERN = r"^[A-Za-z0-9_-]{1,40}$"
STRATEGIES = ("blend", "collaborative", "popular", "trending")
MAX_FACTOR = 1_000.0  # a boost up to ×1000, a bury down to ×1/1000: beyond that scores overflow float32
RULE_FIELDS = ("name", "enabled", "placements", "audience", "action", "factor", "item_ids", "positions",
               "condition", "starts_at", "ends_at", "timezone", "priority", "tags")
SETTING_FIELDS = ("exclude_out_of_stock", "exclude_purchased", "repurchase_after_days", "max_per_category",
                  "min_price", "max_price", "objective", "relevance_floor", "strategy", "apply_rules",
                  "skip_rule_tags")


@dataclass(frozen=True)
class Rule:
    """One merchant rule; ``id`` is given by the store (0 for a draft)."""

    id: int
    name: str
    action: str
    condition: Condition | None = None
    enabled: bool = True
    placements: tuple[str, ...] = ()
    audience: str | None = None
    factor: float | None = None
    item_ids: tuple[str, ...] = ()
    positions: tuple[int, ...] = ()
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    priority: int = 0
    timezone: str | None = None  # the IANA zone the schedule was written in, to show it that way again
    tags: tuple[str, ...] = ()  # labels a placement (or an experiment's variant) can switch rules off by

    def to_dict(self) -> dict:
        """The JSON form (what ``parse_rule`` reads back), without the id."""
        return {
            "name": self.name, "enabled": self.enabled, "placements": list(self.placements),
            "audience": self.audience, "action": self.action, "factor": self.factor,
            "item_ids": list(self.item_ids), "positions": list(self.positions),
            "condition": condition_to_dict(self.condition) if self.condition is not None else None,
            "starts_at": self.starts_at.isoformat() if self.starts_at else None,
            "ends_at": self.ends_at.isoformat() if self.ends_at else None, "timezone": self.timezone,
            "priority": self.priority, "tags": list(self.tags),
        }


@dataclass(frozen=True)
class PlacementSettings:
    """What a placement always filters, before any rule (stock, past purchases, diversity, price),
    and how its lists are made: ``strategy`` (``blend``: the trained blend; ``collaborative``: ALS
    alone; ``popular`` / ``trending``: best sellers), whether rules apply and which tags switch
    rules off here. An experiment's variant is a set of these settings."""

    exclude_out_of_stock: bool = True
    exclude_purchased: bool = True
    repurchase_after_days: float | None = None
    max_per_category: int | None = None
    min_price: float | None = None
    max_price: float | None = None
    objective: str = "relevance"  # or revenue (price) / margin (the catalog's margin column)
    relevance_floor: float = 0.5  # share of the list's best score an item needs to be promoted by value
    strategy: str = "blend"
    apply_rules: bool = True
    skip_rule_tags: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {name: list(value) if isinstance(value := getattr(self, name), tuple) else value
                for name in SETTING_FIELDS}


@dataclass(frozen=True)
class RuleBook:
    """Everything merchants configured: the rules and the settings of named placements."""

    rules: tuple[Rule, ...] = ()
    placements: Mapping[str, PlacementSettings] = field(default_factory=dict)

    def settings_for(self, placement: str | None) -> PlacementSettings:
        """A placement's own settings, else those of ``default``, else the built-in defaults."""
        if placement in self.placements:
            return self.placements[placement]
        return self.placements.get(DEFAULT_PLACEMENT, PlacementSettings())


def parse_rule(data: Any, kinds: Mapping[str, str] | None, known_items: Container[str] | None = None,
               rule_id: int = 0) -> Rule:
    """A checked rule from its JSON form; ``kinds`` are the catalog's column kinds and ``known_items``
    (when given) the item ids a pin may name. ``kinds=None`` reads back a rule checked when it was
    stored: columns and audiences are then taken as they are."""
    if not isinstance(data, Mapping):
        raise FieldError("rule", "must be a JSON object")
    refuse_unknown(data, RULE_FIELDS + ("id",))
    action = data.get("action")
    if action not in ACTIONS:
        raise FieldError("action", f"must be one of {', '.join(ACTIONS)}, got {action!r}")
    starts_at, ends_at = _moment(data.get("starts_at"), "starts_at"), _moment(data.get("ends_at"), "ends_at")
    if starts_at and ends_at and ends_at <= starts_at:
        raise FieldError("ends_at", "must be later than starts_at")
    item_ids, positions = _pins(data, action, known_items)
    return Rule(
        id=rule_id, name=_name(data.get("name")), action=action,
        condition=_condition(data.get("condition"), action, kinds),
        enabled=_bool(data.get("enabled", True), "enabled"),
        placements=_placements(data.get("placements", [])), audience=_audience(data.get("audience"), kinds is None),
        factor=_factor(data.get("factor"), action), item_ids=item_ids, positions=positions,
        starts_at=starts_at, ends_at=ends_at, priority=_priority(data.get("priority", 0)),
        timezone=_timezone(data.get("timezone")), tags=_tags(data.get("tags", []), "tags"),
    )


def rule_problems(data: Any, kinds: Mapping[str, str] | None, known_items: Container[str] | None = None) -> list[FieldError]:
    """Every mistake of a rule at once, where ``parse_rule`` stops at the first: one per field, and
    one per clause of a flat ``all``/``any`` condition, so that a form can mark each of its controls.
    An empty list means ``parse_rule`` accepts the rule."""
    if not isinstance(data, Mapping):
        return [FieldError("rule", "must be a JSON object")]
    problems: list[FieldError] = []

    def check(parse, *args) -> Any:
        try:
            return parse(*args)
        except FieldError as error:
            problems.append(error)
            return None

    check(refuse_unknown, data, RULE_FIELDS + ("id",))
    action = data.get("action")
    if action not in ACTIONS:
        problems.append(FieldError("action", f"must be one of {', '.join(ACTIONS)}, got {action!r}"))
    check(_name, data.get("name"))
    check(_bool, data.get("enabled", True), "enabled")
    check(_placements, data.get("placements", []))
    check(_audience, data.get("audience"), kinds is None)
    check(_priority, data.get("priority", 0))
    check(_timezone, data.get("timezone"))
    check(_tags, data.get("tags", []), "tags")
    starts_at, ends_at = check(_moment, data.get("starts_at"), "starts_at"), check(_moment, data.get("ends_at"), "ends_at")
    if starts_at and ends_at and ends_at <= starts_at:
        problems.append(FieldError("ends_at", "must be later than starts_at"))
    if action in ACTIONS:
        check(_factor, data.get("factor"), action)
        check(_pins, data, action, known_items)
        problems += _condition_problems(data.get("condition"), action, kinds)
    return problems


def _condition_problems(condition: Any, action: str, kinds: Mapping[str, str] | None) -> list[FieldError]:
    """The mistakes of each clause of a flat group (or the first of any other condition)."""
    group = next((key for key in ("all", "any") if isinstance(condition, Mapping) and key in condition), None)
    parts = condition.get(group) if group and len(condition) == 1 else None
    if action == "pin" or not isinstance(parts, list) or not parts or \
            not all(isinstance(part, Mapping) and "field" in part for part in parts):
        try:
            _condition(condition, action, kinds)
        except FieldError as error:
            return [error]
        return []
    problems = []
    for i, part in enumerate(parts):
        try:
            parse_condition(part, kinds, f"condition.{group}[{i}]", 1)
        except FieldError as error:
            problems.append(error)
    return problems


def _timezone(value: Any) -> str | None:
    """An IANA time zone name (``Europe/Paris``), or None."""
    if value is None:
        return None
    try:
        if isinstance(value, str) and 1 <= len(value) <= 64:
            ZoneInfo(value)
            return value
    except (ZoneInfoNotFoundError, ValueError):
        pass
    raise FieldError("timezone", f"must be an IANA time zone name such as UTC or Europe/Paris, got {str(value)[:64]!r}")


def parse_settings(data: Any) -> PlacementSettings:
    """Checked placement settings; fields left out take their defaults."""
    if not isinstance(data, Mapping):
        raise FieldError("settings", "must be a JSON object")
    refuse_unknown(data, SETTING_FIELDS)
    defaults = PlacementSettings()
    values = {name: data.get(name, getattr(defaults, name)) for name in SETTING_FIELDS}
    for name in ("exclude_out_of_stock", "exclude_purchased"):
        _bool(values[name], name)
    days = values["repurchase_after_days"]
    if days is not None and (not is_number(days) or not 0 < days <= 36_500):
        raise FieldError("repurchase_after_days", "must be a number of days from 0 (excluded) to 36500, or null")
    cap = values["max_per_category"]
    if cap is not None and (not isinstance(cap, int) or isinstance(cap, bool) or not 1 <= cap <= 100):
        raise FieldError("max_per_category", "must be an integer from 1 to 100, or null")
    for name in ("min_price", "max_price"):
        if values[name] is not None and (not is_number(values[name]) or values[name] < 0):
            raise FieldError(name, "must be a number >= 0, or null")
    low, high = values["min_price"], values["max_price"]
    if low is not None and high is not None and low > high:
        raise FieldError("max_price", "must be at least min_price")
    if values["objective"] not in OBJECTIVES:
        raise FieldError("objective", f"must be one of {', '.join(OBJECTIVES)}")
    floor = values["relevance_floor"]
    if not is_number(floor) or not 0 <= floor <= 1:
        raise FieldError("relevance_floor", "must be a number from 0 to 1")
    if values["strategy"] not in STRATEGIES:
        raise FieldError("strategy", f"must be one of {', '.join(STRATEGIES)}")
    _bool(values["apply_rules"], "apply_rules")
    values["skip_rule_tags"] = _tags(values["skip_rule_tags"], "skip_rule_tags")
    return PlacementSettings(**values)


def check_placement_name(name: Any, field_name: str = "placement") -> str:
    if not isinstance(name, str) or not re.fullmatch(PLACEMENT_PATTERN, name):
        raise FieldError(field_name, "must be 1 to 64 letters, digits, '_' or '-'")
    return name


# ---- field checks -------------------------------------------------------------------------------
def refuse_unknown(data: Mapping, allowed: tuple[str, ...], prefix: str = "") -> None:
    """A ``FieldError`` naming the first key of ``data`` not in ``allowed`` (under ``prefix``)."""
    unknown = sorted(str(key) for key in data if key not in allowed)
    if unknown:
        raise FieldError(prefix + unknown[0], f"unknown field; the fields are {', '.join(allowed)}")


def _name(value: Any) -> str:
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= MAX_NAME_LENGTH:
        raise FieldError("name", f"must be a text of 1 to {MAX_NAME_LENGTH} characters")
    return value.strip()


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise FieldError(name, "must be true or false")
    return value


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _condition(value: Any, action: str, kinds: Mapping[str, str] | None) -> Condition | None:
    if value is None:
        if action != "pin":
            raise FieldError("condition", f"is required for {action} rules")
        return None
    if action == "pin":
        raise FieldError("condition", "pin rules name their items in item_ids and take no condition")
    return parse_condition(value, kinds)


def _placements(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) > MAX_PLACEMENTS:
        raise FieldError("placements", f"must be an array of at most {MAX_PLACEMENTS} placement names ([] = all)")
    return tuple(dict.fromkeys(check_placement_name(name, f"placements[{i}]") for i, name in enumerate(value)))


def _audience(value: Any, any_name: bool) -> str | None:
    if any_name and (value is None or isinstance(value, str)):
        return value
    if value is not None and not (isinstance(value, str) and is_audience(value)):
        raise FieldError("audience", f"must be one of {', '.join(known_audiences())}, community:<name> or null, "
                         f"got {str(value)[:64]!r}")
    return value


def _factor(value: Any, action: str) -> float | None:
    if action not in ("boost", "bury"):
        if value is not None:
            raise FieldError("factor", f"only boost and bury rules take a factor, not {action}")
        return None
    if not is_number(value) or value <= 0:
        raise FieldError("factor", f"{action} needs a factor > 0")
    if action == "boost" and not 1 < value <= MAX_FACTOR:
        raise FieldError("factor", f"a boost factor must be greater than 1 (and at most {MAX_FACTOR:,.0f})")
    if action == "bury" and not 1 / MAX_FACTOR <= value < 1:
        raise FieldError("factor", f"a bury factor must be between 0 and 1 (and at least 1/{MAX_FACTOR:,.0f})")
    return float(value)


def _pins(data: Mapping, action: str, known_items: Container[str] | None) -> tuple[tuple[str, ...], tuple[int, ...]]:
    item_ids, positions = data.get("item_ids", []), data.get("positions", [])
    if action != "pin":
        if item_ids or positions:
            raise FieldError("item_ids" if item_ids else "positions", "only pin rules take item_ids and positions")
        return (), ()
    if not isinstance(item_ids, list) or not 1 <= len(item_ids) <= MAX_PINS:
        raise FieldError("item_ids", f"must be an array of 1 to {MAX_PINS} item ids")
    if not isinstance(positions, list) or len(positions) != len(item_ids):
        raise FieldError("positions", "must be an array with one 1-based position per item id")
    for i, item in enumerate(item_ids):
        if not isinstance(item, str) or not item:
            raise FieldError(f"item_ids[{i}]", "must be a non-empty string")
        if known_items is not None and item not in known_items:
            raise FieldError(f"item_ids[{i}]", f"item {item[:100]!r} is not in the catalog")
    for i, position in enumerate(positions):
        if not isinstance(position, int) or isinstance(position, bool) or not 1 <= position <= MAX_PINS:
            raise FieldError(f"positions[{i}]", f"must be an integer from 1 to {MAX_PINS}")
    if len(set(item_ids)) < len(item_ids) or len(set(positions)) < len(positions):
        raise FieldError("item_ids" if len(set(item_ids)) < len(item_ids) else "positions", "must not repeat")
    return tuple(item_ids), tuple(positions)


def _moment(value: Any, name: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise FieldError(name, "must be an ISO 8601 date-time with a time zone, or null")
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "Zz" and text else text)
    except ValueError:
        raise FieldError(name, f"must be an ISO 8601 date-time with a time zone, got {value[:40]!r}") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise FieldError(name, "needs a time zone (e.g. 2026-11-27T00:00:00+01:00 or ...Z)")
    return moment


def _tags(value: Any, name: str) -> tuple[str, ...]:
    if isinstance(value, tuple):
        value = list(value)
    if not isinstance(value, list) or len(value) > MAX_TAGS:
        raise FieldError(name, f"must be an array of at most {MAX_TAGS} tags")
    for i, tag in enumerate(value):
        if not isinstance(tag, str) or not re.fullmatch(TAG_PATTERN, tag):
            raise FieldError(f"{name}[{i}]", "must be 1 to 40 letters, digits, '_' or '-'")
    return tuple(dict.fromkeys(value))


def _priority(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or abs(value) > MAX_PRIORITY:
        raise FieldError("priority", f"must be an integer from -{MAX_PRIORITY} to {MAX_PRIORITY}")
    return value

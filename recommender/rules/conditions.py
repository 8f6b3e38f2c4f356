"""Conditions over catalog attributes: parsing with field-naming errors, and compilation to masks.

A condition is a leaf ``{"field", "op", "value"}`` or a group ``{"all": [...]}`` / ``{"any": [...]}``
(groups nest). Compiling evaluates it once over whole column arrays of an ``ItemTable``, giving one
boolean per catalog item; requests only index that mask. An item with no value in the column
matches only ``ne`` and ``not_in``. ``contains`` is a case-insensitive substring test on text.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from ..errors import FieldError
from .items import ItemTable, value_kind

OPS = ("eq", "ne", "in", "not_in", "lt", "lte", "gt", "gte", "contains")
OPS_BY_KIND = {
    "number": ("eq", "ne", "in", "not_in", "lt", "lte", "gt", "gte"),
    "bool": ("eq", "ne", "in", "not_in"),
    "text": ("eq", "ne", "in", "not_in", "contains"),
}
OP_WORDS = {"eq": "is", "ne": "is not", "in": "is one of", "not_in": "is none of", "lt": "is less than",
            "lte": "is at most", "gt": "is more than", "gte": "is at least", "contains": "contains"}
GROUPS = ("all", "any")
MAX_DEPTH = 5
MAX_LIST = 1000
MAX_TEXT = 1000  # characters of one text value


@dataclass(frozen=True)
class Leaf:
    field: str
    op: str
    value: Any


@dataclass(frozen=True)
class Group:
    kind: str
    parts: tuple["Condition", ...]


Condition = Union[Leaf, Group]


def parse_condition(data: Any, kinds: Mapping[str, str] | None, path: str = "condition", depth: int = 0) -> Condition:
    """A checked condition; ``kinds`` maps each catalog column to ``number``, ``bool`` or ``text``
    (``None``: any column, its kind implied by the value — for conditions checked when stored)."""
    if not isinstance(data, Mapping):
        raise FieldError(path, 'must be an object: {"field", "op", "value"}, {"all": [...]} or {"any": [...]}')
    groups = [key for key in GROUPS if key in data]
    if groups:
        return _parse_group(data, groups, kinds, path, depth)
    extra = sorted(set(data) - {"field", "op", "value"})
    if extra:
        raise FieldError(f"{path}.{extra[0]}", "unknown key (a condition has field, op and value)")
    field = data.get("field")
    if not isinstance(field, str) or not field or (kinds is not None and field not in kinds):
        columns = ", ".join(sorted(kinds or ()))
        raise FieldError(f"{path}.field", f"{str(field)[:100]!r} is not a catalog column; the columns are: {columns}")
    op = data.get("op")
    if op not in OPS:
        raise FieldError(f"{path}.op", f"must be one of {', '.join(OPS)}, got {str(op)[:40]!r}")
    kind = kinds[field] if kinds is not None else implied_kind(data.get("value"))
    if kind is None:
        raise FieldError(f"{path}.value", "must be a string, number or boolean (or an array of them for in, not_in)")
    if op not in OPS_BY_KIND[kind]:
        raise FieldError(f"{path}.op", f"{field} is a {kind} column: use {', '.join(OPS_BY_KIND[kind])}")
    if "value" not in data:
        raise FieldError(f"{path}.value", "is required")
    return Leaf(field, op, _parse_value(data["value"], op, kind, f"{path}.value"))


def _parse_group(data: Mapping, groups: list[str], kinds: Mapping[str, str], path: str, depth: int) -> Group:
    if len(data) != 1:
        raise FieldError(path, f"a group holds only one of {' or '.join(GROUPS)}")
    kind = groups[0]
    parts = data[kind]
    if depth >= MAX_DEPTH:
        raise FieldError(f"{path}.{kind}", f"conditions nest at most {MAX_DEPTH} levels")
    if not isinstance(parts, list) or not 1 <= len(parts) <= MAX_LIST:
        raise FieldError(f"{path}.{kind}", f"must be an array of 1 to {MAX_LIST} conditions")
    return Group(kind, tuple(parse_condition(part, kinds, f"{path}.{kind}[{i}]", depth + 1)
                             for i, part in enumerate(parts)))


def _parse_value(value: Any, op: str, kind: str, path: str) -> Any:
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not 1 <= len(value) <= MAX_LIST:
            raise FieldError(path, f"{op} takes an array of 1 to {MAX_LIST} values")
        return tuple(_scalar(item, kind, f"{path}[{i}]") for i, item in enumerate(value))
    return _scalar(value, kind, path)


def _scalar(value: Any, kind: str, path: str) -> Any:
    found = value_kind(value)
    if found != kind or isinstance(value, (list, dict)):
        raise FieldError(path, f"must be a {kind} to compare with a {kind} column")
    if kind == "number" and not math.isfinite(value):
        raise FieldError(path, "must be a finite number")
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise FieldError(path, f"must hold at most {MAX_TEXT:,} characters")
    return value


def implied_kind(value: Any) -> str | None:
    """The column kind a comparison value implies (an array: its first element's)."""
    first = value[0] if isinstance(value, list) and value else value
    return None if isinstance(first, (list, dict)) else value_kind(first)


def condition_to_dict(condition: Condition) -> dict:
    if isinstance(condition, Group):
        return {condition.kind: [condition_to_dict(part) for part in condition.parts]}
    value = list(condition.value) if isinstance(condition.value, tuple) else condition.value
    return {"field": condition.field, "op": condition.op, "value": value}


def compile_condition(condition: Condition, table: ItemTable) -> np.ndarray:
    """One boolean per catalog item: does the item satisfy ``condition``?"""
    if isinstance(condition, Group):
        masks = [compile_condition(part, table) for part in condition.parts]
        return np.logical_and.reduce(masks) if condition.kind == "all" else np.logical_or.reduce(masks)
    kind = table.kinds.get(condition.field)
    value = list(condition.value) if isinstance(condition.value, tuple) else condition.value
    if kind is None or kind != implied_kind(value):
        return np.full(len(table), condition.op in ("ne", "not_in"))  # the column is gone or changed kind
    column, present = table.columns[condition.field], table.present[condition.field]
    matched = _compare(column, condition.op, condition.value, table.kinds[condition.field])
    return matched | ~present if condition.op in ("ne", "not_in") else matched & present


def _compare(column: np.ndarray, op: str, value: Any, kind: str) -> np.ndarray:
    if kind != "text":
        value = np.asarray(value, dtype=np.float64)
    if op == "eq":
        return column == value
    if op == "ne":
        return column != value
    if op in ("in", "not_in"):
        inside = np.isin(column, np.asarray(value, dtype=column.dtype if kind != "text" else str))
        return inside if op == "in" else ~inside
    if op == "contains":
        return np.char.find(np.char.lower(column), str(value).lower()) >= 0
    return {"lt": np.less, "lte": np.less_equal, "gt": np.greater, "gte": np.greater_equal}[op](column, value)

"""The catalog as column arrays aligned with the model's item indices, which rules are compiled over.

Every column has a kind: ``number`` (float64, NaN where missing), ``bool`` (float64 1/0, NaN where
missing) or ``text`` (a numpy string array, "" where missing); ``present`` marks the rows that
have a value. Attribute updates (stock, price, any column) give a new table; the old one is never
changed, so a request can keep using the table it started with.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import FieldError

CANONICAL_KINDS = {"item_id": "text", "title": "text", "category": "text", "price": "number", "in_stock": "bool"}
LINK_COLUMNS = ("url", "image_url")  # shown as links and images: only http(s) URLs or site paths
_LINK = re.compile(r"^(?:https?://[^\s/]+|/(?!/))\S*$", re.IGNORECASE)
COLUMN_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
MAX_TEXT_LENGTH = 1000


def value_kind(value: Any) -> str | None:
    """``bool``, ``number`` or ``text`` for a JSON scalar; ``None`` for null."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return "text"


@dataclass(frozen=True)
class ItemTable:
    """Attribute columns of the model's items, row ``i`` = model item index ``i``."""

    item_ids: np.ndarray
    index: Mapping[str, int]
    columns: Mapping[str, np.ndarray]
    present: Mapping[str, np.ndarray]
    kinds: Mapping[str, str]

    def __len__(self) -> int:
        return len(self.item_ids)

    @classmethod
    def from_records(cls, item_ids: np.ndarray, records: Mapping[str, Mapping[str, Any]]) -> "ItemTable":
        """Columns from catalog rows keyed by item id (items without a row get missing values)."""
        ids = [str(item) for item in np.asarray(item_ids).tolist()]
        names = dict.fromkeys(CANONICAL_KINDS)
        for row in records.values():
            names.update(dict.fromkeys(row))
        empty: Mapping[str, Any] = {}
        rows = [records.get(item, empty) for item in ids]
        table = {name: [row.get(name) for row in rows] for name in names}
        table["item_id"] = ids
        columns, present, kinds = {}, {}, {}
        for name, values in table.items():
            kinds[name] = _column_kind(name, values)
            columns[name], present[name] = _as_array(values, kinds[name])
        return cls(np.asarray(ids, dtype=object), {item: i for i, item in enumerate(ids)}, columns, present, kinds)

    def with_updates(self, updates: Mapping[str, Mapping[str, Any]]) -> "ItemTable":
        """A table with ``updates`` (item id -> {column: value}) applied; unknown items only add columns."""
        columns, present, kinds = dict(self.columns), dict(self.present), dict(self.kinds)
        changed: dict[str, tuple[list[int], list[Any]]] = {}
        for item, attributes in updates.items():
            row = self.index.get(item, -1)
            for name, value in attributes.items():
                rows, values = changed.setdefault(name, ([], []))
                if row >= 0:
                    rows.append(row)
                    values.append(value)
        for name, (rows, values) in changed.items():
            if name not in kinds:
                kinds[name] = _column_kind(name, values)
                columns[name], present[name] = _as_array([None] * len(self), kinds[name])
            column, mask = _as_array(values, kinds[name])
            columns[name], present[name] = columns[name].copy(), present[name].copy()
            if kinds[name] == "text" and len(column) and column.dtype.itemsize > columns[name].dtype.itemsize:
                columns[name] = columns[name].astype(column.dtype)
            columns[name][rows], present[name][rows] = column, mask
        return ItemTable(self.item_ids, self.index, columns, present, kinds)


def _column_kind(name: str, values: list[Any]) -> str:
    found = {value_kind(value) for value in values} - {None}
    if not found:
        return CANONICAL_KINDS.get(name, "text")
    return found.pop() if len(found) == 1 else "text"


def _as_array(values: list[Any], kind: str) -> tuple[np.ndarray, np.ndarray]:
    present = np.array([value is not None and not _is_nan(value) for value in values], dtype=bool)
    if kind == "text":
        return np.array(["" if v is None or _is_nan(v) else str(v) for v in values], dtype=str), present
    numbers = np.array([float(v) if ok else np.nan for v, ok in zip(values, present.tolist())], dtype=np.float64)
    return numbers, present


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def check_attributes(attributes: Any, kinds: Mapping[str, str], field: str) -> dict[str, Any]:
    """Attribute updates for one item, checked against the column kinds; raises ``FieldError``."""
    if not isinstance(attributes, Mapping):
        raise FieldError(field, "must be an object of column: value")
    checked = {}
    for name, value in attributes.items():
        where = f"{field}.{name}"
        if not isinstance(name, str) or not re.fullmatch(COLUMN_PATTERN, name):
            raise FieldError(where, "column names are 1 to 64 letters, digits or '_', not starting with a digit")
        if name == "item_id":
            raise FieldError(where, "the item id cannot be changed")
        checked[name] = _check_value(name, value, kinds.get(name, CANONICAL_KINDS.get(name)), where)
    return checked


def is_link(text: str) -> bool:
    """An ``http(s)://`` URL or a site path (``/p/1.jpg``): what a widget may put in ``href`` or
    ``src`` (never ``javascript:`` or ``data:``)."""
    return bool(_LINK.match(text))


def _check_value(name: str, value: Any, kind: str | None, field: str) -> Any:
    found = value_kind(value)
    if found is None:
        return None
    if isinstance(value, (list, dict)):
        raise FieldError(field, "must be a string, number, boolean or null")
    if found == "number" and not math.isfinite(value):
        raise FieldError(field, "must be a finite number")
    if kind is not None and found != kind and not (kind == "text" and found == "number"):
        raise FieldError(field, f"{name} is a {kind} column; got a {found}")
    if name == "price" and value < 0:
        raise FieldError(field, "a price cannot be negative")
    if found == "text" and len(value) > MAX_TEXT_LENGTH:
        raise FieldError(field, f"text values hold at most {MAX_TEXT_LENGTH} characters")
    if name in LINK_COLUMNS and not is_link(str(value)):
        raise FieldError(field, "must be an http(s) URL or a path on the store's site starting with /")
    return str(value) if kind == "text" else value

"""Bulk catalog updates as JSON (``{"items": [{"item_id", column: value, ...}]}``) or CSV (a header
row with ``item_id`` and the columns to change; an empty cell changes nothing).

CSV cells become the column's kind: numbers for number columns, ``true/false`` (also ``1/0``,
``yes/no``) for boolean ones, text otherwise; a column the catalog does not have yet is a number
or boolean column when all its cells read as such. Every row is checked before anything is stored.
"""
from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from typing import Any

from recommender.errors import FieldError
from recommender.rules import check_attributes

from api.schema.limits import MAX_CATALOG_ITEMS

MAX_ID_LENGTH = 256
BOOL_WORDS = {**dict.fromkeys(["true", "t", "1", "yes", "y"], True),
              **dict.fromkeys(["false", "f", "0", "no", "n"], False)}


def json_updates(body: Mapping[str, Any], kinds: Mapping[str, str]) -> dict[str, dict]:
    """``{"items": [...]}`` as item id -> checked attributes."""
    rows = body.get("items")
    if not isinstance(rows, list) or not 1 <= len(rows) <= MAX_CATALOG_ITEMS:
        raise FieldError("items", f"must be an array of 1 to {MAX_CATALOG_ITEMS:,} items")
    updates: dict[str, dict] = {}
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise FieldError(f"items[{i}]", "must be an object with item_id and the columns to change")
        item_id = check_item_id(row.get("item_id"), f"items[{i}].item_id")
        attributes = {k: v for k, v in row.items() if k != "item_id"}
        updates.setdefault(item_id, {}).update(check_attributes(attributes, kinds, f"items[{i}]"))
    return updates


def csv_updates(data: bytes, kinds: Mapping[str, str]) -> dict[str, dict]:
    """A CSV upload as item id -> checked attributes; fields name ``line N.column``."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FieldError("file", "the CSV file must be UTF-8") from None
    reader = csv.DictReader(io.StringIO(text))
    try:
        columns = reader.fieldnames or []
    except csv.Error as exc:
        raise FieldError("line 1", f"cannot be read as CSV: {exc}") from None
    if "item_id" not in columns:
        raise FieldError("file", f"the CSV header must name item_id; it has {', '.join(columns) or 'nothing'}")
    rows: list[dict] = []
    try:
        rows.extend(reader)
    except csv.Error as exc:  # a cell over the csv module's field limit, a stray quote, ...
        raise FieldError(f"line {len(rows) + 2}", f"cannot be read as CSV: {exc}") from None
    if not 1 <= len(rows) <= MAX_CATALOG_ITEMS:
        raise FieldError("file", f"the CSV file must hold 1 to {MAX_CATALOG_ITEMS:,} rows")
    converters = {name: _converter(name, kinds.get(name), [row.get(name) for row in rows])
                  for name in columns if name and name != "item_id"}
    updates: dict[str, dict] = {}
    for line, row in enumerate(rows, start=2):
        if None in row:
            raise FieldError(f"line {line}", "has more cells than the header")
        item_id = check_item_id((row.get("item_id") or "").strip(), f"line {line}.item_id")
        cells = {name: convert(row[name], f"line {line}.{name}") for name, convert in converters.items()
                 if (row.get(name) or "").strip()}
        updates.setdefault(item_id, {}).update(check_attributes(cells, kinds, f"line {line}"))
    return updates


def check_item_id(value: Any, field: str) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_ID_LENGTH:
        raise FieldError(field, f"must be an item id of 1 to {MAX_ID_LENGTH} characters")
    return value


def _converter(name: str, kind: str | None, cells: list[str | None]):
    kind = kind or _new_column_kind([cell.strip() for cell in cells if cell and cell.strip()])

    def convert(cell: str, field: str) -> Any:
        cell = cell.strip()
        if kind == "number":
            if not _is_number(cell):
                raise FieldError(field, f"{name} is a number column; got {cell[:40]!r}")
            return float(cell)
        if kind == "bool":
            if cell.lower() not in BOOL_WORDS:
                raise FieldError(field, f"{name} is a true/false column; got {cell[:40]!r}")
            return BOOL_WORDS[cell.lower()]
        return cell

    return convert


def _new_column_kind(values: list[str]) -> str:
    if values and all(_is_number(v) for v in values):
        return "number"
    if values and all(v.lower() in BOOL_WORDS for v in values):
        return "bool"
    return "text"


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False

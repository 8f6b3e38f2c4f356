"""The event store as files: a Parquet export for a warehouse or for training, and the erasure
list training needs. The export is written in chunks (pyarrow), so a large store streams through.

The training layout is the canonical event table (docs/data.md): ``timestamp, user_id, item_id,
event, quantity, price, order_id``, only views, carts and purchases, and an anonymous visitor as the
customer ``visitor:<visitor_id>`` (a visitor who logged in is already their customer). The full
layout keeps every stored column and event type.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.engine import make_url

from api.config import database_url
from api.database.erasures import VISITOR_USER_PREFIX, ErasureRow, model_user
from api.events.store import EXPORT_COLUMNS, EventStore

INTERACTIONS = ("view", "cart", "purchase")
TRAINING_SCHEMA = pa.schema([("timestamp", pa.timestamp("ms", tz="UTC")), ("user_id", pa.string()),
                             ("item_id", pa.string()), ("event", pa.string()), ("quantity", pa.float64()),
                             ("price", pa.float64()), ("order_id", pa.string())])


def write_parquet(store: EventStore, out: Path, since: float | None = None, until: float | None = None,
                  training: bool = False) -> int:
    """Write the stored events (``training``: in the training layout) to ``out``; the rows written."""
    out.parent.mkdir(parents=True, exist_ok=True)
    schema = TRAINING_SCHEMA if training else _full_schema()
    rows = 0
    with pq.ParquetWriter(out, schema) as writer:
        for part in store.rows(since, until):
            table = _training_table(part) if training else _full_table(part, schema)
            writer.write_table(table)
            rows += table.num_rows
    return rows


def stored_erasures(settings: Mapping[str, Any]) -> dict[str, float]:
    """Model user id -> when it was erased, from the store ``settings`` name; empty when that store
    does not exist yet (a SQLite file never made), so training never creates one."""
    url = database_url(settings)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and (not parsed.database or not Path(parsed.database).exists()):
        return {}
    store = EventStore(url)
    try:
        with store.connect() as connection:
            rows = connection.execute(select(ErasureRow.kind, ErasureRow.subject, ErasureRow.at)).all()
        return {model_user(kind, subject): at for kind, subject, at in rows}
    finally:
        store.close()


def _full_schema() -> pa.Schema:
    types = {"seq": pa.int64(), "known_item": pa.bool_(), "at": pa.timestamp("ms", tz="UTC"),
             "received_at": pa.timestamp("ms", tz="UTC"), "quantity": pa.float64(), "price": pa.float64(),
             "position": pa.int32()}
    return pa.schema([(name, types.get(name, pa.string())) for name in EXPORT_COLUMNS])


def _full_table(part: list[tuple], schema: pa.Schema) -> pa.Table:
    columns = list(zip(*part))
    arrays = []
    for name, values in zip(EXPORT_COLUMNS, columns):
        if name in ("at", "received_at"):
            values = [int(value * 1000) for value in values]
        arrays.append(pa.array(values, type=schema.field(name).type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _training_table(part: list[tuple]) -> pa.Table:
    at = {name: position for position, name in enumerate(EXPORT_COLUMNS)}
    kept = [row for row in part if row[at["type"]] in INTERACTIONS]
    users = [row[at["user_id"]] or VISITOR_USER_PREFIX + row[at["visitor_id"]] for row in kept]
    return pa.Table.from_arrays([
        pa.array([int(row[at["at"]] * 1000) for row in kept], type=pa.timestamp("ms", tz="UTC")),
        pa.array(users, type=pa.string()),
        pa.array([row[at["item_id"]] for row in kept], type=pa.string()),
        pa.array([row[at["type"]] for row in kept], type=pa.string()),
        pa.array([row[at["quantity"]] for row in kept], type=pa.float64()),
        pa.array([row[at["price"]] for row in kept], type=pa.float64()),
        pa.array([row[at["order_id"]] for row in kept], type=pa.string()),
    ], schema=TRAINING_SCHEMA)

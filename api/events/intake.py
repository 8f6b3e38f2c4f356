"""Reading a ``POST /v1/events`` body: one event, an array of up to 1,000, or NDJSON lines.

The whole body is validated before anything is written (a batch is all-or-nothing); the first
mistake is a 400 naming the event's index and the field (``[3].item_id``; just ``item_id`` for a
single event). ``sendBeacon`` posts text/plain, so any media type but NDJSON is read as JSON.
"""
from __future__ import annotations

import secrets
import time
from collections.abc import Mapping

import orjson
from flask import request
from pydantic import ValidationError
from werkzeug.exceptions import ClientDisconnected

from api.errors import APIError, bad_request
from api.schema.event_models import EVENT_LIST, MAX_EVENTS, EventIn

NDJSON = "application/x-ndjson"


def read_events() -> list[EventIn]:
    """The request's events, validated."""
    items, single = _items()
    if not 1 <= len(items) <= MAX_EVENTS:
        raise bad_request(f"send 1 to {MAX_EVENTS:,} events in one request, got {len(items):,}", code="wrong_size")
    try:
        return EVENT_LIST.validate_python(items)
    except ValidationError as exc:
        raise _first_error(exc, single) from None


def event_rows(events: list[EventIn], labels: Mapping[str, tuple[str, str]]) -> list[dict]:
    """The store's rows: the server's time where the event has none, the category the served catalog
    (``labels``: item id -> (title, category)) gives the item, and an id where the client sent none."""
    now = time.time()
    rows = []
    for event in events:
        label = labels.get(event.item_id)
        rows.append({
            "event_id": event.event_id or _time_ordered_id(), "type": event.type, "visitor_id": event.visitor_id,
            "user_id": event.user_id, "item_id": event.item_id, "category": (label[1] or None) if label else None,
            "known_item": label is not None, "at": event.timestamp.timestamp() if event.timestamp else now,
            "received_at": now, "order_id": event.order_id, "quantity": event.quantity, "price": event.price,
            "recommendation_id": event.recommendation_id, "placement": event.placement, "position": event.position,
        })
    return rows


def _time_ordered_id() -> str:
    """A unique id that sorts by creation time (like UUIDv7), so the store's unique index on
    ``event_id`` grows at its end instead of at random pages."""
    return f"{time.time_ns():016x}{secrets.token_hex(8)}"


def _items() -> tuple[list, bool]:
    try:
        raw = request.get_data(cache=False)
    except ClientDisconnected:
        raise APIError(408, "request_timeout", "the request body did not arrive in time") from None
    if request.mimetype == NDJSON:
        return _ndjson(raw), False
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise bad_request("the request body is not valid JSON", code="malformed_json") from None
    if isinstance(body, dict):
        return [body], True
    if isinstance(body, list):
        return body, False
    raise bad_request("the body must be an event (a JSON object) or an array of events", code="wrong_type")


def _ndjson(raw: bytes) -> list:
    items = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            raise bad_request(f"line {number} is not valid JSON", f"[{len(items)}]", "malformed_json") from None
    return items


def _first_error(exc: ValidationError, single: bool) -> APIError:
    error = exc.errors(include_url=False)[0]
    index, *path = error["loc"]
    named = (error.get("ctx") or {}).get("field")
    path = [*path, named] if named and not path else path
    inside = ".".join(str(part) for part in path)
    field = inside if single else f"[{index}]" + (f".{inside}" if inside else "")
    kind = error["type"]
    code = "wrong_type" if kind.endswith("_type") else "invalid_parameter"
    where = "" if single else f"event {index}: "
    return bad_request(f"{where}{inside + ': ' if inside else ''}{error['msg'][0].lower()}{error['msg'][1:]}",
                       field or None, code)

"""Parsing of query strings and JSON bodies; every mistake is a 400 ``APIError`` naming the field.

The limits here are the ones the OpenAPI document states (``api/openapi.py`` reads them from this
module), so the documentation and the checks cannot drift apart.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from flask import request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from recommender.engine import SessionEvent
from recommender.rules import PLACEMENT_PATTERN

from api.errors import bad_request

DEFAULT_N = 10
MAX_N = 100
MAX_ID_LENGTH = 256
MAX_BATCH_USERS = 10_000
MAX_SESSION_EVENTS = 1_000
MAX_CART_ITEMS = 500
DEFAULT_LIMIT = 100
MAX_LIMIT = 1_000
EVENT_ALIASES = {
    "view": "view", "cart": "cart", "purchase": "purchase",
    "addtocart": "cart", "add_to_cart": "cart", "transaction": "purchase", "order": "purchase",
}
# Epoch numbers below 1e11 are seconds (year 5138), below 1e14 milliseconds.
MAX_EPOCH = 1e14
_EPOCH_MS = 1e11
_DAY_SECONDS = 86_400.0


# ---- query strings -----------------------------------------------------------------------------
def query_n(args: MultiDict) -> int:
    raw = args.get("n")
    if raw is None:
        return DEFAULT_N
    if not re.fullmatch(r"-?[0-9]{1,6}", raw):
        raise bad_request(f"n must be an integer from 1 to {MAX_N}, got {raw!r}", "n")
    return _check_n(int(raw))


def query_bool(args: MultiDict, name: str, default: bool) -> bool:
    raw = args.get(name)
    if raw is None:
        return default
    if raw not in ("true", "false"):
        raise bad_request(f"{name} must be true or false, got {raw!r}", name)
    return raw == "true"


def query_placement(args: MultiDict) -> str | None:
    return _check_placement(args.get("placement"), "placement")


def query_limit(args: MultiDict) -> int:
    """``limit``: page size of a listing, 1 to ``MAX_LIMIT``."""
    raw = args.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not re.fullmatch(r"[0-9]{1,7}", raw) or not 1 <= int(raw) <= MAX_LIMIT:
        raise bad_request(f"limit must be an integer from 1 to {MAX_LIMIT:,}, got {raw[:20]!r}", "limit")
    return int(raw)


def query_text(args: MultiDict, name: str) -> str | None:
    raw = args.get(name)
    if raw is not None and not 1 <= len(raw) <= MAX_ID_LENGTH:
        raise bad_request(f"{name} must hold 1 to {MAX_ID_LENGTH} characters", name)
    return raw


# ---- JSON bodies -------------------------------------------------------------------------------
def json_body() -> dict[str, Any]:
    """The request body as a JSON object, whatever ``Content-Type`` the client sent."""
    try:
        body = request.get_json(force=True)
    except (BadRequest, RecursionError):
        raise bad_request("the request body is not valid JSON (or nested too deeply)", code="malformed_json") from None
    if not isinstance(body, dict):
        raise bad_request(f"the request body must be a JSON object, got {_json_type(body)}", code="wrong_type")
    return body


def body_n(body: Mapping[str, Any]) -> int:
    value = body.get("n", DEFAULT_N)
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"n must be an integer from 1 to {MAX_N}, got {_json_type(value)}", "n")
    return _check_n(value)


def body_bool(body: Mapping[str, Any], name: str, default: bool) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise bad_request(f"{name} must be true or false, got {_json_type(value)}", name)
    return value


def body_placement(body: Mapping[str, Any]) -> str | None:
    value = body.get("placement")
    if value is not None and not isinstance(value, str):
        raise bad_request(f"placement must be a string, got {_json_type(value)}", "placement")
    return _check_placement(value, "placement")


def body_optional_id(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    return None if value is None else _check_id(value, name)


def body_id_list(body: Mapping[str, Any], name: str, max_items: int, min_items: int = 0) -> list[str]:
    values = body.get(name)
    if not isinstance(values, list):
        raise bad_request(f"{name} must be an array of strings, got {_json_type(values)}", name)
    if not min_items <= len(values) <= max_items:
        raise bad_request(f"{name} must hold {min_items} to {max_items:,} ids, got {len(values):,}", name)
    return [_check_id(value, f"{name}[{i}]") for i, value in enumerate(values)]


def session_events(body: Mapping[str, Any], now: datetime | None = None) -> list[SessionEvent]:
    """``session``: ``[{"item_id", "event", "timestamp"?}]`` as engine events aged relative to ``now``."""
    events = body.get("session", [])
    if not isinstance(events, list):
        raise bad_request(f"session must be an array of events, got {_json_type(events)}", "session")
    if len(events) > MAX_SESSION_EVENTS:
        raise bad_request(f"session holds at most {MAX_SESSION_EVENTS:,} events, got {len(events):,}", "session")
    now = now or datetime.now(timezone.utc)
    return [_session_event(event, f"session[{i}]", now) for i, event in enumerate(events)]


def _session_event(event: Any, field: str, now: datetime) -> SessionEvent:
    if not isinstance(event, dict):
        raise bad_request(f"{field} must be an object, got {_json_type(event)}", field, code="wrong_type")
    item_id = _check_id(event.get("item_id"), f"{field}.item_id")
    name = event.get("event")
    if not isinstance(name, str) or name not in EVENT_ALIASES:
        raise bad_request(f"{field}.event must be one of {', '.join(EVENT_ALIASES)}, got {name!r}",
                          f"{field}.event", code="unknown_event")
    age = 0.0
    if "timestamp" in event:
        age = max(0.0, (now - _timestamp(event["timestamp"], f"{field}.timestamp")).total_seconds() / _DAY_SECONDS)
    return SessionEvent(item_id, EVENT_ALIASES[name], age)


def _timestamp(value: Any, field: str) -> datetime:
    """ISO 8601 text (UTC when it names no zone) or epoch seconds or milliseconds."""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("z", "Z").replace("t", "T"))
        except ValueError:
            raise bad_request(f"{field} must be ISO 8601 or epoch seconds, got {value[:40]!r}", field) from None
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < MAX_EPOCH:
        raise bad_request(f"{field} must be ISO 8601 or epoch seconds (0 to {MAX_EPOCH:.0e}), got {value!r}", field)
    seconds = value / 1000 if value >= _EPOCH_MS else value
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


# ---- shared checks -----------------------------------------------------------------------------
def _check_n(value: int) -> int:
    if not 1 <= value <= MAX_N:
        raise bad_request(f"n must be an integer from 1 to {MAX_N}, got {value}", "n")
    return value


def _check_placement(value: str | None, field: str) -> str | None:
    if value is not None and not re.fullmatch(PLACEMENT_PATTERN, value):
        raise bad_request(f"{field} must be 1 to 64 letters, digits, '_' or '-', got {value[:70]!r}", field)
    return value


def _check_id(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise bad_request(f"{field} must be a string, got {_json_type(value)}", field, code="wrong_type")
    if not 1 <= len(value) <= MAX_ID_LENGTH:
        raise bad_request(f"{field} must hold 1 to {MAX_ID_LENGTH} characters", field)
    return value


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number" if math.isfinite(value) else "a non-finite number"
    return {str: "a string", list: "an array", dict: "an object"}.get(type(value), type(value).__name__)

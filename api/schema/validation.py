"""Parsing of query strings and JSON bodies; every mistake is a 400 ``APIError`` naming the field.

Bodies are validated by their pydantic models (``api.schema.models``), the same declarations the
OpenAPI document is generated from; query strings by the helpers here, with the limits of
``api.schema.limits`` that the document's parameters state too.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel, ValidationError
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest, ClientDisconnected

from recommender.rules import PLACEMENT_PATTERN

from api.errors import APIError, bad_request
from api.schema.limits import DEFAULT_LIMIT, DEFAULT_N, MAX_ID_LENGTH, MAX_LIMIT, MAX_N

M = TypeVar("M", bound=BaseModel)
CUSTOM_CODES = {"unknown_event"}  # pydantic error types that are error codes of their own


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


def query_number(args: MultiDict, name: str, default: float, low: float, high: float) -> float:
    raw = args.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:
        raise bad_request(f"{name} must be a number from {low:g} to {high:g}", name)
    return value


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
    except ClientDisconnected:
        raise APIError(408, "request_timeout", "the request body did not arrive in time, or ended before its "
                       "Content-Length") from None
    except (BadRequest, RecursionError):
        raise bad_request("the request body is not valid JSON (or nested too deeply)", code="malformed_json") from None
    if not isinstance(body, dict):
        raise bad_request(f"the request body must be a JSON object, got {_json_type(body)}", code="wrong_type")
    return body


def parse_body(model: type[M], body: Mapping[str, Any] | None = None, prefix: str = "") -> M:
    """``body`` (default: the request's JSON body) validated by ``model``; the first mistake is a
    400 naming the field (``prefix`` + its path, e.g. ``session[0].event``)."""
    try:
        return model.model_validate(json_body() if body is None else body)
    except ValidationError as exc:
        raise _first_error(exc, prefix) from None


def _first_error(exc: ValidationError, prefix: str) -> APIError:
    error = exc.errors(include_url=False, include_context=False)[0]
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]).lstrip(".")
    field = f"{prefix}{path}" if path else prefix.rstrip(".") or None
    kind = error["type"]
    code = "wrong_type" if kind.endswith("_type") else kind if kind in CUSTOM_CODES else "invalid_parameter"
    message = error["msg"][0].lower() + error["msg"][1:]
    return bad_request(f"{field}: {message}" if field else message, field, code)


# ---- shared checks -----------------------------------------------------------------------------
def _check_n(value: int) -> int:
    if not 1 <= value <= MAX_N:
        raise bad_request(f"n must be an integer from 1 to {MAX_N}, got {value}", "n")
    return value


def _check_placement(value: str | None, field: str) -> str | None:
    if value is not None and not re.fullmatch(PLACEMENT_PATTERN, value):
        raise bad_request(f"{field} must be 1 to 64 letters, digits, '_' or '-', got {value[:70]!r}", field)
    return value


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number" if math.isfinite(value) else "a non-finite number"
    return {str: "a string", list: "an array", dict: "an object"}.get(type(value), type(value).__name__)

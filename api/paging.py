"""Opaque cursors for paged listings: where the next page starts, bound to one list and model version.

A cursor is URL-safe base64 of ``[list name, offset, model version]``. Clients pass it back as is.
One this service did not make for this list names no page: 404. One from a model version no longer
served is a 409 (the members and their order may have changed: start again without a cursor).
"""
from __future__ import annotations

import base64
import binascii
import json

from api.errors import APIError


def make_cursor(name: str, offset: int, version: str) -> str:
    raw = json.dumps([name, offset, version], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def read_cursor(cursor: str | None, name: str, version: str) -> int:
    """The offset a cursor points at (0 without one)."""
    if cursor is None:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        list_name, offset, made_for = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise _unknown(name) from None
    if list_name != name or not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise _unknown(name)
    if made_for != version:
        raise APIError(409, "cursor_expired", f"cursor was made for model version {str(made_for)[:80]!r}, "
                       f"now serving {version}: start again without a cursor", "cursor")
    return offset


def _unknown(name: str) -> APIError:
    return APIError(404, "unknown_cursor", f"cursor names no page of the listing of {name!r}", "cursor")

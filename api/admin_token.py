"""The admin check shared by every write endpoint: ``Authorization: Bearer <VITRINE_ADMIN_TOKEN>``.

Wrong tokens are counted per client address (``api.failed_attempts``): after 10 within a minute that
address gets 429 (with ``Retry-After``) for every admin attempt, right or wrong, until the window
has passed, so a token cannot be guessed at the speed of the service. The count is per worker
process, so with ``W`` workers an address gets at most ``10 × W`` tries a minute.
"""
from __future__ import annotations

import hmac

from flask import request

from api.errors import APIError
from api.extension import vitrine


def check_admin_token(given: str, token: str) -> bool:
    """Whether ``given`` is the token, counting a wrong one against the client; raises 429 when the
    client has tried too many wrong ones lately."""
    address = request.remote_addr or "unknown"
    attempts = vitrine().failed_attempts
    wait = attempts.retry_after(address)
    if wait > 0:
        raise APIError(429, "too_many_attempts", f"too many wrong admin tokens; try again in {wait:.0f}s",
                       headers={"Retry-After": str(int(wait) + 1)})
    if hmac.compare_digest(given.encode(), token.encode()):
        return True
    attempts.record(address)
    return False


def require_admin_token() -> None:
    """Refuse the request unless it carries the admin bearer token (401 without one, 403 if wrong,
    429 after too many wrong ones)."""
    token = vitrine().admin_token
    if not token:
        raise APIError(403, "admin_disabled", "admin endpoints are disabled: set VITRINE_ADMIN_TOKEN to enable them")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise APIError(401, "unauthorized", "send Authorization: Bearer <VITRINE_ADMIN_TOKEN>",
                       headers={"WWW-Authenticate": 'Bearer realm="vitrine admin"'})
    if not check_admin_token(given.strip(), token):
        raise APIError(403, "forbidden", "wrong admin token")

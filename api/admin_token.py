"""The admin check shared by every write endpoint: ``Authorization: Bearer <VITRINE_ADMIN_TOKEN>``."""
from __future__ import annotations

import hmac

from flask import request

from api.errors import APIError
from api.extension import vitrine


def require_admin_token() -> None:
    """Refuse the request unless it carries the admin bearer token (401 without one, 403 if wrong)."""
    token = vitrine().admin_token
    if not token:
        raise APIError(403, "admin_disabled", "admin endpoints are disabled: set VITRINE_ADMIN_TOKEN to enable them")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise APIError(401, "unauthorized", "send Authorization: Bearer <VITRINE_ADMIN_TOKEN>",
                       headers={"WWW-Authenticate": 'Bearer realm="vitrine admin"'})
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise APIError(403, "forbidden", "wrong admin token")

"""Operator endpoints, guarded by ``Authorization: Bearer <VITRINE_ADMIN_TOKEN>``."""
from __future__ import annotations

import hmac

from flask import Blueprint, request

from ..errors import APIError
from ..extension import vitrine
from ..model_store import ReloadRefused

bp = Blueprint("admin", __name__, url_prefix="/v1/admin")


@bp.before_request
def _require_token() -> None:
    token = vitrine().admin_token
    if not token:
        raise APIError(403, "admin_disabled", "admin endpoints are disabled: set VITRINE_ADMIN_TOKEN to enable them")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise APIError(401, "unauthorized", "send Authorization: Bearer <VITRINE_ADMIN_TOKEN>",
                       headers={"WWW-Authenticate": 'Bearer realm="vitrine admin"'})
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise APIError(403, "forbidden", "wrong admin token")


@bp.post("/reload")
def reload() -> dict:
    """Load the version ``models/CURRENT`` names in this worker now (others follow within a second)."""
    store = vitrine().store
    previous = store.served()
    try:
        served = store.reload()
    except ReloadRefused as exc:
        serving = previous.name if previous else "nothing"
        raise APIError(409, "reload_refused", f"{exc}; still serving {serving}") from None
    return {"model_version": served.name, "previous_version": previous.name if previous else None,
            "changed": previous is None or previous.name != served.name}

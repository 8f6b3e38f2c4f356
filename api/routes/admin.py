"""Operator endpoints, guarded by ``Authorization: Bearer <VITRINE_ADMIN_TOKEN>``."""
from __future__ import annotations

from flask import Blueprint

from api.admin_token import require_admin_token
from api.errors import APIError
from api.extension import vitrine
from api.serving.model_store import ReloadRefused

bp = Blueprint("admin", __name__, url_prefix="/v1/admin")
bp.before_request(require_admin_token)


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

"""Erasure on request: ``DELETE /v1/users/{id}`` and ``DELETE /v1/visitors/{id}`` (admin token)."""
from __future__ import annotations

from flask import Blueprint
from werkzeug.routing import PathConverter

from api.events import events
from api.rules.changes import admin_actor

bp = Blueprint("erasure", __name__)


class SubjectConverter(PathConverter):
    """An id that may hold "/", but is not one of the person's own resources (``.../profile``), so
    ``DELETE`` is not advertised on those."""

    regex = r"[^/][\s\S]*?(?<!/recommendations)(?<!/similar-users)(?<!/profile)"


@bp.record_once
def _register_converter(state) -> None:
    state.app.url_map.converters.setdefault("subject", SubjectConverter)


@bp.delete("/v1/users/<subject:user_id>")
def erase_user(user_id: str) -> dict:
    """Delete the customer's stored events and links; answers stop using what the served model
    learned of them; the next training leaves their earlier rows out. Audited."""
    return _erase("user", user_id)


@bp.delete("/v1/visitors/<subject:visitor_id>")
def erase_visitor(visitor_id: str) -> dict:
    return _erase("visitor", visitor_id)


def _erase(kind: str, subject: str) -> dict:
    actor = admin_actor()
    deleted = events().erase(kind, subject, actor)
    return {"erased": {"kind": kind, "id": subject}, "events_deleted": deleted}

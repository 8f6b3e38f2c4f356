"""``/v1/placements``: what each placement always filters (stock, past purchases, diversity, price).

A placement without settings of its own uses those of ``default``, else the built-in defaults.
Reads are open; ``PUT`` needs the admin token and replaces all of a placement's settings.
"""
from __future__ import annotations

from flask import Blueprint

from recommender.errors import FieldError
from recommender.rules import DEFAULT_PLACEMENT, PlacementSettings, check_placement_name, parse_settings

from api.rules.changes import admin_actor, invalid
from api.rules.cache import rules_cache
from api.schema.validation import json_body

bp = Blueprint("placements", __name__, url_prefix="/v1/placements")


@bp.get("")
def list_placements() -> dict:
    stored = rules_cache().store.placements()
    return {"placements": [{"name": name, **settings} for name, settings in stored.items()],
            "defaults": PlacementSettings().to_dict()}


@bp.get("/<name>")
def get_placement(name: str) -> dict:
    """The settings that apply to ``name``, and where they come from (``own``, ``default``, ``built_in``)."""
    _check_name(name)
    stored = rules_cache().store.placements()
    source = "own" if name in stored else "default" if DEFAULT_PLACEMENT in stored else "built_in"
    settings = stored.get(name) or stored.get(DEFAULT_PLACEMENT) or PlacementSettings().to_dict()
    return {"name": name, **settings, "source": source}


@bp.put("/<name>")
def put_placement(name: str) -> dict:
    actor = admin_actor()
    _check_name(name)
    try:
        settings = parse_settings({k: v for k, v in json_body().items() if k not in ("name", "source")})
    except FieldError as exc:
        raise invalid(exc, "invalid_setting") from None
    stored = rules_cache().store.put_placement(name, settings.to_dict(), actor)
    rules_cache().refresh(force=True)
    return {"name": name, **stored, "source": "own"}


def _check_name(name: str) -> None:
    try:
        check_placement_name(name, "name")
    except FieldError as exc:
        raise invalid(exc, "invalid_parameter") from None

"""``/v1/catalog/items``: attribute updates (stock, price, any column) that rules use at once.

Updates are kept in the rule store and laid over the served version's catalog snapshot, so they
take effect without retraining and stay in force when a new model version is published. Reads
are open; writes need the admin token and are checked whole before anything is stored.
"""
from __future__ import annotations

from flask import Blueprint, request

from recommender.errors import FieldError
from recommender.rules import check_attributes

from api.rules.catalog_upload import check_item_id, csv_updates, json_updates
from api.rules.changes import admin_actor, invalid, not_found, served_or_none
from api.errors import bad_request
from api.rules.cache import rules_cache
from api.schema.validation import json_body

bp = Blueprint("catalog", __name__, url_prefix="/v1/catalog/items")
CSV_TYPES = ("text/csv", "application/csv")


@bp.get("/<path:item_id>")
def get_item(item_id: str) -> dict:
    """The item's attributes as rules see them: the model's catalog row with the updates over it."""
    served = served_or_none()
    row = served.version.catalog.get(item_id) if served is not None else None
    updates = rules_cache().store.item(item_id)
    if row is None and updates is None:
        raise not_found("item", item_id, "item_id")
    return {"item_id": item_id, "attributes": {**(row or {}), **(updates or {})}, "updates": updates or {},
            "in_model": row is not None}


@bp.put("/<path:item_id>")
def put_item(item_id: str) -> dict:
    """Set the columns the body names (``null`` clears one); the others keep their value."""
    actor = admin_actor()
    cache = rules_cache()
    try:
        check_item_id(item_id, "item_id")
        attributes = check_attributes(json_body(), cache.kinds(served_or_none()), "attributes")
    except FieldError as exc:
        raise invalid(exc, "invalid_attribute") from None
    if not attributes:
        raise bad_request("the body names no column to change", "attributes")
    stored = cache.store.update_items({item_id: attributes}, actor)
    cache.refresh(force=True)
    return {"item_id": item_id, "updates": stored[item_id]}


@bp.post("")
def post_items() -> dict:
    """Bulk updates: JSON ``{"items": [...]}``, a CSV body (``Content-Type: text/csv``) or a CSV
    file uploaded as ``file`` (multipart form)."""
    actor = admin_actor()
    cache = rules_cache()
    served = served_or_none()
    kinds = cache.kinds(served)
    try:
        if request.mimetype in CSV_TYPES:
            updates = csv_updates(request.get_data(), kinds)
        elif request.mimetype == "multipart/form-data":
            upload = request.files.get("file")
            if upload is None:
                raise FieldError("file", "upload the CSV file as the form field 'file'")
            updates = csv_updates(upload.read(), kinds)
        else:
            updates = json_updates(json_body(), kinds)
    except FieldError as exc:
        raise invalid(exc, "invalid_attribute") from None
    cache.store.update_items(updates, actor)
    cache.refresh(force=True)
    known = served.engine.item_index if served is not None else {}
    return {"updated": len(updates), "unknown_to_model": sum(item not in known for item in updates),
            "version": cache.version}

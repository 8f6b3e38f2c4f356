"""``POST /v1/events``: what visitors did, stored before it is acknowledged."""
from __future__ import annotations

from collections import Counter

from flask import Blueprint

from api.events import events
from api.events.intake import event_rows, read_events
from api.extension import vitrine

bp = Blueprint("events", __name__, url_prefix="/v1/events")


@bp.post("")
def post_events() -> tuple[dict, int]:
    """One event, an array or NDJSON; 201 once committed. Unknown items are stored and counted."""
    live = events()
    live.check_origin()
    parsed = read_events()
    served = vitrine().store.served()
    rows = event_rows(parsed, served.labels if served is not None else {})
    live.check_visitors(rows)
    appended = live.write(rows)
    unknown = sum(not row["known_item"] for row in rows)
    for (kind, known), count in Counter((row["type"], row["known_item"]) for row in rows).items():
        vitrine().metrics.events.labels(kind, str(known).lower()).inc(count)
    return {"stored": appended.stored, "duplicates": appended.duplicates, "unknown_items": unknown}, 201

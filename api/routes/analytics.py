"""``GET /v1/analytics/placements?from=&to=``: per placement and day, impressions, clicks, CTR,
attributed add-to-carts, orders and revenue, and revenue per 1,000 impressions (admin token).

``from`` and ``to`` are dates (UTC, ``to`` included; default: the last 30 days); ``format=csv``
answers the day rows as CSV.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from recommender.customers import SECONDS_PER_DAY

from api.errors import bad_request
from api.events import events
from api.outcomes.dates import day_text, epoch, report_dates
from api.outcomes.placements import placement_days, totals
from api.rules.changes import admin_actor

bp = Blueprint("analytics", __name__, url_prefix="/v1/analytics")


@bp.get("/placements")
def placements():
    admin_actor()
    first, last = report_dates(request.args.get("from"), request.args.get("to"))
    window = current_app.config["ATTRIBUTION_WINDOW_HOURS"]
    days = placement_days(events().store, epoch(first), epoch(last) + SECONDS_PER_DAY, window)
    days["day"] = day_text(days["day"])
    fmt = request.args.get("format", "json")
    if fmt == "csv":
        name = f"vitrine-placements-{first.isoformat()}-{last.isoformat()}.csv"
        return Response(days.to_csv(index=False, float_format="%.6g"), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    if fmt != "json":
        raise bad_request("format must be json or csv", "format")
    summed = totals(days).set_index("placement")
    report = []
    for placement, rows in days.groupby("placement", sort=True):
        records = rows.drop(columns="placement").to_dict("records")
        report.append({"placement": placement, **_clean(summed.loc[placement].to_dict()),
                       "days": [_clean(r) for r in records]})
    return {"from": first.isoformat(), "to": last.isoformat(),
            "attribution": {"model": "last_click", "window_hours": window}, "placements": report}


def _clean(record: dict) -> dict:
    """Plain numbers for JSON: integers stay integers, rates of nothing (no impressions) are null."""
    cleaned = {}
    for key, value in record.items():
        if hasattr(value, "item"):
            value = value.item()
        if isinstance(value, float) and value != value:
            value = None
        elif key in ("impressions", "clicks", "add_to_carts", "orders") and value is not None:
            value = int(value)
        cleaned[key] = value
    return cleaned

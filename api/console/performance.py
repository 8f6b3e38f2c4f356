"""The Performance page: per placement, impressions, clicks, CTR, attributed add-to-carts, orders and
revenue over the chosen days, with charts and a CSV of the day rows (the numbers of
``GET /v1/analytics/placements``)."""
from __future__ import annotations

from datetime import timedelta

from flask import Response, current_app, render_template, request

from recommender.customers import SECONDS_PER_DAY

from api.console import bp
from api.events import events
from api.outcomes.placements import placement_days, totals
from api.reports.charts import line_chart
from api.outcomes.dates import day_text, epoch, report_dates


def _days():
    first, last = report_dates(request.args.get("from"), request.args.get("to"))
    days = placement_days(events().store, epoch(first), epoch(last) + SECONDS_PER_DAY,
                          current_app.config["ATTRIBUTION_WINDOW_HOURS"])
    days["day"] = day_text(days["day"])
    return first, last, days


@bp.get("/performance")
def performance() -> str:
    first, last, days = _days()
    labels = [(first + timedelta(days=k)).isoformat() for k in range((last - first).days + 1)]
    charts = {}
    for placement, rows in days.groupby("placement", sort=True):
        by_day = rows.set_index("day")
        charts[placement] = (
            line_chart(labels, {name: _series(by_day, name, labels) for name in ("impressions", "clicks")},
                       f"{placement}: impressions and clicks per day"),
            line_chart(labels, {"revenue": _series(by_day, "revenue", labels)},
                       f"{placement}: attributed revenue per day"))
    return render_template("console/performance.html", first=first, last=last,
                           placements=totals(days).to_dict("records"), charts=charts,
                           window=current_app.config["ATTRIBUTION_WINDOW_HOURS"], page_title="Performance")


def _series(by_day, column: str, labels: list[str]) -> list[float]:
    """The column's value on every day of the report (0 on a day without a row)."""
    return [float(by_day[column].get(day, 0)) for day in labels]


@bp.get("/performance.csv")
def performance_csv() -> Response:
    first, last, days = _days()
    return Response(days.to_csv(index=False, float_format="%.6g"), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="vitrine-placements-{first}-{last}.csv"'})

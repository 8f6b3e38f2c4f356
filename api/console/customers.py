"""The Customers page: the lifecycle and segments report (``GET /v1/report``) inside the console."""
from __future__ import annotations

from flask import current_app, render_template

from api.console import bp

REPORT_PATH = "/v1/report"


def report_available() -> bool:
    return any(rule.rule == REPORT_PATH for rule in current_app.url_map.iter_rules())


@bp.get("/customers")
def customers() -> str:
    return render_template("console/customers.html", report=REPORT_PATH if report_available() else None,
                           page_title="Customers")

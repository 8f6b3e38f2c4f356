"""The Customers page: the lifecycle and segments report of the served version, inside the page
(no frame of its own), with money in the store's currency (``VITRINE_CURRENCY``)."""
from __future__ import annotations

from flask import current_app, render_template

from api.extension import served_model
from api.reports.customer_report import render_report_body
from api.console import bp


@bp.get("/customers")
def customers() -> str:
    served = served_model()
    report = render_report_body(served.version, current_app.config["CURRENCY"]) if served.version.profiles else None
    return render_template("console/customers.html", report=report, page_title="Customers")

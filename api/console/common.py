"""What every console page shares: the template context and errors rendered as pages, not JSON."""
from __future__ import annotations

from flask import abort, render_template
from werkzeug.exceptions import HTTPException

from api.errors import APIError
from api.console import bp
from api.console.auth import signed_in


@bp.app_template_filter("num")
def _num(value, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) >= 1000):
        return f"{int(value):,}"
    return f"{value:.{digits}f}"


@bp.context_processor
def _context() -> dict:
    return {"signed_in": signed_in(), "zip": zip}


@bp.route("/<path:unknown>")
def _unknown(unknown: str):
    """Any other console address: a page saying so (inside the console), not the API's JSON."""
    abort(404, f"There is no console page at /console/{unknown[:100]}.")


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    return render_template("console/error.html", status=error.code, title=error.name,
                           message=error.description), error.code


@bp.errorhandler(APIError)
def _api_error(error: APIError):
    return render_template("console/error.html", status=error.status, title=error.code.replace("_", " "),
                           message=error.message), error.status

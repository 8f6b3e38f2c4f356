"""Every error leaves the service as ``{"error": {"code", "message", "field"?}}`` with its status.

``APIError`` is raised by the views; HTTP exceptions of Flask and Werkzeug (404, 405, 413, ...)
keep their status and headers (``Allow``, ``WWW-Authenticate``) but get the JSON body; anything
else is logged with its traceback and answered with a bare 500.
"""
from __future__ import annotations

import logging
import re

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class APIError(Exception):
    """A request the service refuses: HTTP ``status``, a stable ``code`` and a readable message."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}


def bad_request(message: str, field: str | None = None, code: str = "invalid_parameter") -> APIError:
    return APIError(400, code, message, field)


def error_body(code: str, message: str, field: str | None = None) -> dict:
    error = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    return {"error": error}


def _api_error(error: APIError) -> tuple[Response, int]:
    response = jsonify(error_body(error.code, error.message, error.field))
    response.headers.update(error.headers)
    return response, error.status


def _http_error(error: HTTPException) -> Response:
    response = error.get_response()
    code = re.sub(r"\W+", "_", (error.name or "error").lower()).strip("_")
    response.set_data(jsonify(error_body(code, error.description or error.name)).get_data())
    response.content_type = "application/json"
    return response


def _unexpected(error: Exception) -> tuple[Response, int]:
    log.exception("unhandled error while answering a request", exc_info=error)
    return jsonify(error_body("internal_error", "internal server error")), 500


def _read_timeout(error: TimeoutError) -> tuple[Response, int]:
    """The body did not arrive within ``READ_TIMEOUT`` (``api/workers.py``)."""
    return jsonify(error_body("request_timeout", "the request body did not arrive in time")), 408


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(APIError, _api_error)
    app.register_error_handler(TimeoutError, _read_timeout)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)

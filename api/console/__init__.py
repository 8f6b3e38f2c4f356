"""The merchandiser console under ``/console``: server-rendered pages over the same app.

Sign-in exchanges the admin token for a session cookie (``HttpOnly``, ``SameSite=Strict``); every
form post carries the session's CSRF token (see :mod:`api.console.auth`). Each page is a small
module registering its views on ``bp``: ``model`` (the served version and its evaluation),
``rules`` and ``preview`` (business rules), ``catalog`` (search, stock and price) and
``customers`` (the segments report), ``performance`` (what each placement earned) and
``experiments`` (A/B experiments and their results), ``placements`` (what each placement always
does), ``audit`` (every change by everyone) and ``exports`` (e-mail-ready CSV files).
"""
from flask import Blueprint

bp = Blueprint("console", __name__, url_prefix="/console")

from api.console import (audit, auth, catalog, common, customers, experiments, exports, model, performance,  # noqa: E402,F401
                         placements, preview, rules)  # (views register on bp)

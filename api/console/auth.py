"""Console sign-in, the session it opens, and the CSRF check on every form post.

The session is Flask's signed cookie (``HttpOnly``; ``SameSite=Strict`` from the app settings)
holding ``admin`` and a fingerprint of the admin token it was opened with, so changing
``VITRINE_ADMIN_TOKEN`` signs everybody out. Each session has a random CSRF token that every
``POST`` must send back as the ``csrf_token`` form field (or an ``X-CSRF-Token`` header); the
comparison is constant-time.

The signing key is ``VITRINE_SECRET_KEY``. Left empty, a random key is generated once and kept in
``<data folder>/secret_key`` (mode 600), so sessions survive restarts and all gunicorn workers of
one host agree; hosts behind one load balancer must share ``VITRINE_SECRET_KEY``. Apps built with
``TESTING`` and no key get a throwaway one instead of writing a file.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.wrappers import Request, Response

from api.admin_token import check_admin_token
from api.console import bp
from api.errors import APIError

log = logging.getLogger(__name__)
KEY_FILE = "secret_key"
PUBLIC_ENDPOINTS = {"console.login"}
SESSION_HOURS = 12


def data_folder(config) -> Path:
    """Where the console keeps its key: ``VITRINE_DATA_DIR`` (default ``data``)."""
    return Path(config.get("DATA_DIR") or "data")


def ensure_secret_key(app: Flask) -> None:
    """Use ``SECRET_KEY`` if set; otherwise read or create ``<data folder>/secret_key``."""
    if app.config.get("SECRET_KEY"):
        return
    if app.testing:
        app.config["SECRET_KEY"] = secrets.token_urlsafe(48)
        return
    path = data_folder(app.config) / KEY_FILE
    try:
        key = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        key = _create_key(path)
    app.config["SECRET_KEY"] = key


def _create_key(path: Path) -> str:
    """Write a new key atomically; when another worker won the race, use the key it wrote."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    temp = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    try:
        os.link(temp, path)  # fails if the file appeared meanwhile
        log.info("generated a console signing key in %s (set VITRINE_SECRET_KEY to choose one)", path)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
    finally:
        temp.unlink()
    return key


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, minus building the cookie signer for a request that carries
    no cookie at all: every API call would pay for it, about a fifth of a bare request's time."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and "HTTP_COOKIE" not in request.environ:
            return self.session_class()
        return super().open_session(app, request)


@bp.record_once
def _setup(state) -> None:
    app = state.app
    ensure_secret_key(app)
    app.session_interface = CookieSessions()
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=SESSION_HOURS)  # Flask's own default is 31 days
    app.jinja_env.globals["csrf_token"] = csrf_token


def _fingerprint(token: str) -> str:
    return hashlib.sha256(f"vitrine-console:{token}".encode()).hexdigest()[:32]


def admin_token() -> str:
    return current_app.config.get("ADMIN_TOKEN") or ""


def signed_in() -> bool:
    token = admin_token()
    return bool(token) and session.get("admin") is True and \
        hmac.compare_digest(str(session.get("token", "")), _fingerprint(token))


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _check_csrf() -> None:
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(400, "the form has expired or did not come from this console; reload the page and try again")


@bp.before_request
def _guard() -> Response | None:
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        _check_csrf()
    if request.endpoint in PUBLIC_ENDPOINTS or signed_in():
        return None
    return redirect(url_for("console.login", next=request.full_path.rstrip("?")))


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; frame-ancestors 'self'; form-action 'self'")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _safe_next(target: str | None) -> str:
    parts = urlsplit(target or "")
    if parts.scheme or parts.netloc or not parts.path.startswith("/console") or "\\" in target:
        return url_for("console.model")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str:
    token = admin_token()
    error = None
    if request.method == "POST":
        given = request.form.get("token", "").strip()
        if not token:
            error = "The console is disabled: set VITRINE_ADMIN_TOKEN and restart the service."
        elif not _token_accepted(given, token):
            error = "Wrong admin token."
        else:
            session.clear()
            session.permanent = True
            name = " ".join(request.form.get("name", "").split())[:60]
            session.update(admin=True, token=_fingerprint(token), csrf=secrets.token_urlsafe(32),
                           actor=f"console:{name}" if name else "console")
            return redirect(_safe_next(request.form.get("next")), 303)
    status = 401 if error else 200
    return render_template("console/login.html", error=error, disabled=not token,
                           next=request.values.get("next", "")), status


def _token_accepted(given: str, token: str) -> bool:
    try:
        return check_admin_token(given, token)
    except APIError:
        abort(429, "too many wrong admin tokens from this address; wait a minute and try again")


@bp.post("/logout")
def logout() -> Response:
    session.clear()
    flash("Signed out.")
    return redirect(url_for("console.login"), 303)


@bp.get("/")
def index() -> Response:
    return redirect(url_for("console.model"))

"""Headers every answer carries: no content sniffing anywhere; pages (HTML) also get a content
security policy and frame options, so an injected script or a framing site gets nowhere. The
console sets a stricter policy of its own, which is kept."""
from __future__ import annotations

from flask import Flask, Response

PAGE_POLICY = ("default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; "
               "frame-ancestors 'self'; form-action 'self'; base-uri 'none'")


def add_security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def install_security_headers(app: Flask) -> None:
    app.after_request(add_security_headers)

"""Headers every answer carries, and the console session's documented lifetime."""
from __future__ import annotations

from datetime import timedelta

import pytest


@pytest.mark.parametrize("path", ["/v1/popular?n=2", "/healthz", "/metrics", "/openapi.json", "/v1/nothing-here",
                                  "/widget.js", "/docs", "/demo/store", "/console/login"])
def test_no_answer_may_be_sniffed(client, path):
    with client.get(path) as response:
        assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/docs", "/demo/store", "/v1/report"])
def test_pages_carry_a_content_security_policy_and_frame_options(client, path):
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_the_console_keeps_its_own_stricter_policy(client):
    policy = client.get("/console/login").headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy


def test_metrics_name_their_charset_once(client):
    assert client.get("/metrics").headers["Content-Type"].count("charset") == 1


def test_console_sessions_last_twelve_hours(shared_app):
    assert shared_app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=12)

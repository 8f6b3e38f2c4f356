"""Health, model description, metrics, admin auth, CORS, the OpenAPI document and its docs page."""
from __future__ import annotations

import re

from .conftest import ADMIN_TOKEN, AUTH, make_app


def test_healthz_and_readyz(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz").json
    assert ready["status"] == "ready" and ready["model_version"] and ready["refused"] is None


def test_model_describes_the_version(client, store):
    body = client.get("/v1/model").json
    assert body["version"] == client.get("/readyz").json["model_version"]
    assert body["data"]["users"] <= len(store.user_groups) and body["data"]["items"] <= len(store.catalog)
    assert body["trained_at"] and body["metrics"] and body["refused"] is None


def test_metrics_count_requests_latency_and_fallbacks(client):
    client.get("/v1/users/nobody-at-all/recommendations")
    client.get("/v1/popular?n=2")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'vitrine_http_requests_total{endpoint="popular.popular",method="GET",status="200"}' in text
    assert 'vitrine_http_request_duration_seconds_bucket{endpoint="users.recommendations"' in text
    assert 'vitrine_fallback_answers_total{endpoint="users.recommendations"}' in text
    assert 'vitrine_model_reloads_total{outcome="loaded"} 1.0' in text


def test_admin_reload_needs_the_token(client):
    response = client.post("/v1/admin/reload")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.post("/v1/admin/reload", headers={"Authorization": "Basic abc"}).status_code == 401
    wrong = client.post("/v1/admin/reload", headers={"Authorization": f"Bearer {ADMIN_TOKEN}x"})
    assert wrong.status_code == 403 and wrong.json["error"]["code"] == "forbidden"
    ok = client.post("/v1/admin/reload", headers=AUTH)
    assert ok.status_code == 200 and ok.json["changed"] is False


def test_admin_is_disabled_without_a_token(models_dir):
    client = make_app(models_dir, ADMIN_TOKEN="").test_client()
    response = client.post("/v1/admin/reload", headers=AUTH)
    assert response.status_code == 403
    error = response.json["error"]
    assert error["code"] == "admin_disabled" and "VITRINE_ADMIN_TOKEN" in error["message"]


def test_cors_allows_configured_origins(models_dir):
    client = make_app(models_dir, CORS_ORIGINS="https://shop.example, https://m.shop.example").test_client()
    allowed = client.get("/v1/popular", headers={"Origin": "https://m.shop.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://m.shop.example"
    refused = client.get("/v1/popular", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in refused.headers


def test_cors_default_allows_any_origin(client):
    response = client.get("/v1/popular", headers={"Origin": "https://widget.example"})
    assert response.headers["Access-Control-Allow-Origin"] in {"*", "https://widget.example"}


def test_openapi_document_lists_every_route(client, shared_app):
    spec = client.get("/openapi.json").json
    assert spec["openapi"].startswith("3.")
    pages = ("static", "console.", "storefront.")  # HTML pages and assets, described in docs/console.md
    routes = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule) for rule in shared_app.url_map.iter_rules()
              if not rule.endpoint.startswith(pages)}
    assert routes == set(spec["paths"])


def test_docs_page_is_self_contained(client):
    response = client.get("/docs")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "/v1/users/{user_id}/recommendations" in html and "SessionEvent" in html and "exclude_purchased" in html
    assert "<script" not in html and "http://" not in html and "https://" not in html


def test_wrong_admin_tokens_lock_the_address_out_for_a_while(models_dir):
    client = make_app(models_dir).test_client()
    wrong = {"Authorization": "Bearer guess"}
    assert [client.post("/v1/admin/reload", headers=wrong).status_code for _ in range(10)] == [403] * 10
    locked = client.post("/v1/admin/reload", headers=AUTH)  # even the right token, until the window passes
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert locked.json["error"]["code"] == "too_many_attempts"
    assert client.get("/v1/popular?n=1").status_code == 200  # nothing else is refused


def test_the_failure_window_slides():
    from api.failed_attempts import FailedAttempts

    attempts = FailedAttempts(limit=3, window=60)
    for second in (0, 1, 2):
        attempts.record("a", now=second)
    assert attempts.retry_after("a", now=3) == 57 and attempts.retry_after("b", now=3) == 0
    assert attempts.retry_after("a", now=60.5) == 0

"""Bad input of every kind: JSON errors with the right status, never a traceback or a crash."""
from __future__ import annotations

import pytest

from api.schema.limits import MAX_BATCH_USERS

from .conftest import make_app


def check_error(response, status: int, code: str | None = None, field: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error = response.json["error"]
    assert set(error) <= {"code", "message", "field"} and error["message"]
    assert "Traceback" not in response.get_data(as_text=True)
    if code is not None:
        assert error["code"] == code
    if field is not None:
        assert error["field"] == field
    return error


@pytest.mark.parametrize("n", ["abc", "0", "-1", "101", "1.5", "", "٣", "9999999999"])
@pytest.mark.parametrize("url", ["/v1/users/u00001/recommendations", "/v1/users/u00001/similar-users",
                                 "/v1/items/p00001/related", "/v1/items/p00001/bought-together", "/v1/popular"])
def test_bad_n_in_query(client, url, n):
    check_error(client.get(url, query_string={"n": n}), 400, "invalid_parameter", "n")


@pytest.mark.parametrize("query, field", [
    ({"exclude_purchased": "yes"}, "exclude_purchased"),
    ({"placement": "home page"}, "placement"),
    ({"placement": "x" * 65}, "placement"),
])
def test_bad_query_flags(client, query, field):
    check_error(client.get("/v1/users/u00001/recommendations", query_string=query), 400, field=field)


def test_bad_trending_flag(client):
    check_error(client.get("/v1/popular?trending=1"), 400, field="trending")


SESSION = "/v1/recommendations"


@pytest.mark.parametrize("body, field", [
    ({"session": [], "n": "5"}, "n"),
    ({"session": [], "n": 0}, "n"),
    ({"session": [], "n": 101}, "n"),
    ({"session": [], "n": True}, "n"),
    ({"session": [], "n": 2.5}, "n"),
    ({"session": "p00001"}, "session"),
    ({"session": [{"item_id": "p00001", "event": "click"}]}, "session[0].event"),
    ({"session": [{"item_id": "p00001"}]}, "session[0].event"),
    ({"session": [{"item_id": 5, "event": "view"}]}, "session[0].item_id"),
    ({"session": [{"event": "view"}]}, "session[0].item_id"),
    ({"session": ["p00001"]}, "session[0]"),
    ({"session": [{"item_id": "p1", "event": "view", "timestamp": "yesterday"}]}, "session[0].timestamp"),
    ({"session": [{"item_id": "p1", "event": "view", "timestamp": -5}]}, "session[0].timestamp"),
    ({"session": [{"item_id": "p1", "event": "view", "timestamp": 1e300}]}, "session[0].timestamp"),
    ({"session": [{"item_id": "p1", "event": "view", "timestamp": True}]}, "session[0].timestamp"),
    ({"session": [], "user_id": 17}, "user_id"),
    ({"session": [], "user_id": ""}, "user_id"),
    ({"session": [], "placement": 3}, "placement"),
    ({"session": [], "exclude_purchased": "no"}, "exclude_purchased"),
    ({"session": [{"item_id": "p1", "event": "view"}] * 1001}, "session"),
])
def test_bad_session_bodies(client, body, field):
    check_error(client.post(SESSION, json=body), 400, field=field)


def test_unknown_event_has_its_own_code(client):
    check_error(client.post(SESSION, json={"session": [{"item_id": "p1", "event": "like"}]}), 400, "unknown_event")


@pytest.mark.parametrize("data", ["{not json", "", "[1, 2]", "null", "42", '"text"', "NaN", '{"a": 1'])
@pytest.mark.parametrize("url", [SESSION, "/v1/cart/complements", "/v1/recommendations/batch"])
def test_malformed_or_non_object_json(client, url, data):
    error = check_error(client.post(url, data=data, content_type="application/json"), 400)
    assert error["code"] in {"malformed_json", "wrong_type"}


def test_deeply_nested_json_is_a_400(client):
    nested = "[" * 100_000 + "]" * 100_000
    check_error(client.post(SESSION, data=nested, content_type="application/json"), 400, "malformed_json")


def test_json_without_content_type_is_accepted(client):
    response = client.post(SESSION, data='{"session": [], "n": 2}', content_type="text/plain")
    assert response.status_code == 200 and len(response.json["items"]) == 2


@pytest.mark.parametrize("body, field", [
    ({}, "items"),
    ({"items": "p00001"}, "items"),
    ({"items": [1, 2]}, "items[0]"),
    ({"items": ["p00001", None]}, "items[1]"),
    ({"items": ["p"] * 501}, "items"),
    ({"items": [], "n": -3}, "n"),
])
def test_bad_cart_bodies(client, body, field):
    check_error(client.post("/v1/cart/complements", json=body), 400, field=field)


@pytest.mark.parametrize("body, field", [
    ({}, "user_ids"),
    ({"user_ids": []}, "user_ids"),
    ({"user_ids": {"u00001": 1}}, "user_ids"),
    ({"user_ids": ["u00001", 7]}, "user_ids[1]"),
    ({"user_ids": ["x" * 257]}, "user_ids[0]"),
    ({"user_ids": ["u00001"], "n": 500}, "n"),
    ({"user_ids": ["u"] * (MAX_BATCH_USERS + 1)}, "user_ids"),
])
def test_bad_batch_bodies(client, body, field):
    check_error(client.post("/v1/recommendations/batch", json=body), 400, field=field)


def test_oversized_body_is_refused(client):
    huge = '{"user_ids": ["' + "u" * (3 * 1024 * 1024) + '"]}'
    check_error(client.post("/v1/recommendations/batch", data=huge, content_type="application/json"), 413)


def test_ten_thousand_long_ids_fit_the_body_limit(client):
    users = [f"customer-{i:05d}@example.com" for i in range(MAX_BATCH_USERS)]
    assert client.post("/v1/recommendations/batch", json={"user_ids": users, "n": 1}).status_code == 200


def test_unknown_path_and_wrong_method(client):
    check_error(client.get("/v1/nothing-here"), 404, "not_found")
    check_error(client.get("/v1/popular/"), 404)
    response = client.get(SESSION)
    check_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]
    check_error(client.delete("/v1/users/u00001/recommendations"), 405)


def test_unexpected_exception_is_a_bare_500(models_dir, monkeypatch, caplog):
    app = make_app(models_dir)
    served = app.extensions["vitrine"].store.served()

    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(served.engine, "popular", explode)
    response = app.test_client().get("/v1/popular")
    error = check_error(response, 500, "internal_error")
    assert "secret" not in error["message"]
    assert "secret internals" in caplog.text


def test_no_model_gives_503_everywhere(tmp_path):
    client = make_app(tmp_path / "empty").test_client()
    check_error(client.get("/readyz"), 503, "no_model")
    check_error(client.get("/v1/users/u00001/recommendations"), 503, "no_model")
    check_error(client.post(SESSION, json={"session": []}), 503, "no_model")
    check_error(client.get("/v1/model"), 503, "no_model")
    assert client.get("/healthz").status_code == 200

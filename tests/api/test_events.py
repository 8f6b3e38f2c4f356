"""``POST /v1/events`` and the picks that read the events back (server-side sessions)."""
from __future__ import annotations

import json

import pytest

from .conftest import make_app


@pytest.fixture
def api(private_app):
    return private_app.test_client()


def stored(app) -> int:
    from api.events import KEY

    return app.extensions[KEY].store.count()


def items_of(store, category: str, n: int) -> list[str]:
    return store.catalog.loc[store.catalog.category == category, "item_id"].tolist()[:n]


def test_one_event_an_array_and_ndjson_are_stored(api, private_app, store):
    item = store.catalog.item_id[0]
    assert api.post("/v1/events", json={"type": "view", "item_id": item, "visitor_id": "v1"}).status_code == 201
    answer = api.post("/v1/events", json=[{"type": "view", "item_id": item, "visitor_id": "v1", "event_id": f"e{i}"}
                                          for i in range(3)])
    assert answer.status_code == 201 and answer.json == {"stored": 3, "duplicates": 0, "unknown_items": 0}
    lines = "\n".join(json.dumps({"type": "cart", "item_id": item, "visitor_id": "v2"}) for _ in range(2))
    assert api.post("/v1/events", data=lines, content_type="application/x-ndjson").json["stored"] == 2
    assert stored(private_app) == 6


def test_a_retried_event_is_stored_once_and_unknown_items_are_counted(api, private_app):
    body = [{"type": "view", "item_id": "brand-new-product", "visitor_id": "v1", "event_id": "same"}]
    assert api.post("/v1/events", json=body).json == {"stored": 1, "duplicates": 0, "unknown_items": 1}
    assert api.post("/v1/events", json=body).json == {"stored": 0, "duplicates": 1, "unknown_items": 1}
    assert stored(private_app) == 1


@pytest.mark.parametrize("bad, field", [
    ({"type": "look"}, "[1].type"),
    ({"visitor_id": None}, "[1].visitor_id"),
    ({"type": "purchase", "price": 3.0}, "[1].order_id"),
    ({"type": "purchase", "order_id": "o1"}, "[1].price"),
    ({"timestamp": "2999-01-01T00:00:00Z"}, "[1].timestamp"),
    ({"quantity": -1}, "[1].quantity"),
    ({"item_id": ""}, "[1].item_id"),
])
def test_a_bad_event_names_its_index_and_field_and_nothing_is_stored(api, private_app, bad, field):
    good = {"type": "view", "item_id": "p00001", "visitor_id": "v1"}
    answer = api.post("/v1/events", json=[good, {**good, **bad}])
    assert answer.status_code == 400 and answer.json["error"]["field"] == field, answer.json
    assert stored(private_app) == 0


def test_limits_of_a_request(api):
    event = {"type": "view", "item_id": "p00001", "visitor_id": "v1"}
    assert api.post("/v1/events", json=[event] * 1001).json["error"]["code"] == "wrong_size"
    assert api.post("/v1/events", json=[]).status_code == 400
    assert api.post("/v1/events", data="not json").json["error"]["code"] == "malformed_json"
    assert api.post("/v1/events", json={"type": "view", "item_id": "p1"}).json["error"]["field"] == "visitor_id"


def test_a_visitor_over_the_limit_is_refused(models_dir, tmp_path):
    api = make_app(models_dir, DATA_DIR=str(tmp_path / "d"), EVENTS_VISITOR_LIMIT="5/minute").test_client()
    event = {"type": "view", "item_id": "p00001", "visitor_id": "busy"}
    assert api.post("/v1/events", json=[event] * 5).status_code == 201
    refused = api.post("/v1/events", json=event)
    assert refused.status_code == 429 and refused.json["error"]["field"] == "visitor_id"
    assert int(refused.headers["Retry-After"]) >= 1
    assert api.post("/v1/events", json={**event, "visitor_id": "calm"}).status_code == 201


def test_an_origin_over_the_limit_is_refused(models_dir, tmp_path):
    api = make_app(models_dir, DATA_DIR=str(tmp_path / "d"), EVENTS_ORIGIN_LIMIT="3/minute").test_client()
    event = {"type": "view", "item_id": "p00001", "visitor_id": "v"}
    statuses = [api.post("/v1/events", json=event, headers={"Origin": "https://shop.example"}).status_code
                for _ in range(4)]
    assert statuses == [201, 201, 201, 429]
    assert api.post("/v1/events", json=event, headers={"Origin": "https://other.example"}).status_code == 201


def test_a_visitors_picks_follow_what_they_viewed(api, store):
    category = store.catalog.category.value_counts().index[0]
    viewed = items_of(store, category, 3)
    before = api.get("/v1/visitors/v7/recommendations?n=5").json
    assert before["strategy"] == "popular_fallback"
    api.post("/v1/events", json=[{"type": "view", "item_id": item, "visitor_id": "v7"} for item in viewed])
    after = api.get("/v1/visitors/v7/recommendations?n=5").json
    assert after["strategy"] == "session"
    assert not set(viewed) & {item["item_id"] for item in after["items"]}
    assert sum(item["category"] == category for item in after["items"]) >= 3
    titles = set(store.catalog.set_index("item_id").loc[viewed, "title"])
    assert any(item["reason"].removeprefix("because you viewed ") in titles for item in after["items"])


def test_a_known_customer_s_picks_fold_in_their_latest_events(api, store):
    user = "u00001"
    plain = api.get(f"/v1/users/{user}/recommendations?n=5").json
    category = next(c for c in store.catalog.category.unique()
                    if c not in {item["category"] for item in plain["items"]})
    viewed = items_of(store, category, 3)
    api.post("/v1/events", json=[{"type": "view", "item_id": item, "user_id": user} for item in viewed])
    folded = api.get(f"/v1/users/{user}/recommendations?n=5").json
    assert folded["strategy"] == "session" and folded["items"] != plain["items"]


def test_after_login_the_visitors_events_join_the_customer(api, store):
    category = store.catalog.category.value_counts().index[1]
    viewed = items_of(store, category, 3)
    api.post("/v1/events", json=[{"type": "view", "item_id": item, "visitor_id": "v8"} for item in viewed])
    api.post("/v1/events", json={"type": "view", "item_id": viewed[0], "visitor_id": "v8", "user_id": "u00002"})
    folded = api.get("/v1/users/u00002/recommendations?n=5").json
    assert folded["strategy"] == "session"
    assert api.get("/v1/visitors/v8/recommendations?n=5").json["items"] == folded["items"]


def test_a_remove_from_cart_takes_the_item_out_of_the_session(private_app, api):
    from api.events import KEY

    api.post("/v1/events", json=[{"type": "cart", "item_id": "p00003", "visitor_id": "v9"},
                                 {"type": "remove_from_cart", "item_id": "p00003", "visitor_id": "v9"},
                                 {"type": "view", "item_id": "p00004", "visitor_id": "v9"}])
    session = private_app.extensions[KEY].session("v9")
    assert [(e.item_id, e.event) for e in session] == [("p00004", "view")]

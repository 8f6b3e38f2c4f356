"""Every recommendation endpoint: answer shape, fallbacks, and the demo store's planted structure."""
from __future__ import annotations

import json
from collections import Counter

import pytest

ITEM_FIELDS = {"item_id", "score", "title", "category", "price", "url", "image_url", "reason"}


def check_listing(body: dict, n: int, strategy: str | None = None) -> list[dict]:
    assert set(body) == {"items", "strategy", "model_version", "recommendation_id", "experiment_id", "variant"}
    assert len(body["recommendation_id"]) == 16 and body["experiment_id"] is None and body["variant"] is None
    assert len(body["items"]) == n
    for item in body["items"]:
        assert set(item) == ITEM_FIELDS
        assert isinstance(item["score"], float) and item["reason"] and item["title"] and item["category"]
        # the catalog's links pass through (the demo catalog points at the demo store's pages and pictures)
        assert item["url"] == f"/demo/store/product/{item['item_id']}"
        assert item["image_url"] == f"/demo/store/images/{item['item_id']}.svg"
    assert len({item["item_id"] for item in body["items"]}) == n
    if strategy is not None:
        assert body["strategy"] == strategy
    return body["items"]


def test_user_recommendations(client, store):
    user = next(iter(store.user_groups))
    response = client.get(f"/v1/users/{user}/recommendations?n=5&placement=home")
    assert response.status_code == 200 and response.mimetype == "application/json"
    check_listing(response.json, 5, "personalized")


def test_default_n_is_ten(client, store):
    assert len(client.get("/v1/users/u00002/recommendations").json["items"]) == 10


def test_unknown_user_gets_popular_fallback(client):
    response = client.get("/v1/users/never-seen-before/recommendations?n=4")
    assert response.status_code == 200
    check_listing(response.json, 4, "popular_fallback")


def test_exclude_purchased_leaves_out_bought_items(client, store):
    events = store.events
    buyer = events.loc[events["event"] == "purchase", "user_id"].value_counts().index[0]
    bought = set(events.loc[(events["user_id"] == buyer) & (events["event"] == "purchase"), "item_id"])
    items = client.get(f"/v1/users/{buyer}/recommendations?n=100").json["items"]
    assert not bought & {item["item_id"] for item in items}
    everything = client.get(f"/v1/users/{buyer}/recommendations?n=100&exclude_purchased=false").json["items"]
    assert len(everything) == 100


def test_similar_users(client, store):
    user = next(iter(store.user_groups))
    body = client.get(f"/v1/users/{user}/similar-users?n=3").json
    assert body["user_id"] == user and len(body["users"]) == 3
    assert all(set(other) == {"user_id", "similarity"} and other["user_id"] != user for other in body["users"])
    assert body["users"][0]["similarity"] >= body["users"][-1]["similarity"]


def test_similar_users_of_unknown_user_is_404(client):
    response = client.get("/v1/users/nobody/similar-users")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "unknown_user"


def test_related_items_include_planted_complement(client, store):
    anchor, partner = store.complements[0]
    items = check_listing(client.get(f"/v1/items/{anchor}/related?n=10&placement=product").json, 10, "related")
    assert partner in [item["item_id"] for item in items]
    assert anchor not in [item["item_id"] for item in items]


def test_bought_together_has_rule_numbers(client, store):
    anchor, partner = store.complements[0]
    body = client.get(f"/v1/items/{anchor}/bought-together?n=5").json
    assert body["strategy"] == "bought_together" and 1 <= len(body["items"]) <= 5
    first = body["items"][0]
    assert set(first) == ITEM_FIELDS | {"support", "confidence", "lift"}
    assert partner in [item["item_id"] for item in body["items"]]
    assert first["lift"] >= body["items"][-1]["lift"] and 0 < first["confidence"] <= 1


@pytest.mark.parametrize("path", ["related", "bought-together"])
def test_unknown_item_is_404(client, path):
    response = client.get(f"/v1/items/no-such-item/{path}")
    assert response.status_code == 404
    assert response.json["error"] == {"code": "unknown_item", "field": "item_id",
                                      "message": response.json["error"]["message"]}


def test_session_of_one_taste_group_gets_its_categories(client, store):
    group = store.user_groups["u00001"]
    wanted = set(store.group_categories[group])
    catalog = store.catalog
    viewed = catalog.loc[catalog["category"].isin(wanted)].groupby("category").head(3)["item_id"].tolist()
    session = [{"item_id": item, "event": "view"} for item in viewed]
    items = check_listing(client.post("/v1/recommendations", json={"session": session, "n": 10}).json, 10, "session")
    in_taste = sum(item["category"] in wanted for item in items)
    assert in_taste >= 7, Counter(item["category"] for item in items)
    assert not set(viewed) & {item["item_id"] for item in items}


def test_session_accepts_aliases_timestamps_and_unknown_items(client):
    session = [
        {"item_id": "p00003", "event": "addtocart", "timestamp": "2025-12-30T10:00:00Z"},
        {"item_id": "p00004", "event": "add_to_cart", "timestamp": 1767000000},
        {"item_id": "p00005", "event": "transaction", "timestamp": 1767000000000},
        {"item_id": "p00006", "event": "order", "timestamp": "2025-12-30 10:00:00"},
        {"item_id": "not-in-the-catalog", "event": "view"},
    ]
    response = client.post("/v1/recommendations", json={"session": session, "n": 4, "placement": "cart"})
    assert response.status_code == 200
    check_listing(response.json, 4)


def test_session_with_only_unknown_items_falls_back(client):
    body = client.post("/v1/recommendations", json={"session": [{"item_id": "ghost", "event": "view"}], "n": 3}).json
    check_listing(body, 3, "popular_fallback")


def test_session_of_known_user(client):
    body = client.post("/v1/recommendations", json={"user_id": "u00001", "session": [], "n": 3}).json
    check_listing(body, 3, "session")


def test_cart_complements_suggest_the_partner(client, store):
    anchor, partner = store.complements[0]
    title = store.catalog.set_index("item_id").loc[anchor, "title"]
    body = client.post("/v1/cart/complements", json={"items": [anchor, "unknown"], "n": 5}).json
    reasons = {item["item_id"]: item["reason"] for item in check_listing(body, 5, "bought_together")}
    assert reasons.get(partner) == f"bought together with {title}" and anchor not in reasons


def test_empty_cart_gets_popular_items(client):
    check_listing(client.post("/v1/cart/complements", json={"items": []}).json, 10, "popular_fallback")


def test_popular_overall_by_category_and_trending(client, store):
    check_listing(client.get("/v1/popular?n=5").json, 5, "popular")
    category = store.catalog["category"].iloc[0]
    items = check_listing(client.get("/v1/popular", query_string={"n": 3, "category": category}).json, 3, "popular")
    assert {item["category"] for item in items} == {category}
    check_listing(client.get("/v1/popular?n=3&trending=true").json, 3, "trending")


def test_popular_in_unknown_category_is_404(client):
    assert client.get("/v1/popular?category=spaceships").json["error"]["code"] == "unknown_category"


def test_batch_streams_one_line_per_user(client):
    users = ["u00001", "ghost", "u00002"] * 400
    response = client.post("/v1/recommendations/batch", json={"user_ids": users, "n": 3, "placement": "email"})
    assert response.status_code == 200 and response.mimetype == "application/x-ndjson"
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert [line["user_id"] for line in lines] == users
    assert {line["strategy"] for line in lines} == {"personalized", "popular_fallback"}
    single = client.get("/v1/users/u00001/recommendations?n=3&placement=email").json
    assert lines[0]["items"] == single["items"] and lines[0]["model_version"] == single["model_version"]


def test_batch_accepts_ten_thousand_users(client):
    users = [f"u{i:05d}" for i in range(10_000)]
    response = client.post("/v1/recommendations/batch", json={"user_ids": users, "n": 1})
    assert response.status_code == 200
    assert len(response.get_data(as_text=True).splitlines()) == 10_000


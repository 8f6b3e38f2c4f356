"""Live segments: the event store moves customers in and out of segments as it happens, with since
when and why; rule audiences, listings and exports see it; erasure leaves nothing behind."""
from __future__ import annotations

import csv
import time

import pytest

from .conftest import AUTH, make_app


@pytest.fixture
def app(models_dir, tmp_path, monkeypatch):
    data = str(tmp_path / "data")
    monkeypatch.setenv("VITRINE_DATA_DIR", data)  # vitrine export reads the same store
    return make_app(models_dir, DATA_DIR=data, LIVE_REFRESH_INTERVAL=0.0, CART_ABANDON_MINUTES=30.0)


@pytest.fixture
def api(app):
    return app.test_client()


@pytest.fixture
def profiles(app):
    return app.extensions["vitrine"].store.served().version.profiles


def customer_not_in(profiles, *segments: str) -> str:
    return next(str(u) for u in profiles.user_ids if not set(profiles.segments_of(str(u))) & set(segments))


def members(api, name: str) -> dict[str, dict]:
    listed = api.get(f"/v1/segments/{name}/users?limit=1000").json
    return {card["user_id"]: card for card in listed["users"]}


def post(api, *events: dict) -> None:
    answer = api.post("/v1/events", json=list(events))
    assert answer.status_code == 201, answer.json


def test_a_cart_abandoner_appears_after_the_delay_and_leaves_on_purchase(api, profiles):
    waiting, abandoned = customer_not_in(profiles, "cart_abandoner"), "brand-new-customer"
    now = time.time()
    post(api, {"type": "cart", "item_id": "p00005", "user_id": waiting, "timestamp": now - 29 * 60},
         {"type": "cart", "item_id": "p00006", "user_id": abandoned, "event_id": "cart-1", "timestamp": now - 31 * 60})
    listed = members(api, "cart_abandoner")
    assert waiting not in listed and abandoned in listed
    card = listed[abandoned]
    assert card["why"]["event_id"] == "cart-1" and card["why"]["item_id"] == "p00006"
    assert list(listed)[0] == abandoned  # the stored events' members come first
    assert card["since"] is not None and card["orders"] == 0 and card["stage"] == "prospect"

    post(api, {"type": "purchase", "item_id": "p00006", "user_id": abandoned, "order_id": "o1", "price": 9.5})
    after = members(api, "cart_abandoner")
    assert abandoned not in after
    first = members(api, "first_time")[abandoned]
    assert first["stage"] == "first_time" and first["why"]["type"] == "purchase" and first["spend"] == 9.5


def test_the_delay_is_a_setting(models_dir, tmp_path):
    api = make_app(models_dir, DATA_DIR=str(tmp_path / "d"), CART_ABANDON_MINUTES=0.01).test_client()
    post(api, {"type": "cart", "item_id": "p00005", "user_id": "quick"})
    assert "quick" not in members(api, "cart_abandoner")
    time.sleep(0.7)
    assert "quick" in members(api, "cart_abandoner")


def test_browsing_a_category_names_it_and_buying_in_it_ends_it(api, store, profiles):
    user = customer_not_in(profiles, "browsing_interest")
    category = store.catalog.category.iloc[0]
    items = store.catalog.loc[store.catalog.category == category, "item_id"].tolist()[:3]
    post(api, *({"type": "view", "item_id": item, "user_id": user, "event_id": f"view-{i}"}
                for i, item in enumerate(items)))
    card = members(api, "browsing_interest")[user]
    assert card["why"]["event_id"] == "view-2" and card["why"]["category"] == category
    profile = api.get(f"/v1/users/{user}/profile").json
    assert profile["browsing_interest"] == category and "browsing_interest" in profile["segments"]
    assert any(m["segment"] == "browsing_interest" and m["since"] for m in profile["memberships"])
    post(api, {"type": "purchase", "item_id": items[0], "user_id": user, "order_id": "o2", "price": 3.0})
    assert user not in members(api, "browsing_interest")
    assert api.get(f"/v1/users/{user}/profile").json["browsing_interest"] is None


def test_a_lapsed_customer_who_buys_again_is_active(api, profiles):
    lapsed = next(str(u) for u in profiles.user_ids if profiles.segment_of(str(u)) == "lapsed")
    assert lapsed in members(api, "lapsed")
    post(api, {"type": "purchase", "item_id": "p00001", "user_id": lapsed, "order_id": "o3", "price": 1.0})
    assert lapsed not in members(api, "lapsed") and lapsed in members(api, "active")
    assert api.get(f"/v1/users/{lapsed}/profile").json["stage"] == "active"


def test_segment_counts_now_follow_the_events(api):
    def count_now():
        return {s["name"]: s["customers_now"] for s in api.get("/v1/segments").json["segments"]}
    before = count_now()
    post(api, {"type": "cart", "item_id": "p00005", "user_id": "someone-new", "timestamp": time.time() - 3600})
    assert count_now()["cart_abandoner"] == before["cart_abandoner"] + 1


def test_a_rule_for_cart_abandoners_reaches_a_customer_as_soon_as_they_abandon(api, profiles):
    user = customer_not_in(profiles, "cart_abandoner")
    target = api.get(f"/v1/users/{user}/recommendations?n=10").json["items"][-1]["item_id"]
    rule = {"name": "remind", "action": "pin", "item_ids": [target], "positions": [1], "audience": "cart_abandoner"}
    assert api.post("/v1/rules", json=rule, headers=AUTH).status_code == 201
    assert api.get(f"/v1/users/{user}/recommendations?n=10").json["items"][0]["item_id"] != target
    post(api, {"type": "cart", "item_id": target, "user_id": user, "timestamp": time.time() - 3600})
    assert api.get(f"/v1/users/{user}/recommendations?n=10").json["items"][0]["item_id"] == target


def test_export_of_a_segment_lists_its_live_members(api, models_dir, tmp_path):
    from cli import main

    post(api, {"type": "cart", "item_id": "p00005", "user_id": "exported", "timestamp": time.time() - 3600})
    out = tmp_path / "abandoners.csv"
    assert main(["export", "--segment", "cart_abandoner", "--models-dir", str(models_dir), "--out", str(out),
                 "--n", "2", "--quiet"]) == 0
    with out.open() as file:
        rows = list(csv.DictReader(file))
    assert rows[0]["user_id"] == "exported" and "cart_abandoner" in rows[0]["segments"]


def test_erasure_leaves_no_row_and_no_answer_about_the_customer(api, app, profiles, models_dir, tmp_path):
    from sqlalchemy import text

    from api.events import KEY

    user = str(profiles.user_ids[profiles.members("active")[0]])
    post(api, {"type": "view", "item_id": "p00001", "visitor_id": "browser-1", "user_id": user},
         {"type": "cart", "item_id": "p00002", "visitor_id": "browser-1"})
    assert api.delete(f"/v1/users/{user}").status_code == 401
    erased = api.delete(f"/v1/users/{user}", headers=AUTH)
    assert erased.status_code == 200 and erased.json["events_deleted"] == 2
    with app.extensions[KEY].store.connect() as connection:
        for table, column in (("events", "user_id"), ("events", "visitor_id"), ("identities", "user_id")):
            assert connection.execute(text(f"SELECT count(*) FROM {table} WHERE {column} IN (:u, 'browser-1')"),
                                      {"u": user}).scalar() == 0
    assert api.get(f"/v1/users/{user}/profile").status_code == 404
    assert api.get(f"/v1/users/{user}/similar-users").status_code == 404
    assert api.get(f"/v1/users/{user}/recommendations").json["strategy"] == "popular_fallback"
    assert user not in members(api, "active")
    others = api.get(f"/v1/users/{profiles.user_ids[1]}/similar-users?n=50").json["users"]
    assert user not in {other["user_id"] for other in others}
    audit = api.get("/v1/rules/audit?entity=user", headers=AUTH).json["entries"]
    assert [(e["action"], e["entity_id"]) for e in audit] == [("erase", user)]


def test_erasing_a_visitor(api, app):
    from api.events import KEY

    post(api, {"type": "view", "item_id": "p00001", "visitor_id": "gone"})
    assert api.delete("/v1/visitors/gone", headers=AUTH).json["events_deleted"] == 1
    assert app.extensions[KEY].store.count(visitor_id="gone") == 0
    assert api.get("/v1/visitors/gone/recommendations").json["strategy"] == "popular_fallback"

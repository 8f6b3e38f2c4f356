"""``/v1/rules`` and ``/v1/placements``: auth, validation, durable storage, audit, workers, debug, preview."""
from __future__ import annotations

import json
import time

import pytest

from cli import main

from .conftest import AUTH, make_app

ACME = {"field": "brand", "op": "eq", "value": "Acme"}


@pytest.fixture
def client(private_app):
    return private_app.test_client()


def create(client, **rule) -> dict:
    response = client.post("/v1/rules", json={"name": "r", **rule}, headers=AUTH)
    assert response.status_code == 201, response.json
    return response.json


def state(client) -> tuple:
    """Everything a rejected change must leave as it was."""
    return client.get("/v1/rules").json, client.get("/v1/rules/audit", headers=AUTH).json


def test_writes_need_the_admin_token(client):
    before = state(client)
    assert client.post("/v1/rules", json={"name": "r", "action": "exclude", "condition": ACME}).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert client.post("/v1/rules", json={"name": "r", "action": "exclude", "condition": ACME},
                       headers=wrong).status_code == 403
    assert client.put("/v1/placements/home", json={}).status_code == 401
    assert client.delete("/v1/rules/1").status_code == 401
    assert state(client) == before


def test_create_read_replace_patch_delete(client):
    rule = create(client, action="exclude", condition=ACME, placements=["home"])
    assert rule["id"] >= 1 and rule["audience"] is None and rule["created_at"]
    assert client.get(f"/v1/rules/{rule['id']}").json == rule
    replaced = client.put(f"/v1/rules/{rule['id']}", json={**rule, "name": "boost Acme", "action": "boost",
                                                             "factor": 2}, headers=AUTH)
    assert replaced.status_code == 200 and replaced.json["action"] == "boost"
    assert replaced.json["placements"] == ["home"]
    patched = client.patch(f"/v1/rules/{rule['id']}", json={"enabled": False, "placements": []}, headers=AUTH).json
    assert patched["enabled"] is False and patched["factor"] == 2 and patched["placements"] == []
    assert [r["id"] for r in client.get("/v1/rules").json["rules"]] == [rule["id"]]
    assert client.delete(f"/v1/rules/{rule['id']}", headers=AUTH).json["deleted"]["id"] == rule["id"]
    assert client.get(f"/v1/rules/{rule['id']}").status_code == 404
    assert client.delete(f"/v1/rules/{rule['id']}", headers=AUTH).status_code == 404
    assert client.put("/v1/rules/999", json={"name": "x", "action": "exclude", "condition": ACME},
                      headers=AUTH).status_code == 404


@pytest.mark.parametrize("body, field", [
    ({"action": "exclude", "condition": {"field": "colour", "op": "eq", "value": "red"}}, "condition.field"),
    ({"action": "exclude", "condition": {"field": "brand", "op": "like", "value": "A"}}, "condition.op"),
    ({"action": "exclude", "condition": ACME, "starts_at": "2026-13-45T00:00:00Z"}, "starts_at"),
    ({"action": "exclude", "condition": ACME, "starts_at": "2026-02-01T00:00:00Z", "ends_at": "2026-01-01T00:00:00Z"},
     "ends_at"),
    ({"action": "boost", "factor": 0, "condition": ACME}, "factor"),
    ({"action": "bury", "factor": -1, "condition": ACME}, "factor"),
    ({"action": "exclude", "condition": ACME, "audience": "martians"}, "audience"),
    ({"action": "pin", "item_ids": ["no-such-item"], "positions": [1]}, "item_ids[0]"),
])
def test_invalid_rules_are_rejected_and_change_nothing(client, body, field):
    existing = create(client, action="exclude", condition=ACME)
    before = state(client)
    response = client.post("/v1/rules", json={"name": "bad", **body}, headers=AUTH)
    assert response.status_code == 400 and response.json["error"]["field"] == field
    assert response.json["error"]["code"] == "invalid_rule"
    patched = client.patch(f"/v1/rules/{existing['id']}", json=body, headers=AUTH)
    assert patched.status_code == 400 and patched.json["error"]["field"] == field
    assert state(client) == before


def test_unknown_columns_are_listed(client):
    error = client.post("/v1/rules", json={"name": "x", "action": "exclude", "condition": {
        "field": "colour", "op": "eq", "value": "red"}}, headers=AUTH).json["error"]
    assert "brand" in error["message"] and "margin" in error["message"] and "in_stock" in error["message"]


def test_the_audit_log_keeps_who_when_before_and_after(client):
    rule = create(client, action="exclude", condition=ACME)
    client.patch(f"/v1/rules/{rule['id']}", json={"name": "renamed"}, headers={**AUTH, "X-Vitrine-Actor": "mia"})
    client.delete(f"/v1/rules/{rule['id']}", headers=AUTH)
    client.put("/v1/placements/home", json={"max_per_category": 2}, headers=AUTH)
    entries = client.get("/v1/rules/audit", headers=AUTH).json["entries"]
    assert [(e["action"], e["entity"]) for e in entries] == [
        ("update", "placement"), ("delete", "rule"), ("update", "rule"), ("create", "rule")]
    update = entries[2]
    assert update["actor"] == "mia" and update["before"]["name"] == "r" and update["after"]["name"] == "renamed"
    assert entries[1]["after"] is None and entries[3]["before"] is None and entries[0]["at"]
    page = client.get("/v1/rules/audit?limit=2&entity=rule", headers=AUTH).json
    assert len(page["entries"]) == 2 and page["next_before"] == page["entries"][-1]["id"]
    rest = client.get(f"/v1/rules/audit?before={page['next_before']}&entity=rule", headers=AUTH).json
    assert [e["action"] for e in rest["entries"]] == ["create"] and rest["next_before"] is None
    assert client.get("/v1/rules/audit?limit=0", headers=AUTH).status_code == 400


def test_exclusions_never_leak_through_any_endpoint(client, models_dir, store, tmp_path, monkeypatch, database_url):
    user = store.events.user_id.iloc[0]
    top = client.get(f"/v1/users/{user}/recommendations?n=1").json["items"][0]
    anchor, partner = store.complements[0]
    create(client, action="exclude", condition={"any": [{"field": "category", "op": "eq", "value": top["category"]},
                                                        {"field": "item_id", "op": "eq", "value": partner}]})
    banned = set(store.catalog.item_id[store.catalog.category == top["category"]]) | {partner}
    lists = [
        client.get(f"/v1/users/{user}/recommendations?n=20"),
        client.get("/v1/users/stranger/recommendations?n=20"),
        client.post("/v1/recommendations", json={"session": [{"item_id": top["item_id"], "event": "view"}], "n": 20}),
        client.get(f"/v1/items/{anchor}/related?n=20"),
        client.get(f"/v1/items/{anchor}/bought-together?n=20"),
        client.post("/v1/cart/complements", json={"items": [anchor], "n": 20}),
        client.get("/v1/popular?n=20"), client.get("/v1/popular?n=20&trending=true"),
    ]
    for response in lists:
        ids = {item["item_id"] for item in response.json["items"]}
        assert response.status_code == 200 and ids and not ids & banned
    batch = client.post("/v1/recommendations/batch", json={"user_ids": [user, "stranger"], "n": 20})
    for line in batch.get_data(as_text=True).splitlines():
        assert len(json.loads(line)["items"]) == 20 and not {i["item_id"] for i in json.loads(line)["items"]} & banned
    monkeypatch.setenv("VITRINE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VITRINE_DATABASE_URL", database_url)  # the store the app writes to
    out = tmp_path / "picks.jsonl"
    assert main(["export", "--all", "--n", "10", "--models-dir", str(models_dir), "--out", str(out), "--quiet"]) == 0
    exported = [json.loads(line) for line in out.read_text().splitlines()]
    assert exported and not {i["item_id"] for line in exported for i in line["items"]} & banned


def test_n_results_when_most_candidates_are_excluded(client, store):
    category = store.catalog.category.value_counts().index[0]
    create(client, action="include_only", condition={"field": "category", "op": "eq", "value": category})
    user = store.events.user_id.iloc[0]
    for response in (client.get(f"/v1/users/{user}/recommendations?n=6"), client.get("/v1/popular?n=6"),
                     client.get(f"/v1/items/{store.catalog.item_id.iloc[0]}/related?n=6")):
        assert len(response.json["items"]) == 6 and {i["category"] for i in response.json["items"]} == {category}


def test_debug_names_the_rules_that_acted(client, store):
    boost = create(client, action="boost", factor=3, condition=ACME)
    pinned = store.catalog.item_id[store.catalog.in_stock].iloc[-1]
    pin = create(client, action="pin", item_ids=[pinned], positions=[1])
    items = client.get("/v1/popular?n=10&debug=true").json["items"]
    assert items[0]["item_id"] == pinned and {"id": pin["id"], "name": "r", "action": "pin"} in items[0]["rules"]
    acme = [i for i in items if i["title"].startswith("Acme")]
    assert acme and all(boost["id"] in [r["id"] for r in i["rules"]] for i in acme)
    assert "rules" not in client.get("/v1/popular?n=3").json["items"][0]


def test_preview_shows_before_and_after_without_storing(client, store):
    before_state = state(client)
    body = {"rule": {"name": "only Acme", "action": "include_only", "condition": ACME},
            "request": {"kind": "user", "user_id": store.events.user_id.iloc[0], "n": 5}}
    assert client.post("/v1/rules/preview", json=body).status_code == 401
    answer = client.post("/v1/rules/preview", json=body, headers=AUTH).json
    assert len(answer["before"]["items"]) == 5 and len(answer["after"]["items"]) == 5
    assert all(i["title"].startswith("Acme") for i in answer["after"]["items"])
    assert not all(i["title"].startswith("Acme") for i in answer["before"]["items"])
    assert answer["rule"]["name"] == "only Acme" and state(client) == before_state
    bad = client.post("/v1/rules/preview", json={**body, "request": {"kind": "related"}}, headers=AUTH)
    assert bad.status_code == 400 and bad.json["error"]["field"] == "request.item_id"
    bad = client.post("/v1/rules/preview", json={**body, "rule": {"name": "x", "action": "boost", "factor": 1,
                                                                  "condition": ACME}}, headers=AUTH)
    assert bad.status_code == 400 and bad.json["error"]["field"] == "rule.factor"


def test_a_second_worker_sees_a_change_within_a_second(models_dir, tmp_path, store):
    one = make_app(models_dir, DATA_DIR=str(tmp_path)).test_client()
    two = make_app(models_dir, DATA_DIR=str(tmp_path)).test_client()
    first = two.get("/v1/popular?n=1").json["items"][0]
    create(one, action="exclude", condition={"field": "item_id", "op": "eq", "value": first["item_id"]})
    assert one.get("/v1/popular?n=1").json["items"][0]["item_id"] != first["item_id"]  # the writer at once
    time.sleep(1.05)
    assert two.get("/v1/popular?n=1").json["items"][0]["item_id"] != first["item_id"]


def test_rules_survive_a_restart(models_dir, tmp_path):
    rule = create(make_app(models_dir, DATA_DIR=str(tmp_path)).test_client(), action="exclude", condition=ACME)
    assert (tmp_path / "vitrine.db").exists()
    again = make_app(models_dir, DATA_DIR=str(tmp_path)).test_client()
    assert again.get(f"/v1/rules/{rule['id']}").json == rule
    assert not [i for i in again.get("/v1/popular?n=20").json["items"] if i["title"].startswith("Acme")]


def test_placement_settings(client, store):
    assert client.get("/v1/placements/home").json["source"] == "built_in"
    saved = client.put("/v1/placements/home", json={"max_per_category": 1}, headers=AUTH)
    assert saved.status_code == 200 and saved.json["exclude_out_of_stock"] is True
    items = client.get(f"/v1/users/{store.events.user_id.iloc[0]}/recommendations?n=6&placement=home").json["items"]
    assert len({i["category"] for i in items}) == len(items) == 6
    assert client.get("/v1/placements/email").json["source"] == "built_in"
    client.put("/v1/placements/default", json={"exclude_out_of_stock": False}, headers=AUTH)
    assert client.get("/v1/placements/email").json == {**client.get("/v1/placements/default").json, "name": "email",
                                                       "source": "default"}
    before = state(client)
    bad = client.put("/v1/placements/home", json={"max_per_category": 0}, headers=AUTH)
    assert bad.status_code == 400 and bad.json["error"]["field"] == "max_per_category"
    assert client.get("/v1/placements/home page").status_code == 400
    assert state(client) == before
    assert [p["name"] for p in client.get("/v1/placements").json["placements"]] == ["default", "home"]


def test_rule_for_a_lifecycle_stage_applies_to_that_stage_only(client, models_dir):
    """A pin aimed at first-time buyers reaches them and nobody else (issue 6 audiences)."""
    from bundle import load_artifacts
    from bundle.publish import read_current

    version = load_artifacts(read_current(models_dir))
    stage_of = {uid: version.profiles.segments_of(uid)[0] for uid in version.model.user_ids.tolist()}
    first_time = next(u for u, s in stage_of.items() if s == "first_time")
    other = next(u for u, s in stage_of.items() if s not in ("first_time", "prospect"))
    target = client.get(f"/v1/users/{first_time}/recommendations?n=10").json["items"][-1]["item_id"]
    create(client, action="pin", item_ids=[target], positions=[1], audience="first_time")
    assert client.get(f"/v1/users/{first_time}/recommendations?n=10").json["items"][0]["item_id"] == target
    assert client.get(f"/v1/users/{other}/recommendations?n=10").json["items"][0]["item_id"] != target


def test_unknown_audience_is_rejected(client):
    response = client.post("/v1/rules", json={"name": "r", "action": "exclude", "condition": ACME,
                                              "audience": "vip-club"}, headers=AUTH)
    assert response.status_code == 400 and response.json["error"]["field"] == "audience"
    assert "first_time" in response.json["error"]["message"]


def test_the_audit_needs_the_admin_token(client):
    assert client.get("/v1/rules/audit").status_code == 401
    assert client.get("/v1/rules/audit", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/v1/rules/audit", headers=AUTH).status_code == 200

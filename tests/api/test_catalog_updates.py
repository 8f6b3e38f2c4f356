"""``/v1/catalog/items``: attribute updates take effect at once, are checked whole and outlive a new model."""
from __future__ import annotations

import io
import json

import pytest

from .conftest import AUTH, make_app, publish_copy


@pytest.fixture
def client(own_models, tmp_path):
    return make_app(own_models, DATA_DIR=str(tmp_path / "data")).test_client()


def popular_ids(client, n: int = 10) -> list[str]:
    return [item["item_id"] for item in client.get(f"/v1/popular?n={n}").json["items"]]


def audit_size(client) -> int:
    return len(client.get("/v1/rules/audit", headers=AUTH).json["entries"])


def test_an_item_out_of_stock_disappears_at_once(client):
    top = popular_ids(client)[0]
    response = client.put(f"/v1/catalog/items/{top}", json={"in_stock": False}, headers=AUTH)
    assert response.status_code == 200 and response.json == {"item_id": top, "updates": {"in_stock": False}}
    assert top not in popular_ids(client)
    item = client.get(f"/v1/catalog/items/{top}").json
    assert item["attributes"]["in_stock"] is False and item["in_model"] and item["attributes"]["title"]
    client.put(f"/v1/catalog/items/{top}", json={"in_stock": True}, headers=AUTH)
    assert popular_ids(client)[0] == top


def test_bulk_json_updates_feed_rules_on_new_columns(client):
    ids = popular_ids(client, 3)
    body = {"items": [{"item_id": ids[0], "season": "winter", "price": 1.5}, {"item_id": ids[1], "season": "winter"},
                      {"item_id": "brand-new-product", "season": "summer"}]}
    answer = client.post("/v1/catalog/items", json=body, headers=AUTH).json
    assert answer["updated"] == 3 and answer["unknown_to_model"] == 1
    rule = {"name": "no winter", "action": "exclude", "condition": {"field": "season", "op": "eq", "value": "winter"}}
    assert client.post("/v1/rules", json=rule, headers=AUTH).status_code == 201
    assert not {ids[0], ids[1]} & set(popular_ids(client))
    cheap = {"name": "cheap", "action": "include_only", "condition": {"field": "price", "op": "lt", "value": 2}}
    preview = client.post("/v1/rules/preview", json={"rule": cheap, "request": {"kind": "popular", "n": 3}},
                          headers=AUTH).json
    assert ids[0] not in [i["item_id"] for i in preview["after"]["items"]]  # cheap, but still excluded


def test_csv_bodies_and_uploads(client):
    ids = popular_ids(client, 2)
    csv = f"item_id,in_stock,price,margin\n{ids[0]},false,,\n{ids[1]},,9.5,0.3\n"
    answer = client.post("/v1/catalog/items", data=csv, headers={**AUTH, "Content-Type": "text/csv"})
    assert answer.status_code == 200 and answer.json["updated"] == 2
    assert ids[0] not in popular_ids(client)
    assert client.get(f"/v1/catalog/items/{ids[1]}").json["updates"] == {"price": 9.5, "margin": 0.3}
    upload = {"file": (io.BytesIO(f"item_id,in_stock\n{ids[0]},yes\n".encode()), "stock.csv")}
    answer = client.post("/v1/catalog/items", data=upload, headers=AUTH, content_type="multipart/form-data")
    assert answer.status_code == 200 and ids[0] in popular_ids(client)


@pytest.mark.parametrize("kwargs, field", [
    ({"json": {"items": [{"item_id": "p00001", "price": 2}, {"item_id": "p00002", "price": "cheap"}]}},
     "items[1].price"),
    ({"json": {"items": [{"item_id": "p00001", "in_stock": "no"}]}}, "items[0].in_stock"),
    ({"json": {"items": [{"price": 2}]}}, "items[0].item_id"),
    ({"json": {"items": []}}, "items"),
    ({"data": "item_id,price\np00001,2\np00002,lots\n", "content_type": "text/csv"}, "line 3.price"),
    ({"data": "sku,price\np00001,2\n", "content_type": "text/csv"}, "file"),
])
def test_a_bad_row_rejects_the_whole_update(client, kwargs, field):
    before = (client.get("/v1/catalog/items/p00001").json, audit_size(client))
    response = client.post("/v1/catalog/items", headers=AUTH, **kwargs)
    assert response.status_code == 400 and response.json["error"]["field"] == field
    assert (client.get("/v1/catalog/items/p00001").json, audit_size(client)) == before


def test_single_item_checks(client):
    assert client.put("/v1/catalog/items/p00001", json={"in_stock": False}).status_code == 401
    bad = client.put("/v1/catalog/items/p00001", json={"price": -3}, headers=AUTH)
    assert bad.status_code == 400 and bad.json["error"]["field"] == "attributes.price"
    assert client.put("/v1/catalog/items/p00001", json={}, headers=AUTH).status_code == 400
    assert client.get("/v1/catalog/items/nothing-like-it").status_code == 404


def test_updates_outlive_a_new_model_version(client, own_models):
    top = popular_ids(client)[0]
    client.put(f"/v1/catalog/items/{top}", json={"in_stock": False}, headers=AUTH)
    version = publish_copy(own_models)
    assert client.post("/v1/admin/reload", headers=AUTH).json["model_version"] == version
    assert top not in popular_ids(client)


def test_every_answer_and_page_shows_an_updated_price_and_stock(own_models, tmp_path, monkeypatch):
    """Single picks, the batch endpoint, ``vitrine export``, the demo store and the console read the
    same updated catalog."""
    from cli import main

    data = tmp_path / "data"
    client = make_app(own_models, DATA_DIR=str(data)).test_client()
    user = "u00001"
    first = client.get(f"/v1/users/{user}/recommendations?n=3").json["items"][0]["item_id"]
    assert client.put(f"/v1/catalog/items/{first}", json={"price": 14.49}, headers=AUTH).status_code == 200

    def price_in(items):
        return next(item["price"] for item in items if item["item_id"] == first)

    assert price_in(client.get(f"/v1/users/{user}/recommendations?n=3").json["items"]) == 14.49
    batch = client.post("/v1/recommendations/batch", json={"user_ids": [user], "n": 3})
    assert price_in(json.loads(batch.get_data(as_text=True).splitlines()[0])["items"]) == 14.49
    monkeypatch.setenv("VITRINE_DATA_DIR", str(data))
    out = tmp_path / "picks.jsonl"
    users = tmp_path / "users.txt"
    users.write_text(f"{user}\n")
    assert main(["export", "--users", str(users), "--n", "3", "--models-dir", str(own_models), "--out", str(out),
                 "--quiet"]) == 0
    assert price_in(json.loads(out.read_text().splitlines()[0])["items"]) == 14.49

    assert "€14.49" in client.get(f"/demo/store/product/{first}").get_data(as_text=True)
    client.put(f"/v1/catalog/items/{first}", json={"in_stock": False}, headers=AUTH)
    page = client.get(f"/demo/store/product/{first}").get_data(as_text=True)
    assert "Out of stock" in page and 'class="buy" disabled' in page
    client.post("/demo/store/cart", data={"action": "add", "item_id": first})
    cart = client.get_cookie("vitrine_demo_cart")
    assert cart is None or first not in cart.value.split(",")


def test_a_csv_cell_over_the_csv_field_limit_is_a_400_naming_its_line(client):
    item = popular_ids(client, 1)[0]
    csv = f"item_id,note\n{item},short\n{item},{'x' * 200_000}\n"
    response = client.post("/v1/catalog/items", data=csv, headers={**AUTH, "Content-Type": "text/csv"})
    assert response.status_code == 400 and response.json["error"]["field"] == "line 3"

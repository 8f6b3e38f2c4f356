"""Today's purchases reach the popular and trending lists before the next training."""
from __future__ import annotations

from .conftest import make_app


def test_todays_sales_lift_an_item_in_popular_and_trending(models_dir, tmp_path):
    api = make_app(models_dir, DATA_DIR=str(tmp_path / "data"), FRESHNESS_INTERVAL=0.0).test_client()
    before = api.get("/v1/popular?n=100").json["items"]
    quiet = before[-1]["item_id"]
    assert quiet not in [item["item_id"] for item in api.get("/v1/popular?n=5&trending=true").json["items"]]
    sales = [{"type": "purchase", "item_id": quiet, "user_id": f"buyer-{i}", "order_id": f"o{i}", "price": 1.0}
             for i in range(300)]
    assert api.post("/v1/events", json=sales).status_code == 201
    assert api.get("/v1/popular?n=5&trending=true").json["items"][0]["item_id"] == quiet
    assert quiet in [item["item_id"] for item in api.get("/v1/popular?n=5").json["items"]]


def test_views_alone_do_not_move_best_sellers(models_dir, tmp_path):
    api = make_app(models_dir, DATA_DIR=str(tmp_path / "data"), FRESHNESS_INTERVAL=0.0).test_client()
    before = [item["item_id"] for item in api.get("/v1/popular?n=10").json["items"]]
    api.post("/v1/events", json=[{"type": "view", "item_id": before[-1], "visitor_id": f"v{i}"} for i in range(200)])
    assert [item["item_id"] for item in api.get("/v1/popular?n=10").json["items"]] == before

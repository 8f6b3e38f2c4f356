"""``GET /v1/analytics/placements``: outcomes per placement and day, last-click attribution."""
from __future__ import annotations

import csv
import io
import time
import uuid

import pytest

from tests.api.conftest import AUTH

DAY = 86_400.0


def event(kind: str, at: float, **fields) -> dict:
    return {"event_id": uuid.uuid4().hex, "type": kind, "timestamp": at, **fields}


@pytest.fixture
def admin(private_app):
    return private_app.test_client()


@pytest.fixture
def now() -> float:
    return time.time() - 60


def post(admin, events: list[dict]) -> None:
    answer = admin.post("/v1/events", json=events)
    assert answer.status_code == 201, answer.json


def report(admin, **query) -> dict:
    args = "&".join(f"{k}={v}" for k, v in query.items())
    answer = admin.get(f"/v1/analytics/placements?{args}", headers=AUTH)
    assert answer.status_code == 200, answer.json
    return {p["placement"]: p for p in answer.json["placements"]}


def test_clicks_earn_the_carts_and_orders_that_follow_them_within_the_window(admin, now):
    home = {"placement": "home", "item_id": "p00001"}
    post(admin, [
        event("impression", now - 3 * 3600, visitor_id="a", **home), event("impression", now - 3 * 3600, visitor_id="b", **home),
        event("impression", now - 3 * 3600, visitor_id="c", placement="product", item_id="p00002"),
        event("click", now - 3 * 3600, visitor_id="a", **home),
        event("cart", now - 2 * 3600, visitor_id="a", item_id="p00001"),
        event("purchase", now - 3600, visitor_id="a", item_id="p00001", order_id="o1", price=12.5, quantity=2),
        # the same visitor's purchase of another item, and b's purchase without a click: not attributed
        event("purchase", now - 3600, visitor_id="a", item_id="p00009", order_id="o1", price=99.0),
        event("purchase", now - 3600, visitor_id="b", item_id="p00001", order_id="o2", price=12.5),
    ])
    placements = report(admin)
    assert set(placements) == {"home", "product"}
    home_report = placements["home"]
    assert (home_report["impressions"], home_report["clicks"], home_report["add_to_carts"], home_report["orders"]) == (2, 1, 1, 1)
    assert home_report["revenue"] == pytest.approx(25.0) and home_report["ctr"] == pytest.approx(0.5)
    assert home_report["revenue_per_1000_impressions"] == pytest.approx(12_500.0)
    assert placements["product"]["clicks"] == 0 and placements["product"]["ctr"] == 0


def test_last_click_wins_and_old_or_later_clicks_do_not_count(admin, now):
    item = {"item_id": "p00003"}
    post(admin, [
        event("click", now - 30 * 3600, visitor_id="v", placement="email", **item),  # beyond 24 hours
        event("purchase", now - 5 * 3600, visitor_id="v", order_id="o0", price=1.0, **item),
        event("click", now - 4 * 3600, visitor_id="v", placement="home", **item),
        event("click", now - 3 * 3600, visitor_id="v", placement="product", **item),
        event("purchase", now - 2 * 3600, visitor_id="v", order_id="o1", price=10.0, **item),
        # a click by the visitor, then the order sent by the shop's back end with the customer only
        event("click", now - 2 * 3600, visitor_id="w", user_id="u00007", placement="cart", item_id="p00004"),
        event("purchase", now - 1 * 3600, user_id="u00007", item_id="p00004", order_id="o2", price=7.0),
    ])
    placements = report(admin)
    assert placements["product"]["revenue"] == pytest.approx(10.0) and placements["home"]["orders"] == 0
    assert placements["cart"]["revenue"] == pytest.approx(7.0)
    assert placements.get("email", {"orders": 0})["orders"] == 0


def test_days_dates_and_csv(admin):
    day = 20_000  # 2024-10-04
    start = day * DAY + 3600
    post(admin, [event("impression", start, visitor_id="x", placement="home", item_id="p00001"),
                 event("impression", start + DAY, visitor_id="x", placement="home", item_id="p00001"),
                 event("click", start + DAY, visitor_id="x", placement="home", item_id="p00001")])
    home = report(admin, **{"from": "2024-10-04", "to": "2024-10-05"})["home"]
    assert [(d["day"], d["impressions"], d["clicks"]) for d in home["days"]] == [("2024-10-04", 1, 0),
                                                                                ("2024-10-05", 1, 1)]
    assert report(admin, **{"from": "2024-10-05", "to": "2024-10-05"})["home"]["impressions"] == 1
    answer = admin.get("/v1/analytics/placements?from=2024-10-04&to=2024-10-05&format=csv", headers=AUTH)
    assert answer.mimetype == "text/csv" and "attachment" in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert [(r["placement"], r["day"], r["clicks"]) for r in rows] == [("home", "2024-10-04", "0"),
                                                                       ("home", "2024-10-05", "1")]


@pytest.mark.parametrize("query, field", [("from=2024-13-01", "from"), ("from=2024-10-05&to=2024-10-04", "from"),
                                          ("format=xml", "format")])
def test_bad_dates_name_the_parameter(admin, query, field):
    answer = admin.get(f"/v1/analytics/placements?{query}", headers=AUTH)
    assert answer.status_code == 400 and answer.json["error"]["field"] == field


def test_the_report_needs_the_admin_token(admin):
    assert admin.get("/v1/analytics/placements").status_code == 401

"""``/v1/experiments``: a merchandiser's experiment from draft to promoted winner, through the API."""
from __future__ import annotations

import json
import uuid

import pytest

from tests.api.conftest import AUTH

DESIGN = {"name": "Best sellers on home", "placement": "home", "metric": "click_rate", "baseline_rate": 0.3,
          "minimum_effect": 0.5, "variants": [{"name": "A", "weight": 50},
                                              {"name": "B", "weight": 50, "settings": {"strategy": "popular"}}]}


def create(client, design=DESIGN) -> dict:
    answer = client.post("/v1/experiments", json=design, headers=AUTH)
    assert answer.status_code == 201, answer.json
    return answer.json


def picks(client, visitor: str, placement: str = "home") -> dict:
    answer = client.get(f"/v1/visitors/{visitor}/recommendations?n=4&placement={placement}")
    assert answer.status_code == 200
    return answer.json


@pytest.fixture
def admin(private_app):
    return private_app.test_client()


def test_a_design_with_mistakes_is_refused_naming_the_field(admin):
    bad = {**DESIGN, "variants": [{"name": "A"}, {"name": "B", "settings": {"strategy": "magic"}}]}
    answer = admin.post("/v1/experiments", json=bad, headers=AUTH)
    assert answer.status_code == 400 and answer.json["error"]["field"] == "variants[1].settings.strategy"
    answer = admin.post("/v1/experiments", json={**DESIGN, "variants": [{"name": "A"}]}, headers=AUTH)
    assert answer.json["error"]["field"] == "variants"
    assert admin.post("/v1/experiments", json=DESIGN).status_code == 401


def test_a_running_experiment_assigns_each_visitor_one_sticky_variant_and_logs_exposures(admin):
    experiment = create(admin)
    assert experiment["status"] == "draft" and experiment["sample_size"] > 0
    assert picks(admin, "v-before")["experiment_id"] is None  # a draft assigns nobody
    assert admin.post(f"/v1/experiments/{experiment['id']}/start", headers=AUTH).json["status"] == "running"
    seen = {}
    for k in range(60):
        body = picks(admin, f"visitor-{k}")
        assert body["experiment_id"] == experiment["id"] and body["variant"] in ("A", "B")
        assert (body["strategy"] == "popular") == (body["variant"] == "B")
        seen[f"visitor-{k}"] = body["variant"]
    assert {picks(admin, visitor)["variant"] for visitor in list(seen)[:10]} <= set(seen.values())
    assert all(picks(admin, visitor)["variant"] == variant for visitor, variant in list(seen.items())[:10])
    assert 15 <= sum(v == "B" for v in seen.values()) <= 45
    counts = admin.get(f"/v1/experiments/{experiment['id']}", headers=AUTH).json["exposures"]
    assert counts == {name: sum(v == name for v in seen.values()) for name in ("A", "B")}
    assert picks(admin, "visitor-1", placement="product")["experiment_id"] is None  # other placements untouched


def test_one_running_experiment_per_placement(admin):
    first, second = create(admin), create(admin)
    assert admin.post(f"/v1/experiments/{first['id']}/start", headers=AUTH).status_code == 200
    answer = admin.post(f"/v1/experiments/{second['id']}/start", headers=AUTH)
    assert answer.status_code == 409 and answer.json["error"]["field"] == "placement"
    assert admin.post(f"/v1/experiments/{first['id']}/start", headers=AUTH).status_code == 409  # not a draft


def test_results_count_clicks_and_attributed_orders_per_variant(admin):
    experiment = create(admin)
    admin.post(f"/v1/experiments/{experiment['id']}/start", headers=AUTH)
    clicked = {"A": 0, "B": 0}
    events = []
    for k in range(40):
        visitor = f"shopper-{k}"
        body = picks(admin, visitor)
        item = body["items"][0]
        events.append({"type": "impression", "visitor_id": visitor, "item_id": item["item_id"], "placement": "home",
                       "recommendation_id": body["recommendation_id"], "position": 1})
        if k % 2 == 0:
            clicked[body["variant"]] += 1
            events.append({"type": "click", "visitor_id": visitor, "item_id": item["item_id"], "placement": "home",
                           "recommendation_id": body["recommendation_id"], "position": 1})
            events.append({"type": "purchase", "visitor_id": visitor, "item_id": item["item_id"],
                           "order_id": f"o-{k}", "price": 10.0, "quantity": 2})
    for event in events:
        event["event_id"] = uuid.uuid4().hex
    assert admin.post("/v1/events", json=events).status_code == 201
    answer = admin.get(f"/v1/experiments/{experiment['id']}/results", headers=AUTH).json["results"]
    by_name = {v["name"]: v for v in answer["variants"]}
    for name in ("A", "B"):
        variant = by_name[name]
        assert round(variant["metrics"]["click_rate"]["value"] * variant["visitors"]) == clicked[name]
        assert variant["metrics"]["revenue_per_visitor"]["value"] == pytest.approx(20.0 * clicked[name] / variant["visitors"])
        low, high = variant["metrics"]["click_rate"]["low"], variant["metrics"]["click_rate"]["high"]
        assert low <= variant["metrics"]["click_rate"]["value"] <= high
    assert answer["decision"] == "collecting" and by_name["B"]["versus_control"]["click_rate"]["p_value"] is None


def test_stopping_early_needs_force_and_promoting_makes_the_variant_the_placements_setting(admin):
    experiment = create(admin)
    admin.post(f"/v1/experiments/{experiment['id']}/start", headers=AUTH)
    picks(admin, "someone")
    early = admin.post(f"/v1/experiments/{experiment['id']}/stop", json={"promote": "B"}, headers=AUTH)
    assert early.status_code == 409 and early.json["error"]["field"] == "force"
    stopped = admin.post(f"/v1/experiments/{experiment['id']}/stop", json={"promote": "B", "force": True},
                         headers=AUTH).json
    assert stopped["status"] == "stopped" and stopped["winner"] == "B" and stopped["stop_note"]["early"] is True
    placement = admin.get("/v1/placements/home").json
    assert placement["strategy"] == "popular" and placement["source"] == "own"
    body = picks(admin, "someone")
    assert body["experiment_id"] is None and body["strategy"] == "popular"
    audit = admin.get("/v1/rules/audit?limit=10", headers=AUTH).json["entries"]
    assert [(e["action"], e["entity"]) for e in audit[:3]] == [("stop", "experiment"), ("update", "placement"),
                                                                ("start", "experiment")]


def test_promoting_an_unknown_variant_changes_nothing(admin):
    experiment = create(admin)
    admin.post(f"/v1/experiments/{experiment['id']}/start", headers=AUTH)
    answer = admin.post(f"/v1/experiments/{experiment['id']}/stop", json={"promote": "Z", "force": True}, headers=AUTH)
    assert answer.status_code == 409 and answer.json["error"]["field"] == "promote"
    assert admin.get(f"/v1/experiments/{experiment['id']}", headers=AUTH).json["status"] == "running"


def test_the_calculator_gives_visitors_and_the_effect_they_detect(admin):
    n = admin.get("/v1/experiments/sample-size?baseline_rate=0.2&minimum_effect=0.1&visitors_per_day=1000",
                  headers=AUTH).json
    assert 6000 < n["visitors_per_variant"] < 7000 and n["days"] == pytest.approx(n["visitors_total"] / 1000)
    back = admin.get(f"/v1/experiments/sample-size?baseline_rate=0.2&visitors={n['visitors_per_variant']}",
                     headers=AUTH).json
    assert back["minimum_effect"] == pytest.approx(0.1, abs=0.002)
    bad = admin.get("/v1/experiments/sample-size?baseline_rate=2", headers=AUTH)
    assert bad.status_code == 400 and bad.json["error"]["field"] == "baseline_rate"


def test_batch_lines_carry_their_variant(admin):
    experiment = create(admin, {**DESIGN, "placement": "email"})
    admin.post(f"/v1/experiments/{experiment['id']}/start", headers=AUTH)
    answer = admin.post("/v1/recommendations/batch", json={"user_ids": ["u00001", "u00002", "u00003", "u00004"],
                                                           "n": 3, "placement": "email"})
    lines = [json.loads(line) for line in answer.get_data(as_text=True).splitlines()]
    assert all(line["experiment_id"] == experiment["id"] for line in lines)
    assert all((line["strategy"] == "popular") == (line["variant"] == "B") for line in lines)
    assert len({line["recommendation_id"] for line in lines}) == 4


def test_a_sequential_experiment_may_stop_at_any_time(admin):
    experiment = create(admin, {**DESIGN, "analysis": "sequential"})
    assert experiment["analysis"] == "sequential"
    admin.post(f"/v1/experiments/{experiment['id']}/start", headers=AUTH)
    picks(admin, "early-bird")
    results = admin.get(f"/v1/experiments/{experiment['id']}/results", headers=AUTH).json["results"]
    assert results["analysis"] == "sequential" and not results["horizon_reached"]
    stopped = admin.post(f"/v1/experiments/{experiment['id']}/stop", json={"promote": None}, headers=AUTH)
    assert stopped.status_code == 200 and stopped.json["stop_note"]["early"] is False
    assert admin.get("/v1/placements/home").json["strategy"] == "blend"  # nothing promoted

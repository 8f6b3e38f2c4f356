"""The OpenAPI document and the request checks are one declaration: what the document states about a
body is what the service enforces, at the boundaries."""
from __future__ import annotations

import pytest

from api.schema.openapi import build_spec

SPEC = build_spec()
SCHEMAS = SPEC["components"]["schemas"]


def body_schema(path: str, method: str = "post") -> dict:
    ref = SPEC["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return SCHEMAS[ref.rsplit("/", 1)[1]]


@pytest.mark.parametrize("path, body", [
    ("/v1/recommendations", {"session": []}),
    ("/v1/cart/complements", {"items": ["p00001"]}),
    ("/v1/recommendations/batch", {"user_ids": ["u00001"]}),
])
def test_the_documented_bounds_of_n_are_the_enforced_ones(client, path, body):
    n = body_schema(path)["properties"]["n"]
    low, high = n["minimum"], n["maximum"]
    for value, status in ((low, 200), (high, 200), (float(high), 200), (low - 1, 400), (high + 1, 400)):
        response = client.post(path, json={**body, "n": value})
        assert response.status_code == status, (value, response.get_data(as_text=True))


def test_the_documented_list_limit_is_the_enforced_one(client):
    limit = body_schema("/v1/cart/complements")["properties"]["items"]["maxItems"]
    assert client.post("/v1/cart/complements", json={"items": ["p00001"] * limit}).status_code == 200
    response = client.post("/v1/cart/complements", json={"items": ["p00001"] * (limit + 1)})
    assert response.status_code == 400 and response.json["error"]["field"] == "items"


def test_documented_events_are_accepted_and_others_refused(client):
    events = SCHEMAS["SessionEventIn"]["properties"]["event"]["enum"]
    for event in events:
        body = {"session": [{"item_id": "p00001", "event": event}], "n": 2}
        assert client.post("/v1/recommendations", json=body).status_code == 200, event
    body = {"session": [{"item_id": "p00001", "event": "like"}]}
    assert client.post("/v1/recommendations", json=body).json["error"]["code"] == "unknown_event"


def test_the_document_states_the_cross_field_rules():
    catalog_put = SPEC["paths"]["/v1/catalog/items/{item_id}"]["put"]["requestBody"]["content"]["application/json"]
    assert SCHEMAS[catalog_put["schema"]["$ref"].rsplit("/", 1)[1]]["minProperties"] == 1
    assert "starts_at" in SCHEMAS["RuleInput"]["description"]
    assert "min_price" in SCHEMAS["PlacementSettings"]["description"]
    patch = SPEC["paths"]["/v1/rules/{rule_id}"]["patch"]["requestBody"]["content"]["application/json"]["schema"]
    assert patch["$ref"].endswith("/RulePatch") and not SCHEMAS["RulePatch"].get("required")

"""Communities as the service shows them: the list, a customer's community, a segment listing, a
rule audience and the report."""
from __future__ import annotations

from .conftest import AUTH, make_app


def test_communities_are_listed_with_their_figures(client):
    found = client.get("/v1/communities").json
    assert 2 <= found["k"] <= 8 and str(found["k"]) in found["silhouette"]
    assert found["silhouette"][str(found["k"])] == max(found["silhouette"].values())
    groups = found["communities"]
    assert len(groups) == found["k"] and len({g["audience"] for g in groups}) == found["k"]
    assert all(g["audience"].startswith("community:") and g["top_categories"] and g["customers"] > 0 for g in groups)
    assert abs(sum(g["revenue_share"] or 0 for g in groups) - 1.0) < 0.02


def test_a_customer_s_community_in_the_profile_and_its_listing(client):
    profile = client.get("/v1/users/u00001/profile").json
    community = profile["community"]
    listed = client.get(f"/v1/segments/{community['audience']}/users?limit=1000").json
    assert "u00001" in {card["user_id"] for card in listed["users"]}
    sizes = {g["audience"]: g["customers"] for g in client.get("/v1/communities").json["communities"]}
    assert listed["total"] == sizes[community["audience"]]
    assert client.get("/v1/segments/community:nobody/users").status_code == 404


def test_a_rule_aimed_at_a_community_reaches_its_members_only(models_dir, tmp_path):
    api = make_app(models_dir, DATA_DIR=str(tmp_path / "data"), LIVE_REFRESH_INTERVAL=0.0).test_client()
    groups = api.get("/v1/communities").json["communities"]
    inside = api.get(f"/v1/segments/{groups[0]['audience']}/users?limit=1").json["users"][0]["user_id"]
    outside = api.get(f"/v1/segments/{groups[1]['audience']}/users?limit=1").json["users"][0]["user_id"]
    target = api.get(f"/v1/users/{inside}/recommendations?n=10").json["items"][-1]["item_id"]
    rule = {"name": "for them", "action": "pin", "item_ids": [target], "positions": [1],
            "audience": groups[0]["audience"]}
    assert api.post("/v1/rules", json=rule, headers=AUTH).status_code == 201
    assert api.get(f"/v1/users/{inside}/recommendations?n=10").json["items"][0]["item_id"] == target
    assert api.get(f"/v1/users/{outside}/recommendations?n=10").json["items"][0]["item_id"] != target
    bad = api.post("/v1/rules", json={**rule, "audience": "community:Not A Slug"}, headers=AUTH)
    assert bad.status_code == 400 and bad.json["error"]["field"] == "audience"


def test_the_report_has_a_communities_section(client):
    page = client.get("/v1/report").get_data(as_text=True)
    assert "<h2>Communities</h2>" in page and "community:" in page


def test_export_of_a_community(client, models_dir, tmp_path):
    import csv

    from cli import main

    group = client.get("/v1/communities").json["communities"][0]
    out = tmp_path / "community.csv"
    assert main(["export", "--segment", group["audience"], "--models-dir", str(models_dir), "--out", str(out),
                 "--n", "1", "--quiet"]) == 0
    with out.open() as file:
        users = {row["user_id"] for row in csv.DictReader(file)}
    assert len(users) == group["customers"]

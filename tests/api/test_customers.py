"""Profiles, segments, paged segment listings, the report page, and their command-line twins."""
from __future__ import annotations

import csv
import json
from types import SimpleNamespace

import pandas as pd
import pytest

from api.serving.export import PROFILE_COLUMNS
from api.paging import make_cursor
from api.reports.customer_report import render_report
from recommender.lifecycle import LifecycleConfig
from recommender.profiles import AUDIENCES
from cli import main
from training.dataset import build_dataset
from training.profiles import build_profiles

from .conftest import make_app, publish_copy


def test_profile_of_a_known_customer(client):
    body = client.get("/v1/users/u00001/profile").get_json()
    assert body["user_id"] == "u00001" and body["stage"] in AUDIENCES
    assert set(body["rfm"]) >= {"recency_days", "frequency", "monetary", "r_score", "f_score", "m_score"}
    assert set(body["predictions"]) >= {"p_buy_30d", "p_buy_90d", "predicted_value_12m"}
    assert 1 <= len(body["favourite_categories"]) <= 3 and body["model_version"]


def test_profile_of_an_unknown_customer_is_404(client):
    response = client.get("/v1/users/someone-new/profile")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "unknown_user"


def test_segments_list_every_stage_and_live_segment(client):
    body = client.get("/v1/segments").get_json()
    names = [segment["name"] for segment in body["segments"]]
    assert names == list(AUDIENCES)
    stages = [s for s in body["segments"] if s["kind"] == "stage"]
    assert sum(s["customers"] for s in stages) == body["store"]["customers"]
    assert all(set(item) == {"item_id", "title"} for s in stages for item in s["top_items"])
    assert body["key_moment"]["key_moment_days"] is not None and "interval_histogram" not in body["key_moment"]


def _walk(client, name: str, limit: int) -> tuple[list[str], int]:
    users, cursor, pages = [], None, 0
    while True:
        query = f"limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(f"/v1/segments/{name}/users?{query}").get_json()
        users += [card["user_id"] for card in body["users"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return users, pages


def test_paging_visits_every_member_once_best_first(client):
    first = client.get("/v1/segments/active/users?limit=1000").get_json()
    total = first["total"]
    assert total > 7 and first["next_cursor"] is None
    users, pages = _walk(client, "active", 7)
    assert users == [card["user_id"] for card in first["users"]] and pages == -(-total // 7)
    values = [card["predicted_value_12m"] for card in first["users"] if card["since"] is None]  # training's
    assert values == sorted(values, reverse=True)
    assert {card["stage"] for card in first["users"]} == {"active"}


@pytest.mark.parametrize("query, status, code", [
    ("limit=0", 400, "invalid_parameter"),
    ("limit=1001", 400, "invalid_parameter"),
    ("cursor=not-a-cursor", 404, "unknown_cursor"),
    (f"cursor={make_cursor('hero', 0, 'whatever')}", 404, "unknown_cursor"),
])
def test_bad_listing_requests(client, query, status, code):
    response = client.get(f"/v1/segments/active/users?{query}")
    assert response.status_code == status and response.get_json()["error"]["code"] == code


def test_unknown_segment_and_stale_cursor(client):
    assert client.get("/v1/segments/vip/users").get_json()["error"]["code"] == "unknown_segment"
    stale = client.get(f"/v1/segments/active/users?cursor={make_cursor('active', 5, 'an-old-version')}")
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "cursor_expired"


def test_report_page_has_its_charts(client):
    response = client.get("/v1/report")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert html.count("<svg") == 5 and "<script" not in html and "http" not in html.replace("http://www.w3.org", "")
    for title in ("Revenue by stage", "Revenue by community", "Days between first and second purchase", "Cohort retention",
                  "Customers per stage", "key moment: day"):
        assert title in html


def test_a_version_without_profiles_answers_404(own_models):
    def drop_profiles(folder):
        manifest = json.loads((folder / "manifest.json").read_text())
        del manifest["profiles"]
        (folder / "manifest.json").write_text(json.dumps(manifest))

    publish_copy(own_models, drop_profiles)
    client = make_app(own_models).test_client()
    for path in ("/v1/segments", "/v1/report", "/v1/users/u00001/profile", "/v1/segments/hero/users"):
        assert client.get(path).get_json()["error"]["code"] == "no_profiles"


def test_export_a_segment_with_profile_columns(models_dir, tmp_path, client):
    out = tmp_path / "winback.csv"
    assert main(["export", "--segment", "at_risk", "--n", "6", "--models-dir", str(models_dir), "--out", str(out),
                 "--quiet"]) == 0
    with open(out, newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    expected = [card["user_id"] for card in client.get("/v1/segments/at_risk/users?limit=1000").get_json()["users"]]
    assert list(dict.fromkeys(row["user_id"] for row in rows)) == expected
    assert tuple(rows[0])[-len(PROFILE_COLUMNS):] == PROFILE_COLUMNS
    assert {row["stage"] for row in rows} == {"at_risk"} and all(float(row["p_buy_90d"]) >= 0 for row in rows)


def test_export_an_unknown_segment_fails(models_dir, tmp_path, capsys):
    assert main(["export", "--segment", "vip", "--models-dir", str(models_dir), "--out", str(tmp_path / "x.csv")]) == 2
    assert "--segment must be one of" in capsys.readouterr().err


def test_report_command_writes_the_page(models_dir, tmp_path, capsys):
    out = tmp_path / "report.html"
    assert main(["report", "--models-dir", str(models_dir), "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").count("<svg") == 5 and "wrote the customer report" in capsys.readouterr().out
    assert main(["report", "--models-dir", str(tmp_path / "empty"), "--out", str(out)]) == 2


def test_report_renders_for_a_single_day_of_data():
    frame = pd.DataFrame({"timestamp": pd.to_datetime(["2024-05-01T10:00"] * 3, utc=True), "user_id": ["a", "b", "c"],
                          "item_id": ["i1", "i2", "i1"], "event": ["purchase", "purchase", "view"],
                          "quantity": 1.0, "price": 2.0, "order_id": ["o1", "o2", None]})
    profiles = build_profiles(build_dataset(frame), LifecycleConfig())
    html = render_report(SimpleNamespace(profiles=profiles, catalog={}, version="thin"))
    assert html.count("<svg") == 4 and "not fitted" in html

"""``vitrine export``: CSV and JSON lines for a users file or every user, like the batch endpoint."""
from __future__ import annotations

import csv
import json
from dataclasses import replace

import pytest

from api.serving.cards import item_cards
from api.serving.export import CSV_COLUMNS, export_picks, load_served
from cli import main


@pytest.fixture
def users_file(tmp_path):
    path = tmp_path / "users.txt"
    path.write_text("u00001\n\nu00002\n  ghost-customer  \n", encoding="utf-8")
    return path


def test_export_csv(models_dir, users_file, tmp_path, capsys):
    out = tmp_path / "picks.csv"
    assert main(["export", "--users", str(users_file), "--n", "6", "--placement", "email",
                 "--models-dir", str(models_dir), "--out", str(out), "--quiet"]) == 0
    with open(out, newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [row["user_id"] for row in rows] == ["u00001"] * 6 + ["u00002"] * 6 + ["ghost-customer"] * 6
    assert [int(row["rank"]) for row in rows[:6]] == list(range(1, 7))
    assert all(row["reason"] and float(row["score"]) >= 0 for row in rows)
    assert "wrote 18 rows for 3 users" in capsys.readouterr().out


def test_export_jsonl_matches_the_batch_endpoint(models_dir, users_file, tmp_path, client):
    out = tmp_path / "picks.jsonl"
    assert main(["export", "--users", str(users_file), "--n", "4", "--placement", "email",
                 "--models-dir", str(models_dir), "--out", str(out), "--quiet"]) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    batch = client.post("/v1/recommendations/batch",
                        json={"user_ids": ["u00001", "u00002", "ghost-customer"], "n": 4, "placement": "email"})
    answered = [json.loads(line) for line in batch.get_data(as_text=True).splitlines()]
    ids = [line.pop("recommendation_id") for line in lines + answered]
    assert lines == answered and len(set(ids)) == 6  # each list its own id, the export's as the batch's
    assert lines[2]["strategy"] == "popular_fallback"


def test_export_all_users(models_dir, tmp_path):
    served = load_served(models_dir)
    report = export_picks(served, served.version.model.user_ids.tolist(), tmp_path / "all.ndjson", n=2,
                          progress=False)
    assert report.users == len(served.version.model.user_ids) == report.rows
    assert len((tmp_path / "all.ndjson").read_text().splitlines()) == report.users


def read_rows(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_the_wide_layout_has_one_row_per_customer_with_each_picks_card(models_dir, users_file, tmp_path):
    """The e-mail layout: the same picks as the long layout, each with its title, price, url, image
    and reason, and the customer's stage; no scores."""
    served = load_served(models_dir)
    first = served.version.model.user_ids[0]
    media = {item: {**row, "url": f"https://shop.example/p/{item}", "image_url": f"https://img.example/{item}.jpg"}
             for item, row in served.version.catalog.items()}
    served = replace(served, version=replace(served.version, catalog=media), cards=item_cards(served.labels, media))
    users = ["u00001", str(first), "ghost-customer"]
    export_picks(served, users, tmp_path / "long.csv", n=4, placement="email", progress=False)
    export_picks(served, users, tmp_path / "wide.csv", n=4, placement="email", progress=False, layout="wide")
    long_rows, wide_rows = read_rows(tmp_path / "long.csv"), read_rows(tmp_path / "wide.csv")
    assert [row["user_id"] for row in wide_rows] == users
    assert not any("score" in column for column in wide_rows[0])
    cards = served.cards
    for row in wide_rows:
        picks = [pick for pick in long_rows if pick["user_id"] == row["user_id"]]
        assert [row[f"item{k}_id"] for k in range(1, 5)] == [pick["item_id"] for pick in picks]
        for k, pick in enumerate(picks, 1):
            item = pick["item_id"]
            assert row[f"item{k}_title"] == cards[item].title and float(row[f"item{k}_price"]) == cards[item].price
            assert row[f"item{k}_url"] == f"https://shop.example/p/{item}"
            assert row[f"item{k}_image"] == f"https://img.example/{item}.jpg"
            assert row[f"item{k}_reason"] == pick["reason"]
    profiles = served.version.profiles
    assert wide_rows[1]["stage"] == profiles.card(profiles.index_of(str(first)))["stage"]
    assert wide_rows[2]["stage"] == ""  # a customer the model does not know has no stage


def test_the_wide_layout_pads_short_lists_and_is_csv_only(models_dir, tmp_path):
    served = load_served(models_dir)
    bare = {item: {k: v for k, v in row.items() if k not in ("url", "image_url")}
            for item, row in served.version.catalog.items()}
    served = replace(served, cards=item_cards(served.labels, bare))  # a catalog without links
    user = str(served.version.model.user_ids[0])
    export_picks(served, [user], tmp_path / "wide.csv", n=100, progress=False, layout="wide")
    [row] = read_rows(tmp_path / "wide.csv")
    assert len(row) == 3 + 100 * 6 and row["item1_id"] and row["item1_url"] == row["item1_image"] == ""
    with pytest.raises(ValueError, match="must end in .csv"):
        export_picks(served, [user], tmp_path / "wide.jsonl", layout="wide", progress=False)


@pytest.mark.parametrize("args, message", [
    (["--all", "--out", "picks.xlsx"], "--out must end in"),
    (["--all", "--n", "0", "--out", "picks.csv"], "--n must be"),
    (["--all", "--jobs", "0", "--out", "picks.csv"], "--jobs must be at least 1"),
    (["--all", "--layout", "wide", "--out", "picks.jsonl"], "--layout wide writes one CSV row per customer"),
])
def test_export_bad_arguments(models_dir, tmp_path, capsys, args, message):
    assert main(["export", "--models-dir", str(models_dir), *args]) == 2
    assert message in capsys.readouterr().err


def test_export_without_a_model(tmp_path, capsys):
    assert main(["export", "--all", "--models-dir", str(tmp_path), "--out", str(tmp_path / "p.csv")]) == 2
    assert "nothing is published" in capsys.readouterr().err


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_export_with_jobs_writes_the_same_file(models_dir, tmp_path, monkeypatch, suffix):
    monkeypatch.setattr("api.serving.export.PART_USERS", 100)  # several parts, each shorter than a chunk
    served = load_served(models_dir)
    users = [*served.version.model.user_ids.tolist(), "ghost-customer"]
    one = export_picks(served, users, tmp_path / f"one{suffix}", n=4, placement="email", progress=False)
    two = export_picks(served, users, tmp_path / f"two{suffix}", n=4, placement="email", progress=False, jobs=2)
    assert (tmp_path / f"two{suffix}").read_bytes() == (tmp_path / f"one{suffix}").read_bytes()
    assert (two.users, two.rows) == (one.users, one.rows)


def test_export_cli_jobs(models_dir, users_file, tmp_path, capsys):
    out = tmp_path / "picks.csv"
    assert main(["export", "--users", str(users_file), "--jobs", "2", "--models-dir", str(models_dir),
                 "--out", str(out), "--quiet"]) == 0
    assert "wrote 18 rows for 3 users" in capsys.readouterr().out

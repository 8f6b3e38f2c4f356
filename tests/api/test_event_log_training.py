"""Storefront → events → training → picks: ``vitrine train --event-log`` learns from the stored events
(with or without files), ``vitrine events export`` and ``purge`` serve a warehouse and retention, and
an erased customer is not seen by the next training."""
from __future__ import annotations

import time

import pandas as pd
import pytest

from cli import main

from .conftest import AUTH, make_app


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    monkeypatch.setenv("VITRINE_DATA_DIR", str(folder))
    return folder


def test_training_from_the_event_log_with_files(models_dir, store, tmp_path, data_dir):
    from bundle import load_artifacts
    from bundle.publish import read_current
    from training.demo import write_demo_store

    api = make_app(models_dir, DATA_DIR=str(data_dir)).test_client()
    week = [time.time() - 86_400 * day for day in range(6, 0, -1)]
    events = [{"type": kind, "item_id": item, "visitor_id": "browser-7", "timestamp": at,
               **({"order_id": f"o{i}", "price": 5.0} if kind == "purchase" else {})}
              for i, at in enumerate(week) for item in ("brand-new-item", "p00003")
              for kind in ("view", "cart", "purchase")]
    events += [{"type": "view", "item_id": "p00004", "user_id": "u00002", "timestamp": week[-1]},
               {"type": "impression", "item_id": "p00005", "visitor_id": "browser-7", "timestamp": week[-1]}]
    assert api.post("/v1/events", json=events).status_code == 201
    erase = make_app(models_dir, DATA_DIR=str(data_dir), ADMIN_TOKEN="test-admin-token").test_client()
    assert erase.delete("/v1/users/u00001", headers=AUTH).status_code == 200

    files, catalog = write_demo_store(store, tmp_path / "files")
    models = tmp_path / "models"
    assert main(["train", "--events", str(files), "--event-log", "--models-dir", str(models), "--quiet",
                 "--no-evaluate"]) == 0
    version = load_artifacts(read_current(models))
    users, items = set(version.model.user_ids.tolist()), set(version.model.item_ids.tolist())
    assert "visitor:browser-7" in users and "brand-new-item" in items  # first seen in the event log
    assert "u00001" not in users  # erased before this training
    load = version.manifest["input"]["load"]
    assert load["event_log"]["rows_read"] == 37 and load["erased_rows"] > 0


def test_training_from_the_event_log_alone(models_dir, tmp_path, data_dir, capsys):
    assert main(["train", "--event-log", "--models-dir", str(tmp_path / "m"), "--quiet"]) == 2
    assert "holds no views, carts or purchases" in capsys.readouterr().err
    assert main(["train", "--models-dir", str(tmp_path / "m")]) == 2
    assert "--events FILE, --event-log, or both" in capsys.readouterr().err


def test_events_export_and_purge(models_dir, tmp_path, data_dir, capsys):
    api = make_app(models_dir, DATA_DIR=str(data_dir)).test_client()
    now = time.time()
    api.post("/v1/events", json=[{"type": "view", "item_id": "p00001", "visitor_id": "v", "timestamp": now - 40 * 86_400},
                                 {"type": "click", "item_id": "p00002", "visitor_id": "v", "placement": "home",
                                  "position": 2, "recommendation_id": "r1"}])
    out = tmp_path / "events.parquet"
    assert main(["events", "export", "--out", str(out)]) == 0
    table = pd.read_parquet(out)
    assert table["type"].tolist() == ["view", "click"] and table["position"].tolist()[1] == 2
    since = pd.Timestamp(now - 86_400, unit="s").isoformat()
    assert main(["events", "export", "--since", since, "--out", str(out)]) == 0
    assert len(pd.read_parquet(out)) == 1
    assert main(["events", "export", "--since", "yesterday", "--out", str(out)]) == 2
    assert main(["events", "purge"]) == 2 and "no retention limit" in capsys.readouterr().err
    assert main(["events", "purge", "--days", "30"]) == 0
    assert "deleted 1 events" in capsys.readouterr().out
    assert main(["events", "export", "--out", str(out)]) == 0 and len(pd.read_parquet(out)) == 1

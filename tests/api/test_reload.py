"""Hot reload: new versions are picked up without a failed request; broken ones are refused."""
from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from .conftest import AUTH, make_app, publish_copy

ENDPOINTS = ["/v1/users/u00001/recommendations?n=5", "/v1/items/p00002/related?n=5", "/v1/popular?n=3",
             "/v1/users/u00001/similar-users?n=3"]


def wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def serving(client) -> str:
    return client.get("/readyz").json["model_version"]


def test_published_version_is_picked_up(own_models):
    client = make_app(own_models, RELOAD_INTERVAL=0.05).test_client()
    old = serving(client)
    new = publish_copy(own_models)
    wait_for(lambda: serving(client) == new)
    assert old != new and client.get("/v1/model").json["version"] == new


def test_current_is_read_at_most_once_per_interval(own_models):
    client = make_app(own_models, RELOAD_INTERVAL=3600).test_client()
    old = serving(client)
    publish_copy(own_models)
    time.sleep(0.2)
    assert serving(client) == old


def test_reload_while_requests_run_fails_no_request(own_models):
    app = make_app(own_models, RELOAD_INTERVAL=0)
    stop = threading.Event()
    seen: list[list[tuple[int, str]]] = [[] for _ in range(3)]

    def hammer(log: list) -> None:
        client = app.test_client()
        while not stop.is_set():
            for url in ENDPOINTS:
                response = client.get(url)
                log.append((response.status_code, (response.json or {}).get("model_version", "")))

    threads = [threading.Thread(target=hammer, args=(log,)) for log in seen]
    for thread in threads:
        thread.start()
    try:
        versions = [serving(app.test_client())]
        for _ in range(2):
            time.sleep(0.3)
            versions.append(publish_copy(own_models))
            wait_for(lambda: serving(app.test_client()) == versions[-1])
        time.sleep(0.3)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    for log in seen:
        assert log and {status for status, _ in log} == {200}
        order = [versions.index(version) for _, version in log]
        assert order == sorted(order)  # no request went back to an older version
    assert {version for log in seen for _, version in log} == set(versions)


def test_admin_reload_switches_at_once(own_models):
    client = make_app(own_models, RELOAD_INTERVAL=3600).test_client()
    old = serving(client)
    new = publish_copy(own_models)
    response = client.post("/v1/admin/reload", headers=AUTH)
    assert response.status_code == 200
    assert response.json == {"model_version": new, "previous_version": old, "changed": True}
    assert client.get("/v1/popular").json["model_version"] == new


def _truncate_item_factors(folder: Path) -> None:
    path = folder / "item_factors.npy"
    path.write_bytes(path.read_bytes()[:200])


def _wrong_format(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**manifest, "format": 99}))


def _missing_index(folder: Path) -> None:
    (folder / "users.ann").unlink()


def _inconsistent_ids(folder: Path) -> None:
    np.save(folder / "items.npy", np.load(folder / "items.npy")[:-3])


@pytest.mark.parametrize("breakage", [_truncate_item_factors, _wrong_format, _missing_index, _inconsistent_ids])
def test_broken_version_is_refused_and_old_keeps_serving(own_models, breakage):
    client = make_app(own_models, RELOAD_INTERVAL=3600).test_client()
    old = serving(client)
    broken = publish_copy(own_models, breakage)
    response = client.post("/v1/admin/reload", headers=AUTH)
    assert response.status_code == 409 and response.json["error"]["code"] == "reload_refused"
    assert old in response.json["error"]["message"]
    answer = client.get("/v1/users/u00001/recommendations")
    assert answer.status_code == 200 and answer.json["model_version"] == old
    ready = client.get("/readyz").json
    assert ready["model_version"] == old and ready["refused"]["version"] == broken
    assert client.get("/v1/model").json["refused"]["version"] == broken
    assert 'vitrine_model_reloads_total{outcome="refused"} 1.0' in client.get("/metrics").get_data(as_text=True)


def test_broken_version_found_by_polling_is_refused_then_a_good_one_loads(own_models):
    client = make_app(own_models, RELOAD_INTERVAL=0).test_client()
    old = serving(client)
    broken = publish_copy(own_models, _truncate_item_factors)
    wait_for(lambda: (client.get("/readyz").json["refused"] or {}).get("version") == broken)
    assert serving(client) == old
    good = publish_copy(own_models, source=own_models / old)
    wait_for(lambda: serving(client) == good)
    assert client.get("/readyz").json["refused"] is None


def test_a_model_published_after_start_is_loaded(tmp_path, own_models):
    empty = tmp_path / "later"
    client = make_app(empty, RELOAD_INTERVAL=0).test_client()
    assert client.get("/readyz").status_code == 503
    shutil.copytree(own_models, empty)
    wait_for(lambda: client.get("/readyz").status_code == 200)


def test_current_naming_a_missing_folder_is_refused(own_models):
    client = make_app(own_models, RELOAD_INTERVAL=3600).test_client()
    old = serving(client)
    (own_models / "CURRENT").write_text("20990101T000000Z-deadbeef\n")
    response = client.post("/v1/admin/reload", headers=AUTH)
    assert response.status_code == 409 and "does not exist" in response.json["error"]["message"]
    assert serving(client) == old


def test_admin_reload_without_any_model(tmp_path):
    client = make_app(tmp_path / "empty").test_client()
    response = client.post("/v1/admin/reload", headers=AUTH)
    assert response.status_code == 409 and "nothing is published" in response.json["error"]["message"]
    assert client.get("/readyz").status_code == 503


def test_an_idle_worker_switches_without_a_request(own_models):
    app = make_app(own_models, RELOAD_INTERVAL=0.1)
    store = app.extensions["vitrine"].store
    new = publish_copy(own_models)
    wait_for(lambda: store.serving == new, timeout=15)  # no request was made meanwhile

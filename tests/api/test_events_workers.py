"""Two gunicorn workers share the event store: what one acknowledged, the other answers from."""
from __future__ import annotations

import http.client
import json
import time

from .test_serve import running_server


def ask(connection: http.client.HTTPConnection, method: str, path: str, body=None) -> tuple[int, dict]:
    connection.request(method, path, body=None if body is None else json.dumps(body),
                       headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    return response.status, json.loads(response.read())


def one_connection_per_worker(base: str) -> list[http.client.HTTPConnection]:
    """Keep-alive connections until two are held by different workers (each worker loaded the
    model at its own moment, so ``loaded_at`` tells them apart)."""
    host, port = base.removeprefix("http://").split(":")
    by_worker: dict[str, http.client.HTTPConnection] = {}
    for _ in range(400):
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        worker = ask(connection, "GET", "/v1/model")[1]["loaded_at"]
        if worker in by_worker:
            connection.close()
        else:
            by_worker[worker] = connection
        if len(by_worker) == 2:
            return list(by_worker.values())
        time.sleep(0.01)
    raise AssertionError("only one worker ever answered")


def test_an_event_posted_to_one_worker_shows_in_the_others_next_answer(models_dir, store, tmp_path, database_url):
    env = {"VITRINE_DATA_DIR": str(tmp_path / "data"), "VITRINE_RELOAD_INTERVAL": "5",
           "VITRINE_DATABASE_URL": database_url}
    category = store.catalog.category.value_counts().index[0]
    viewed = store.catalog.loc[store.catalog.category == category, "item_id"].tolist()[:3]
    with running_server(models_dir, tmp_path, workers=2, env=env) as base:
        first, second = one_connection_per_worker(base)
        assert ask(second, "GET", "/v1/visitors/shopper/recommendations?n=5")[1]["strategy"] == "popular_fallback"
        status, stored = ask(first, "POST", "/v1/events",
                             [{"type": "view", "item_id": item, "visitor_id": "shopper"} for item in viewed])
        assert status == 201 and stored["stored"] == 3
        answer = ask(second, "GET", "/v1/visitors/shopper/recommendations?n=5")[1]
        assert answer["strategy"] == "session"
        assert sum(item["category"] == category for item in answer["items"]) >= 3
        for connection in (first, second):
            connection.close()

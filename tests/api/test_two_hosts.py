"""Two ``vitrine serve`` hosts on loopback sharing one PostgreSQL database and one models folder, as
behind a load balancer: a rule written through host A applies on host B within 2 s, an event posted
to A shows in B's picks for the visitor, a newly published version is served by both, and killing A
(SIGKILL to its whole process group) loses no write it acknowledged."""
from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from .conftest import ADMIN_TOKEN, publish_copy
from .test_serve import _free_port, _get

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"}


def start_host(models: Path, folder: Path, database_url: str) -> tuple[subprocess.Popen, str]:
    folder.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    env = {**os.environ, "VITRINE_LOG_LEVEL": "WARNING", "VITRINE_DATA_DIR": str(folder),
           "VITRINE_DATABASE_URL": database_url, "VITRINE_ADMIN_TOKEN": ADMIN_TOKEN,
           "VITRINE_RELOAD_INTERVAL": "0.5", "VITRINE_SECRET_KEY": "shared-by-both-hosts"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with open(folder / "serve.log", "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--models-dir", str(models), "--port",
                                    str(port), "--workers", "2"], env=env, stdout=subprocess.DEVNULL, stderr=log,
                                   start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if _get(f"{base}/readyz")[0] == 200:
                return process, base
        except (urllib.error.URLError, ConnectionError):
            pass
        assert process.poll() is None and time.monotonic() < deadline, (folder / "serve.log").read_text()
        time.sleep(0.2)


def send(base: str, path: str, body: object, method: str = "POST") -> tuple[int, dict]:
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method=method, headers=AUTH)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def read(base: str, path: str) -> dict:
    status, body = _get(base + path)
    assert status == 200, body
    return json.loads(body)


def until(check, seconds: float) -> float:
    """Seconds until ``check()`` holds (fails after ``seconds``)."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < seconds, f"not within {seconds} s"
        time.sleep(0.05)
    return time.monotonic() - started


def test_two_hosts_share_rules_events_versions_and_lose_no_acknowledged_write(own_models, tmp_path, postgres):
    url = postgres.new_database()
    a, host_a = start_host(own_models, tmp_path / "a", url)
    b, host_b = start_host(own_models, tmp_path / "b", url)
    try:
        top = read(host_b, "/v1/users/u00001/recommendations?n=1")["items"][0]["item_id"]
        assert send(host_a, "/v1/rules", {"name": "hide", "action": "exclude",
                                          "condition": {"field": "item_id", "op": "eq", "value": top}})[0] == 201
        until(lambda: top not in {i["item_id"] for i in read(host_b, "/v1/users/u00001/recommendations?n=10")["items"]},
              2.0)

        viewed = read(host_b, "/v1/popular?n=1")["items"][0]
        event = {"event_id": uuid.uuid4().hex, "type": "view", "visitor_id": "shared-visitor",
                 "item_id": viewed["item_id"]}
        assert send(host_a, "/v1/events", event)[0] == 201
        picks = read(host_b, "/v1/visitors/shared-visitor/recommendations?n=5")
        assert picks["strategy"] == "session" and viewed["title"] in " ".join(i["reason"] for i in picks["items"])

        version = publish_copy(own_models)
        until(lambda: all(read(host, "/v1/model")["version"] == version for host in (host_a, host_b)), 10.0)

        acknowledged, stop = [], threading.Event()

        def post_to_a() -> None:
            while not stop.is_set():
                event_id = uuid.uuid4().hex
                try:
                    status, _ = send(host_a, "/v1/events", {"event_id": event_id, "type": "view",
                                                            "visitor_id": "load", "item_id": viewed["item_id"]})
                except (urllib.error.URLError, http.client.HTTPException, OSError):
                    continue  # the host died before answering, or in the middle of its answer: not acknowledged
                if status == 201:
                    acknowledged.append(event_id)

        clients = [threading.Thread(target=post_to_a) for _ in range(4)]
        for client in clients:
            client.start()
        until(lambda: len(acknowledged) >= 100, 20.0)
        os.killpg(a.pid, signal.SIGKILL)
        a.wait(10)
        time.sleep(0.3)
        stop.set()
        for client in clients:
            client.join(15)
        engine = create_engine(url)
        with engine.connect() as connection:
            stored = {row[0] for row in connection.execute(text("SELECT event_id FROM events WHERE visitor_id = 'load'"))}
        engine.dispose()
        assert set(acknowledged) <= stored and len(acknowledged) >= 100
        assert read(host_b, "/v1/visitors/load/recommendations?n=3")["strategy"] == "session"  # B serves on
    finally:
        for process in (a, b):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(30)

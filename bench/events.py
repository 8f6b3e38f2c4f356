"""``POST /v1/events`` under gunicorn beside a bare Flask endpoint, and a worker killed under load.

``vitrine serve --workers 2`` (SQLite event store in a temporary data folder, the default settings,
rate limits included) and ``bench/bare_app.py``'s ``POST /bare-events`` (parses the JSON, stores
nothing) run side by side. Saturation with wrk and latency at a fixed rate as in ``bench/api.py``.

Then durability: client threads post single events and batches with their own ``event_id`` and
note every one answered 201; meanwhile one worker is killed with SIGKILL (gunicorn starts another).
Afterwards every acknowledged event must be in the store: the figure is how many are not.
"""
from __future__ import annotations

import http.client
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psutil

from bench import api

USERS, ITEMS = 2_000, 500
BATCH = 100
EVENTS_PER_SECOND, SINGLE_RATE, SINGLE_P99_MS = 5_000, 1_000, 10.0
KILL_CLIENTS, KILL_SECONDS = 6, 6.0
BARE = "bare `POST /bare-events` (reference)"


def _model(tmp: Path) -> Path:
    demo, models = tmp / "demo", tmp / "models"
    quiet = {"check": True, "stdout": subprocess.DEVNULL}
    subprocess.run(api.VITRINE + ["demo-data", "--users", str(USERS), "--items", str(ITEMS), "--out", str(demo)],
                   **quiet)
    subprocess.run(api.VITRINE + ["train", "--events", str(demo / "events.csv"), "--catalog",
                                  str(demo / "catalog.csv"), "--no-evaluate", "--quiet", "--models-dir",
                                  str(models)], **quiet)
    return models


def _event(rng: random.Random, with_id: bool = False) -> dict:
    kind = rng.choice(["view", "view", "view", "impression", "cart", "click"])
    event = {"type": kind, "item_id": f"p{rng.randrange(ITEMS):05d}", "visitor_id": f"v{rng.randrange(100_000)}"}
    return event | ({"event_id": uuid.uuid4().hex} if with_id else {})


def _endpoints() -> list[api.Endpoint]:
    rng = random.Random(0)
    batches = [api._post("/v1/events", [_event(rng) for _ in range(BATCH)]) for _ in range(200)]
    singles = [api._post("/v1/events", _event(rng)) for _ in range(api.VARIANTS)]
    return [
        api.Endpoint(f"POST /v1/events, batches of {BATCH}", "vitrine", batches),
        api.Endpoint("POST /v1/events, one event", "vitrine", singles, None, SINGLE_P99_MS),
        api.Endpoint(f"bare, batches of {BATCH}", "bare", [("POST", "/bare-events", body) for _, _, body in batches]),
        api.Endpoint(BARE, "bare", [("POST", "/bare-events", body) for _, _, body in singles]),
    ]


def _post(connection: http.client.HTTPConnection, body: list[dict]) -> bool:
    connection.request("POST", "/v1/events", json.dumps(body), {"Content-Type": "application/json"})
    response = connection.getresponse()
    response.read()
    return response.status == 201


def _client(port: int, stop: threading.Event, acknowledged: list[str], failed: list[int], seed: int) -> None:
    rng = random.Random(seed)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    while not stop.is_set():
        body = [_event(rng, with_id=True) for _ in range(rng.choice([1, 1, 1, 20]))]
        try:
            if _post(connection, body):
                acknowledged.extend(event["event_id"] for event in body)
            else:
                failed.append(len(body))
        except (OSError, http.client.HTTPException):
            failed.append(len(body))  # not acknowledged: the worker died with it, or the connection did
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.close()


def _kill_a_worker_under_load(port: int, master: int, database: Path) -> dict:
    stop, acknowledged, failed = threading.Event(), [], []
    threads = [threading.Thread(target=_client, args=(port, stop, acknowledged, failed, k))
               for k in range(KILL_CLIENTS)]
    for thread in threads:
        thread.start()
    time.sleep(KILL_SECONDS / 2)
    victim = psutil.Process(master).children()[0].pid
    os.kill(victim, signal.SIGKILL)
    time.sleep(KILL_SECONDS / 2)
    stop.set()
    for thread in threads:
        thread.join()
    with sqlite3.connect(database) as connection:
        stored = {row[0] for row in connection.execute("SELECT event_id FROM events")}
    lost = sum(event_id not in stored for event_id in acknowledged)
    return {"acknowledged": len(acknowledged), "lost": lost, "failed_requests": len(failed), "victim": victim}


def _gunicorn_master(port: int) -> int:
    for process in psutil.process_iter(["pid", "cmdline"]):
        line = " ".join(process.info["cmdline"] or [])
        if "cli serve" in line and f"--port {port}" in line:
            return process.info["pid"]
    raise RuntimeError("no vitrine serve process found")


def run() -> str:
    api._ensure_wrk()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        models = _model(tmp)
        ports = {"vitrine": api._free_port(), "bare": api._free_port()}
        os.environ["VITRINE_DATA_DIR"] = str(tmp / "data")
        vitrine = api.VITRINE + ["serve", "--models-dir", str(models), "--host", "127.0.0.1", "--port",
                                 str(ports["vitrine"]), "--workers", "2"]
        bare = [sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-class", "gthread", "--threads",
                str(api.THREADS), "--no-control-socket", "--bind", f"127.0.0.1:{ports['bare']}", "bench.bare_app:app"]
        endpoints = _endpoints()
        with api._server(vitrine, ports["vitrine"], api.READY["vitrine"], tmp / "vitrine.log"), \
                api._server(bare, ports["bare"], api.READY["bare"], tmp / "bare.log"):
            results = api._measure(endpoints, ports, tmp)
            single = results[endpoints[1].name]
            if single.rate is None:  # the target is stated at this rate: measure it whatever saturation said
                single.rate = api._fixed_rate(ports["vitrine"], endpoints[1])
                single.errors += single.rate["errors"]
            kill = _kill_a_worker_under_load(ports["vitrine"], _gunicorn_master(ports["vitrine"]),
                                             tmp / "data" / "vitrine.db")
    return _section(endpoints, results, kill)


def _section(endpoints: list[api.Endpoint], results: dict[str, api.Result], kill: dict) -> str:
    batch, single = results[endpoints[0].name], results[endpoints[1].name]
    bare_batch, bare_single = results[endpoints[2].name], results[endpoints[3].name]
    events_per_second = batch.rps * BATCH
    rate = single.rate
    single_met = rate is not None and rate["p99"] < SINGLE_P99_MS and rate["achieved"] >= 0.95 * SINGLE_RATE
    rows = [
        "| endpoint | requests/s at saturation | events/s | vs bare | p50 / p99 ms at saturation | "
        f"p50 / p99 ms at {api.RATE:,}/s | errors |", "|---|---|---|---|---|---|---|"]
    for endpoint, reference in zip(endpoints, (bare_batch, bare_single, bare_batch, bare_single)):
        result = results[endpoint.name]
        size = BATCH if "batches" in endpoint.name else 1
        rows.append(f"| {endpoint.name} | {result.rps:,.0f} | {result.rps * size:,.0f} | "
                    f"{result.rps / reference.rps:.0%} | {result.median('p50'):.2f} / {result.median('p99'):.2f} | "
                    f"{api._at_rate(result)} | {result.errors} |")
    verdicts = [
        f"- {EVENTS_PER_SECOND:,} events/s in batches of {BATCH}: {events_per_second:,.0f} events/s — "
        f"{'met' if events_per_second >= EVENTS_PER_SECOND else '**missed**'}.",
        f"- {SINGLE_RATE:,} single-event requests/s with p99 < {SINGLE_P99_MS:g} ms: {api._at_rate(single)} — "
        f"{'met' if single_met else '**missed**'}.",
        f"- `kill -9` of a worker (pid {kill['victim']}) under load from {KILL_CLIENTS} clients for "
        f"{KILL_SECONDS:g} s: {kill['acknowledged']:,} events acknowledged, **{kill['lost']} lost**; "
        f"{kill['failed_requests']} requests were cut (not acknowledged, so the clients would retry them) — "
        f"{'met' if kill['lost'] == 0 else '**missed**'}.",
    ]
    return "\n".join([
        "## Events in", "",
        "Command: `make bench` (this section alone: `python -m bench.run events`). `vitrine serve --workers 2` "
        f"({api.THREADS} threads each) with the SQLite event store in a temporary data folder and the default "
        "settings (rate limits on), beside `bench/bare_app.py`'s `POST /bare-events` (parses the JSON body, "
        "stores nothing) under the same gunicorn settings, on 127.0.0.1. Events are views, impressions, carts "
        "and clicks of random visitors and products (no `event_id`: every request writes new rows). "
        "Saturation and fixed-rate latency are measured as in the API section (wrk for 3 s × 3 rounds, "
        f"then an open-loop generator at {api.RATE:,} requests/s; one connection per request).", "",
        *rows, "", *verdicts, "",
        "Each request is answered only after its transaction committed (SQLite WAL, `synchronous=NORMAL`: a "
        "commit survives the process being killed; a power cut may lose the last transactions — use "
        "`synchronous=FULL` or PostgreSQL where that matters). Concurrent requests of one worker share "
        "a transaction (group commit, `api/events/writer.py`).",
    ])

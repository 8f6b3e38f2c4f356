"""API requests/s and latency under gunicorn, beside a bare Flask endpoint, and bulk export users/s.

One model of 100,000 users and 20,000 items is trained in a temporary folder. ``vitrine serve``
and ``bench/bare_app.py`` (the reference endpoints) run side by side under gunicorn with the same
settings, loopback only. Every endpoint rotates through many different requests so that no cache
flatters it. Saturation is measured with wrk (installed from Debian's packages when missing),
endpoints interleaved over several rounds; latency at a fixed request rate with a small open-loop
generator (non-blocking sockets), since wrk cannot hold a rate and Debian has no wrk2.
"""
from __future__ import annotations

import gc
import json
import math
import os
import random
import re
import selectors
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from bundle import load_artifacts
from bundle.publish import read_current

USERS, ITEMS = 100_000, 20_000
VARIANTS = 1_000
ROUNDS, ROUND_SECONDS = 3, 3
RATE, RATE_SECONDS = 1_000, 8
EXPORT_TARGET = 5_000  # users/s
HEADROOM = 1.1  # fixed-rate latency only for endpoints saturating above HEADROOM × RATE
REQUEST_TIMEOUT = 5.0
WRK_CONNECTIONS = 8
THREADS = 4  # threads per gunicorn worker, the default of `vitrine serve` (VITRINE_THREADS)
ROOT = Path(__file__).resolve().parents[1]
VITRINE = [sys.executable, "-m", "cli"]
JSON_HEADERS = {"Content-Type": "application/json"}
READY = {"vitrine": "/readyz", "bare": "/bare"}
BARE = "bare `GET /bare` (reference)"
Spec = tuple[str, str, str | None]  # (method, path, JSON body)


@dataclass(frozen=True)
class Endpoint:
    """One measured endpoint: the server that answers it, its rotating requests and its targets."""

    name: str
    server: str  # "vitrine" or "bare"
    requests: list[Spec]
    min_ratio: float | None = None  # of /bare's requests/s at saturation
    max_p99_ms: float | None = None  # at RATE requests/s


@dataclass
class Result:
    """wrk's figures of each saturation round, errors, and the fixed-rate figures when measured."""

    rounds: list[dict] = field(default_factory=list)
    errors: int = 0
    rate: dict | None = None

    def median(self, key: str) -> float:
        return statistics.median(figures[key] for figures in self.rounds)

    @property
    def rps(self) -> float:
        return self.median("rps")


def _build_model(tmp: Path) -> tuple[Path, int]:
    """Demo store and trained model under ``tmp``; returns the models folder and the event count."""
    demo, models = tmp / "demo", tmp / "models"
    quiet = {"check": True, "stdout": subprocess.DEVNULL}
    subprocess.run(VITRINE + ["demo-data", "--users", str(USERS), "--items", str(ITEMS), "--out", str(demo)], **quiet)
    subprocess.run(VITRINE + ["train", "--events", str(demo / "events.csv"), "--catalog", str(demo / "catalog.csv"),
                              "--no-evaluate", "--quiet", "--models-dir", str(models)], **quiet)
    manifest = json.loads((read_current(models) / "manifest.json").read_text())
    return models, manifest["data"]["events"]


def _get(path: str) -> Spec:
    return "GET", path, None


def _post(path: str, body: dict) -> Spec:
    return "POST", path, json.dumps(body)


def _endpoints(models: Path) -> list[Endpoint]:
    """The measured endpoints, each with VARIANTS requests drawn from the model's own ids."""
    model = load_artifacts(read_current(models)).model
    users, items = model.user_ids.tolist(), model.item_ids.tolist()
    categories = model.category_names.tolist()
    rng = random.Random(0)

    def each(make: Callable[[int], Spec]) -> list[Spec]:
        return [make(k) for k in range(VARIANTS)]

    def session(k: int) -> dict:
        events = [{"item_id": item, "event": rng.choice(["view", "view", "cart"])} for item in rng.sample(items, 3)]
        return {"session": events, "n": 10, "placement": "product"} | ({"user_id": rng.choice(users)} if k % 2 else {})

    return [
        Endpoint("GET /v1/users/{id}/recommendations", "vitrine", each(lambda k: _get(
            f"/v1/users/{quote(rng.choice(users), safe='')}/recommendations?n=10&placement=home")), 0.4, 5.0),
        Endpoint("GET /v1/items/{id}/related", "vitrine", each(lambda k: _get(
            f"/v1/items/{quote(rng.choice(items), safe='')}/related?n=10&placement=product")), 0.4, 5.0),
        Endpoint("POST /v1/recommendations (session)", "vitrine",
                 each(lambda k: _post("/v1/recommendations", session(k))), None, 10.0),
        Endpoint("POST /v1/cart/complements", "vitrine", each(lambda k: _post(
            "/v1/cart/complements", {"items": rng.sample(items, 2), "n": 10, "placement": "cart"}))),
        Endpoint("GET /v1/popular", "vitrine", each(lambda k: _get(
            f"/v1/popular?n=10&category={quote(rng.choice(categories))}&trending={'true' if k % 2 else 'false'}"))),
        Endpoint(BARE, "bare", [_get("/bare")]),
        Endpoint("bare `GET /score` (reference)", "bare", each(lambda k: _get(f"/score?u={k}"))),
    ]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def _server(command: list[str], port: int, ready: str, log: Path) -> Iterator[None]:
    """Run a gunicorn server until the block ends; wait until ``ready`` answers 200 first."""
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                   env={**os.environ, "VITRINE_THREADS": str(THREADS)})
    try:
        _wait_ready(process, f"http://127.0.0.1:{port}{ready}", log)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(process: subprocess.Popen, url: str, log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server for {url} exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} not ready after {timeout:.0f} s")


def _check(port: int, endpoint: Endpoint) -> None:
    """One request of the endpoint must answer 200, or the figures would measure errors."""
    method, path, body = endpoint.requests[0]
    data = body.encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data, JSON_HEADERS, method=method)
    with urllib.request.urlopen(request, timeout=10) as answer:
        answer.read()


def _lua(endpoint: Endpoint) -> str:
    """A wrk script cycling through the endpoint's requests and printing its figures as JSON."""
    specs = ",\n".join(f"{{'{method}', [==[{path}]==], {f'[==[{body}]==]' if body else 'nil'}}}"
                       for method, path, body in endpoint.requests)
    return f"""local specs = {{
{specs}
}}
local prepared, i = {{}}, 0
function init(args)
  for k, s in ipairs(specs) do
    prepared[k] = wrk.format(s[1], s[2], {{["Content-Type"] = "application/json"}}, s[3])
  end
end
function request()
  i = i % #prepared + 1
  return prepared[i]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK {{"rps": %f, "p50": %f, "p99": %f, "errors": %d}}\\n',
    summary.requests / summary.duration * 1e6, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
    e.connect + e.read + e.write + e.timeout + e.status))
end
"""


def _wrk(port: int, script: Path, seconds: float) -> dict:
    command = ["wrk", "-t1", f"-c{WRK_CONNECTIONS}", f"-d{seconds}s", "-s", str(script), f"http://127.0.0.1:{port}"]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(re.search(r"^WRK (.*)$", output, re.MULTILINE).group(1))


def _raw(port: int, method: str, path: str, body: str | None) -> bytes:
    payload = (body or "").encode()
    head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n")
    return head.encode() + payload


def _fixed_rate(port: int, endpoint: Endpoint) -> dict:
    """p50/p99 latency in ms at RATE requests/s for RATE_SECONDS; the collector is off meanwhile."""
    raw = [_raw(port, *spec) for spec in endpoint.requests]
    gc.collect()
    gc.disable()
    try:
        return _open_loop(port, raw)
    finally:
        gc.enable()


@dataclass
class _Exchange:
    """One request in flight: the bytes still to send, when it started, the answer's first bytes."""

    unsent: bytes
    started: float
    head: bytes = b""


def _open_loop(port: int, raw: list[bytes]) -> dict:
    """Start one request every 1/RATE s whatever the answers do; latency = connect to last byte.

    Non-blocking sockets on one selector keep the generator's own CPU small. A failed request, an
    answer other than 2xx, or none REQUEST_TIMEOUT s after the last start counts as infinitely slow.
    """
    selector = selectors.DefaultSelector()
    latencies: list[float] = []
    total, started = RATE * RATE_SECONDS, 0
    start = time.perf_counter()
    stop = start + RATE_SECONDS + REQUEST_TIMEOUT
    while (started < total or selector.get_map()) and time.perf_counter() < stop:
        now = time.perf_counter()
        while started < total and start + started / RATE <= now:
            _connect(selector, port, _Exchange(raw[started % len(raw)], now))
            started += 1
        wait = start + started / RATE - now if started < total else 0.01
        for key, events in selector.select(max(wait, 0.0)):
            answered = _step(selector, key.fileobj, key.data, events)
            if answered is not None:
                selector.unregister(key.fileobj)
                key.fileobj.close()
                latencies.append(time.perf_counter() - key.data.started if answered else math.inf)
    elapsed = time.perf_counter() - start
    for key in list(selector.get_map().values()):
        key.fileobj.close()
        latencies.append(math.inf)
    latencies.sort()
    answered = sum(math.isfinite(x) for x in latencies)
    return {"p50": _rank(latencies, 0.50) * 1e3, "p99": _rank(latencies, 0.99) * 1e3,
            "achieved": answered / elapsed, "errors": len(latencies) - answered}


def _connect(selector: selectors.BaseSelector, port: int, exchange: _Exchange) -> None:
    sock = socket.socket()
    sock.setblocking(False)
    sock.connect_ex(("127.0.0.1", port))
    selector.register(sock, selectors.EVENT_WRITE, exchange)


def _step(selector: selectors.BaseSelector, sock: socket.socket, exchange: _Exchange, events: int) -> bool | None:
    """Send or read what the socket is ready for: None while in flight, then whether it answered 2xx."""
    try:
        if events & selectors.EVENT_WRITE:
            if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                return False
            exchange.unsent = exchange.unsent[sock.send(exchange.unsent):]
            if not exchange.unsent:
                selector.modify(sock, selectors.EVENT_READ, exchange)
            return None
        chunk = sock.recv(65536)
    except OSError:
        return False
    if chunk:
        exchange.head = exchange.head or chunk
        return None
    return exchange.head.startswith(b"HTTP/1.1 2")


def _rank(ordered: list[float], q: float) -> float:
    """The nearest-rank ``q`` quantile of sorted values."""
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _drain(port: int, path: str, deadline: float = 60) -> None:
    """Wait until the server answers ``path`` quickly again: an overloaded run leaves a queue behind."""
    stop = time.monotonic() + deadline
    while time.monotonic() < stop:
        started = time.monotonic()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=deadline) as answer:
            answer.read()
        if time.monotonic() - started < 0.05:
            return
        time.sleep(0.5)


def _measure(endpoints: list[Endpoint], ports: dict[str, int], tmp: Path) -> dict[str, Result]:
    scripts = {}
    for k, endpoint in enumerate(endpoints):
        _check(ports[endpoint.server], endpoint)
        scripts[endpoint.name] = tmp / f"endpoint{k}.lua"
        scripts[endpoint.name].write_text(_lua(endpoint))
        _wrk(ports[endpoint.server], scripts[endpoint.name], 1)  # warm-up: page in the mmapped artifacts
    results = {endpoint.name: Result() for endpoint in endpoints}
    for _ in range(ROUNDS):
        for endpoint in endpoints:
            figures = _wrk(ports[endpoint.server], scripts[endpoint.name], ROUND_SECONDS)
            results[endpoint.name].rounds.append(figures)
            results[endpoint.name].errors += figures["errors"]
    for endpoint in endpoints:
        result = results[endpoint.name]
        if result.rps >= HEADROOM * RATE:  # below that the queue grows without bound: p99 is no measure
            result.rate = _fixed_rate(ports[endpoint.server], endpoint)
            result.errors += result.rate["errors"]
            _drain(ports[endpoint.server], READY[endpoint.server])
    return results


def _export(models: Path, tmp: Path, jobs: int) -> tuple[float, float]:
    """``vitrine export --all`` users/s as it reports them (scoring and writing), and its wall seconds."""
    started = time.perf_counter()
    output = subprocess.run(VITRINE + ["export", "--all", "--n", "6", "--placement", "email", "--models-dir",
                                       str(models), "--out", str(tmp / "picks.csv"), "--quiet", "--jobs", str(jobs)],
                            check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - started
    return float(re.search(r"\(([\d,]+) users/s\)", output).group(1).replace(",", "")), wall


def _verdict(endpoint: Endpoint, result: Result, bare_rps: float) -> tuple[str, str]:
    targets, met = [], []
    if endpoint.min_ratio is not None:
        targets.append(f"≥ {endpoint.min_ratio:.0%} of bare")
        met.append(result.rps / bare_rps >= endpoint.min_ratio)
    if endpoint.max_p99_ms is not None:
        targets.append(f"p99 < {endpoint.max_p99_ms:g} ms at {RATE:,}/s")
        rate = result.rate
        met.append(rate is not None and rate["p99"] < endpoint.max_p99_ms and rate["achieved"] >= 0.95 * RATE)
    if not targets:
        return "—", "—"
    return ", ".join(targets), "met" if all(met) else "**missed**"


def _ms(value: float) -> str:
    return f"{value:.2f}" if math.isfinite(value) else "∞"


def _at_rate(result: Result) -> str:
    rate = result.rate
    if rate is None:
        return f"not run: saturates below {HEADROOM * RATE:,.0f}/s"
    short = f" (only {rate['achieved']:,.0f}/s answered)" if rate["achieved"] < 0.95 * RATE else ""
    return f"{_ms(rate['p50'])} / {_ms(rate['p99'])}{short}"


def _table(endpoints: list[Endpoint], results: dict[str, Result]) -> list[str]:
    bare_rps = results[BARE].rps
    lines = [f"| endpoint | requests/s at saturation | vs bare | p50 / p99 ms at saturation | "
             f"p50 / p99 ms at {RATE:,}/s | errors | target | result |", "|---|---|---|---|---|---|---|---|"]
    for endpoint in endpoints:
        result = results[endpoint.name]
        target, met = _verdict(endpoint, result, bare_rps)
        lines.append(f"| {endpoint.name} | {result.rps:,.0f} | {result.rps / bare_rps:.0%} | "
                     f"{result.median('p50'):.2f} / {result.median('p99'):.2f} | {_at_rate(result)} | "
                     f"{result.errors} | {target} | {met} |")
    return lines


def _ensure_wrk() -> None:
    if shutil.which("wrk") is None:
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, stdout=subprocess.DEVNULL)


def run() -> str:
    _ensure_wrk()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        models, events = _build_model(tmp)
        endpoints = _endpoints(models)
        ports = {"vitrine": _free_port(), "bare": _free_port()}
        vitrine = VITRINE + ["serve", "--models-dir", str(models), "--host", "127.0.0.1",
                             "--port", str(ports["vitrine"]), "--workers", "2"]
        bare = [sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-class", "gthread", "--threads",
                str(THREADS), "--no-control-socket",
                "--bind", f"127.0.0.1:{ports['bare']}", "bench.bare_app:app"]
        with _server(vitrine, ports["vitrine"], READY["vitrine"], tmp / "vitrine.log"), \
                _server(bare, ports["bare"], READY["bare"], tmp / "bare.log"):
            results = _measure(endpoints, ports, tmp)
        exports = {jobs: _export(models, tmp, jobs) for jobs in (1, 2)}
    return _section(endpoints, results, exports, events)


def _section(endpoints: list[Endpoint], results: dict[str, Result], exports: dict[int, tuple[float, float]],
             events: int) -> str:
    bare_rps = results[BARE].rps
    missed = [e.name for e in endpoints
              if (e.min_ratio or e.max_p99_ms) and _verdict(e, results[e.name], bare_rps)[1] != "met"]
    best_export = max(speed for speed, _ in exports.values())
    missed += [] if best_export >= EXPORT_TARGET else ["bulk export"]
    export_lines = [f"| {jobs} | {speed:,.0f} | {wall:.1f} | {'met' if speed >= EXPORT_TARGET else '**missed**'} |"
                    for jobs, (speed, wall) in exports.items()]
    return "\n".join([
        "## API and bulk export", "",
        "Command: `make bench` (this section alone: `python -m bench.run api`). Model: the demo store with "
        f"{USERS:,} users, {ITEMS:,} items and {events:,} events, trained with `--no-evaluate`. "
        "`vitrine serve --workers 2` and the reference app `bench/bare_app.py` (`/bare`: a fixed 10-item JSON "
        "list; `/score`: 20,000 items × 32 factors scored exactly with numpy, best 10 as JSON) run side by "
        f"side under gunicorn with 2 threaded workers of {THREADS} threads each (the service's default) on "
        "127.0.0.1; each endpoint cycles through "
        f"{VARIANTS:,} different requests (users, items, sessions of 3 events, half of them with a known "
        "user, 2-item baskets, categories). Personalized and related answers start from the lists "
        "training stored for every customer and item (docs/api.md, \"How an answer is made\"); sessions "
        "and cart complements are scored live.", "",
        f"- Saturation: `wrk -t1 -c{WRK_CONNECTIONS}`, {ROUND_SECONDS} s per endpoint, endpoints interleaved, "
        f"{ROUNDS} rounds; medians over the rounds. \"vs bare\" is the ratio to `GET /bare` in the same run.",
        f"- Fixed rate: an open-loop generator in the bench process starts {RATE:,} requests/s for "
        f"{RATE_SECONDS} s (Debian has no wrk2), one connection per request as sync workers close every "
        "connection; latency from connect to last byte; an error, or no answer "
        f"{REQUEST_TIMEOUT:g} s after the last start, counts as infinitely slow. "
        f"Run only for endpoints that saturate above {HEADROOM * RATE:,.0f}/s: below that the queue grows "
        "for as long as the load lasts and the target is missed anyway.",
        "- The load generators share the 2 cores with the servers, and so does anything else running on the "
        "machine (see the load average above).", "",
        *_table(endpoints, results), "",
        "Bulk export: `vitrine export --all --n 6 --placement email --out picks.csv --jobs N` on "
        f"{USERS:,} users (users/s as the command reports it; wall time includes loading the model):", "",
        f"| --jobs | users/s | wall s | target ≥ {EXPORT_TARGET:,} users/s |", "|---|---|---|---|", *export_lines, "",
        f"Targets missed in this run: {', '.join(missed)}." if missed else "Every target was met in this run.",
    ])

"""Settings from ``VITRINE_*`` variables, and ``vitrine serve`` running gunicorn for real."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from api import create_app
from api.config import DEFAULTS, environment_settings
from api.serve import gunicorn_options


def test_defaults_are_documented():
    from api import config

    for key in DEFAULTS:
        assert f"VITRINE_{key}" in config.__doc__


def test_environment_overrides_defaults(monkeypatch, models_dir):
    monkeypatch.setenv("VITRINE_MODELS_DIR", str(models_dir))
    monkeypatch.setenv("VITRINE_ADMIN_TOKEN", "12345")
    monkeypatch.setenv("VITRINE_CORS_ORIGINS", "https://a.example,https://b.example")
    monkeypatch.setenv("VITRINE_WORKERS", "4")
    app = create_app()
    assert app.config["ADMIN_TOKEN"] == "12345" and app.config["WORKERS"] == 4
    assert app.config["CORS_ORIGINS"] == ["https://a.example", "https://b.example"]
    assert app.test_client().get("/readyz").status_code == 200
    assert create_app({"WORKERS": 3, "MODELS_DIR": str(models_dir)}).config["WORKERS"] == 3


@pytest.mark.parametrize("name, value", [("VITRINE_PORT", "eighty"), ("VITRINE_WORKERS", "0"),
                                         ("VITRINE_RELOAD_INTERVAL", "-1"), ("VITRINE_TIMEOUT", "true")])
def test_bad_settings_are_refused(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name):
        environment_settings()


def test_gunicorn_options():
    options = gunicorn_options(environment_settings({"PORT": 9123, "WORKERS": 3, "HOST": "0.0.0.0"}))
    assert options["bind"] == "0.0.0.0:9123" and options["workers"] == 3 and options["preload_app"] is False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@contextmanager
def running_server(models_dir, tmp_path, workers: int = 2, env: dict[str, str] | None = None) -> Iterator[str]:
    """``vitrine serve`` on a free loopback port, ready; yields its base URL and stops it after."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "VITRINE_LOG_LEVEL": "WARNING", **(env or {})}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = tmp_path / "serve.log"
    with open(log, "w") as stderr:
        server = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--models-dir", str(models_dir),
                                   "--port", str(port), "--workers", str(workers)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _get(f"{base}/readyz")[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):  # not listening, or still loading
                pass
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0, log.read_text()


def test_vitrine_serve_runs_gunicorn_workers(models_dir, tmp_path):
    with running_server(models_dir, tmp_path) as base:
        for _ in range(6):
            status, body = _get(f"{base}/v1/users/u00001/recommendations?n=3")
            assert status == 200 and len(json.loads(body)["items"]) == 3
        metrics = _get(f"{base}/metrics")[1].decode()
        assert 'vitrine_http_requests_total{endpoint="users.recommendations",method="GET",status="200"} 6.0' in metrics


def _slow_client(base: str) -> socket.socket:
    """A client that promises a 100-byte body and sends two bytes of it."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.sendall(b"POST /v1/recommendations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100\r\n\r\n{}")
    return sock


def test_slow_clients_do_not_stall_the_service(models_dir, tmp_path):
    with running_server(models_dir, tmp_path, env={"VITRINE_READ_TIMEOUT": "3"}) as base:
        slow = [_slow_client(base) for _ in range(4)]  # more slow clients than worker processes
        try:
            time.sleep(0.5)  # they are being read by now
            seconds = []
            for _ in range(5):
                start = time.perf_counter()
                status, _ = _get(f"{base}/healthz")
                seconds.append(time.perf_counter() - start)
                assert status == 200
            assert sorted(seconds)[2] < 0.1, seconds
            assert _get(f"{base}/v1/popular?n=2")[0] == 200
            answer = b""  # after READ_TIMEOUT the slow request gets its answer (headers and body may come apart)
            while b"request_timeout" not in answer and (chunk := slow[0].recv(4096)):
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 408") and b"request_timeout" in answer
        finally:
            for sock in slow:
                sock.close()


def test_errors_gunicorn_answers_itself_are_json(models_dir, tmp_path):
    with running_server(models_dir, tmp_path, workers=1) as base:
        status, body = _get(f"{base}/v1/popular?n=2&pad={'x' * 9000}")
        assert status == 414 and json.loads(body)["error"]["code"] == "uri_too_long"


def _break_index_keeping_checksums(name: str):
    """Random bytes over the first half of an Annoy index, and a manifest rewritten to match."""
    def change(folder):
        from bundle.integrity import file_digests

        data = (folder / name).read_bytes()
        (folder / name).write_bytes(os.urandom(len(data) // 2) + data[len(data) // 2:])
        manifest = json.loads((folder / "manifest.json").read_text())
        (folder / "manifest.json").write_text(json.dumps({**manifest, "files": file_digests(folder)}))
    return change


def test_broken_versions_under_load_are_refused_without_a_worker_death(own_models, tmp_path):
    from .conftest import publish_copy

    urls = ["/v1/users/u00001/similar-users?n=3", "/v1/items/p00002/related?n=30",
            "/v1/users/u00001/recommendations?n=30&exclude_purchased=false", "/v1/popular?n=3"]
    with running_server(own_models, tmp_path, env={"VITRINE_RELOAD_INTERVAL": "0.1"}) as base:
        good = json.loads(_get(f"{base}/readyz")[1])["model_version"]
        statuses: list[int] = []
        for name in ("users.ann", "items_dot.ann", "items.ann"):
            broken = publish_copy(own_models, _break_index_keeping_checksums(name))
            deadline = time.monotonic() + 30
            while True:
                statuses += [_get(base + url)[0] for url in urls]
                ready = json.loads(_get(f"{base}/readyz")[1])
                if (ready.get("refused") or {}).get("version") == broken:
                    break
                assert time.monotonic() < deadline, ready
            assert ready["model_version"] == good and broken in ready["refused"]["error"]
        statuses += [_get(base + url)[0] for url in urls for _ in range(5)]
        assert set(statuses) == {200}
    log = (tmp_path / "serve.log").read_text()
    assert "Worker (pid" not in log and "SIGSEGV" not in log and "SIGABRT" not in log, log

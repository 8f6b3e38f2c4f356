"""The gunicorn worker the service runs: threads, bounded reads, and JSON for gunicorn's own errors.

A sync worker reads a request's body on its only thread, so a client that promises 100 bytes and
sends 2 stalls the whole process until gunicorn kills it. These workers answer from a pool of
threads (gunicorn's gthread), and every request's socket gets a read timeout once its headers are
in (``pre_request``), so a slow body ties up one thread for at most ``READ_TIMEOUT`` seconds and
then gets a 408. Errors gunicorn answers itself, before the application sees the request (a bad
request line, a URI or headers over the limits), carry the service's JSON error body.
"""
from __future__ import annotations

import re
from typing import Any

import orjson
from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

from api.errors import error_body


class VitrineWorker(ThreadWorker):
    read_timeout: float = 10.0  # set from VITRINE_READ_TIMEOUT before the workers fork

    def init_process(self) -> None:
        util.write_error = write_json_error  # the module function gunicorn's error path calls
        super().init_process()


def bound_body_reads(worker: Any, req: Any) -> None:
    """gunicorn ``pre_request`` hook: the headers are read; give the socket a read timeout before
    the application reads the body."""
    sock = getattr(getattr(req, "unreader", None), "sock", None)
    if sock is not None:
        sock.settimeout(getattr(worker, "read_timeout", VitrineWorker.read_timeout))


def write_json_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's ``util.write_error`` with the service's JSON body instead of an HTML page."""
    code = re.sub(r"\W+", "_", reason.lower()).strip("_") or "bad_request"
    body = orjson.dumps(error_body(code, mesg or reason))
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"X-Content-Type-Options: nosniff\r\nContent-Length: {len(body)}\r\n\r\n")
    util.write_nonblock(sock, head.encode("latin1") + body)

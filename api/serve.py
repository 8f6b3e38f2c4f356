"""``vitrine serve``: the API under gunicorn (or Flask's development server with ``--debug``).

Workers are forked without preloading the app, so each worker builds its own app and loads the
current model version itself; Annoy indexes and user factors are memory-mapped, so the workers
share those pages through the page cache. Prometheus runs in multi-process mode: a fresh folder for
the workers' metric files is made before the first worker starts (unless
``PROMETHEUS_MULTIPROC_DIR`` is already set) and removed when gunicorn exits.
"""
from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Mapping
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from api.config import MULTIPROC_ENV, environment_settings
from api.workers import VitrineWorker, bound_body_reads


class VitrineServer(BaseApplication):
    """A gunicorn application whose workers each call ``create_app(overrides)``."""

    def __init__(self, overrides: Mapping[str, Any], options: Mapping[str, Any]) -> None:
        self.overrides = dict(overrides)
        self.options = dict(options)
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # settings this gunicorn version lacks are skipped
                self.cfg.set(key, value)

    def load(self) -> Flask:
        from api import create_app

        return create_app(self.overrides)


def gunicorn_options(settings: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "bind": f"{settings['HOST']}:{settings['PORT']}",
        "workers": settings["WORKERS"],
        "threads": settings["THREADS"],
        "worker_class": VitrineWorker,
        "pre_request": bound_body_reads,
        "timeout": settings["TIMEOUT"],
        "preload_app": False,
        "proc_name": "vitrine",
        "loglevel": settings["LOG_LEVEL"].lower(),
        "child_exit": _child_exit,
        "post_fork": _one_blas_thread,
        "control_socket_disable": True,  # one shared ~/.gunicorn/gunicorn.ctl would clash between servers
    }


def _one_blas_thread(server: Any, worker: Any) -> None:
    """Each worker answers one request at a time on one core: BLAS thread pools inherited from the
    master would make the workers fight over the cores (gunicorn hook)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def _child_exit(server: Any, worker: Any) -> None:
    """Mark a dead worker's metric files so its live gauges stop counting (gunicorn hook)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def serve(overrides: Mapping[str, Any], debug: bool = False) -> int:
    """Run the service with ``overrides`` (e.g. from command-line flags) over the environment settings."""
    overrides = {key: value for key, value in overrides.items() if value is not None}
    settings = environment_settings(overrides)
    logging.basicConfig(level=settings["LOG_LEVEL"].upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if debug:
        from api import create_app

        create_app(overrides).run(settings["HOST"], settings["PORT"], debug=True, use_reloader=False)
        return 0
    own_dir, master = None, os.getpid()
    if not os.environ.get(MULTIPROC_ENV):
        own_dir = tempfile.mkdtemp(prefix="vitrine-metrics-")
        os.environ[MULTIPROC_ENV] = own_dir
    VitrineWorker.read_timeout = settings["READ_TIMEOUT"] or None  # the workers fork with it
    try:
        VitrineServer(overrides, gunicorn_options(settings)).run()
    finally:
        if own_dir is not None and os.getpid() == master:  # forked workers unwind through here too
            shutil.rmtree(own_dir, ignore_errors=True)
    return 0

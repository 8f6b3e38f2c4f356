"""Prometheus metrics: request counts and latency per endpoint, fallback answers, events stored, model reloads.

Single process (tests, ``vitrine serve --debug``): each app has its own ``CollectorRegistry``.
Under gunicorn, ``vitrine serve`` sets ``PROMETHEUS_MULTIPROC_DIR`` before any worker imports
``prometheus_client``: every worker then writes its samples to files there and ``/metrics`` (served
by whichever worker gets the scrape) adds up all workers with ``MultiProcessCollector``; a dead
worker's files are marked in gunicorn's ``child_exit`` hook (see ``api/serve.py``).
"""
from __future__ import annotations

import os
import time

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from api.config import MULTIPROC_ENV

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
FALLBACK_STRATEGY = "popular_fallback"


class Metrics:
    """The service's metric families, registered on one registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.requests = Counter("vitrine_http_requests", "HTTP requests answered",
                                ["endpoint", "method", "status"], registry=registry)
        self.latency = Histogram("vitrine_http_request_duration_seconds", "Time to build an answer",
                                 ["endpoint"], buckets=LATENCY_BUCKETS, registry=registry)
        self.fallbacks = Counter("vitrine_fallback_answers", "Answers served from the popular fallback",
                                 ["endpoint"], registry=registry)
        self.events = Counter("vitrine_events_stored", "Events stored, by type and whether the served model knows "
                              "their item", ["type", "known_item"], registry=registry)
        self.reloads = Counter("vitrine_model_reloads", "Model version loads by outcome (loaded, refused)",
                               ["outcome"], registry=registry)

    def count_fallbacks(self, strategies: list[str]) -> None:
        fallbacks = sum(strategy == FALLBACK_STRATEGY for strategy in strategies)
        if fallbacks:
            self.fallbacks.labels(request.endpoint or "unmatched").inc(fallbacks)

    def exposition(self) -> Response:
        """The text format Prometheus scrapes, for all workers when running multi-process."""
        registry = self.registry
        if os.environ.get(MULTIPROC_ENV):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
        return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)  # it names its charset


def init_metrics(app: Flask) -> Metrics:
    """Create the metrics of ``app`` and time every request it answers."""
    metrics = Metrics(CollectorRegistry())

    @app.before_request
    def _start_timer() -> None:
        g.vitrine_started = time.perf_counter()

    @app.after_request
    def _record(response: Response) -> Response:
        endpoint = request.endpoint or "unmatched"
        metrics.requests.labels(endpoint, request.method, str(response.status_code)).inc()
        if "vitrine_started" in g:
            metrics.latency.labels(endpoint).observe(time.perf_counter() - g.vitrine_started)
        return response

    return metrics

"""Liveness, readiness, the served model's description and Prometheus metrics."""
from __future__ import annotations

from flask import Blueprint, Response

from api.errors import APIError
from api.extension import served_model, vitrine

bp = Blueprint("health", __name__)
MANIFEST_FIELDS = ("trained_at", "data_end", "data", "metrics", "scoring", "blend")


@bp.get("/healthz")
def healthz() -> dict:
    return {"status": "ok"}


@bp.get("/readyz")
def readyz() -> dict:
    """200 once a model is loaded (503 before); also reports a refused newer version."""
    store = vitrine().store
    served = store.served()
    refused = store.refused.to_dict() if store.refused else None
    if served is None:
        reason = f"refused {refused['version']}: {refused['error']}" if refused else "no version loaded yet"
        raise APIError(503, "no_model", f"not ready: {reason}")
    return {"status": "ready", "model_version": served.name, "refused": refused}


@bp.get("/v1/model")
def model() -> dict:
    served = served_model()
    refused = vitrine().store.refused
    manifest = served.version.manifest
    return {"version": served.name, "loaded_at": served.loaded_at,
            **{field: manifest.get(field) for field in MANIFEST_FIELDS},
            "refused": refused.to_dict() if refused else None}


@bp.get("/metrics")
def metrics() -> Response:
    return vitrine().metrics.exposition()

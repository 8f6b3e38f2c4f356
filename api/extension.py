"""The objects one app shares between requests, kept in ``app.extensions["vitrine"]``."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app

from api.errors import APIError
from api.failed_attempts import FailedAttempts
from api.metrics import Metrics
from api.serving.model_store import ModelStore, Served

KEY = "vitrine"


@dataclass(frozen=True)
class Vitrine:
    store: ModelStore
    metrics: Metrics
    admin_token: str
    failed_attempts: FailedAttempts = field(default_factory=FailedAttempts)  # wrong admin tokens per address


def vitrine() -> Vitrine:
    return current_app.extensions[KEY]


def served_model() -> Served:
    """The version this request answers from, or a 503 while none is loaded."""
    served = vitrine().store.served()
    if served is None:
        raise APIError(503, "no_model", "no model version is loaded yet; see /readyz")
    return served

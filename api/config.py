"""Service settings: documented defaults, overridden by ``VITRINE_*`` environment variables.

Every key below can be set as ``VITRINE_<KEY>`` (``VITRINE_MODELS_DIR=/srv/models``). Values are
read with Flask's ``Config.from_prefixed_env``, which parses JSON first (so ``VITRINE_PORT=9000``
is the number 9000) and keeps anything else as text. ``vitrine serve`` flags override both.

========================  ===================  ==================================================
variable                  default              meaning
========================  ===================  ==================================================
VITRINE_MODELS_DIR        ``models``           folder holding ``CURRENT`` and the model versions
VITRINE_ADMIN_TOKEN       (empty: disabled)    bearer token of ``POST /v1/admin/reload``
VITRINE_HOST              ``127.0.0.1``        address ``vitrine serve`` binds to
VITRINE_PORT              ``8000``             port ``vitrine serve`` listens on
VITRINE_WORKERS           ``2``                gunicorn worker processes (about one per core)
VITRINE_THREADS           ``4``                threads per worker: a slow client holds one thread, never
                                               the worker (``api/workers.py``)
VITRINE_TIMEOUT           ``60``               seconds before gunicorn restarts a silent worker
VITRINE_READ_TIMEOUT      ``10``               seconds a request's body may take to arrive (then 408)
VITRINE_CORS_ORIGINS      ``*``                comma-separated origins allowed to call ``/v1``
VITRINE_RELOAD_INTERVAL   ``1.0``              seconds between two looks at ``CURRENT``
VITRINE_MAX_CONTENT_LENGTH ``2097152``         largest request body in bytes (2 MiB)
VITRINE_LOG_LEVEL         ``INFO``             log level of ``vitrine serve``
VITRINE_DATA_DIR          ``data``             folder for the service's own files (console key, ...)
VITRINE_SECRET_KEY        (empty: generated)   signs console sessions; empty: a random key kept in
                                               ``<DATA_DIR>/secret_key`` (share one across hosts)
VITRINE_SESSION_COOKIE_SAMESITE ``Strict``     SameSite of the console's session cookie (set
                                               ``VITRINE_SESSION_COOKIE_SECURE=true`` behind HTTPS)
VITRINE_DATABASE_URL      (empty: SQLite)      SQLAlchemy URL of the rules and catalog-update store
                                               (PostgreSQL for several hosts); empty means the
                                               SQLite file ``<DATA_DIR>/vitrine.db``
VITRINE_RULES_REFRESH_INTERVAL ``1.0``         seconds between two looks at the rule store's version
VITRINE_SESSION_MINUTES   ``30``               a visitor's events this recent are folded into their
                                               picks (0: never)
VITRINE_EVENTS_VISITOR_LIMIT ``600/minute``    events one visitor may send ("limits" notation;
                                               empty: no limit)
VITRINE_EVENTS_ORIGIN_LIMIT ``5000/second``    ``POST /v1/events`` requests per origin (the Origin
                                               header, else the client address)
VITRINE_RATELIMIT_STORAGE_URI ``memory://``    where limits count: ``memory://`` counts per worker;
                                               ``redis://host:6379`` shares counts across hosts
VITRINE_EVENTS_RETENTION_DAYS ``0``            ``vitrine events purge`` deletes older events (0: keep)
VITRINE_CART_ABANDON_MINUTES ``30``            a cart event not followed by a purchase this long
                                               makes a cart abandoner ...
VITRINE_CART_ABANDON_HOURS ``24``              ... as long as the cart event is this recent
VITRINE_LIVE_REFRESH_INTERVAL ``5.0``          seconds a worker reuses live segments (for rule
                                               audiences) before asking the event store again
VITRINE_FRESHNESS_INTERVAL ``30.0``            seconds between two counts of the purchases stored
                                               since training, for the popular and trending lists
VITRINE_ATTRIBUTION_WINDOW_HOURS ``24``        an add-to-cart or purchase this soon after a click
                                               on the same item counts for the click's placement
                                               and variant (last click wins)
VITRINE_CURRENCY          ``EUR``              ISO 4217 code of the store's prices, for money the
                                               console and the customer report show
========================  ===================  ==================================================
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Config

PREFIX = "VITRINE"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"  # set by ``vitrine serve`` before workers import prometheus_client
DEFAULTS: dict[str, Any] = {
    "MODELS_DIR": "models",
    "ADMIN_TOKEN": "",
    "HOST": "127.0.0.1",
    "PORT": 8000,
    "WORKERS": 2,
    "THREADS": 4,
    "TIMEOUT": 60,
    "READ_TIMEOUT": 10.0,
    "CORS_ORIGINS": "*",
    "RELOAD_INTERVAL": 1.0,
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "LOG_LEVEL": "INFO",
    "DATA_DIR": "data",
    "SECRET_KEY": "",
    "SESSION_COOKIE_SAMESITE": "Strict",  # console session cookie (HttpOnly is Flask's default)
    "DATABASE_URL": "",
    "RULES_REFRESH_INTERVAL": 1.0,
    "SESSION_MINUTES": 30.0,
    "EVENTS_VISITOR_LIMIT": "600/minute",
    "EVENTS_ORIGIN_LIMIT": "5000/second",
    "RATELIMIT_STORAGE_URI": "memory://",
    "EVENTS_RETENTION_DAYS": 0.0,
    "CART_ABANDON_MINUTES": 30.0,
    "CART_ABANDON_HOURS": 24.0,
    "LIVE_REFRESH_INTERVAL": 5.0,
    "FRESHNESS_INTERVAL": 30.0,
    "ATTRIBUTION_WINDOW_HOURS": 24.0,
    "CURRENCY": "EUR",
}
_POSITIVE_INTS = ("PORT", "WORKERS", "THREADS", "TIMEOUT", "MAX_CONTENT_LENGTH")


def load_settings(config: Config, overrides: Mapping[str, Any] | None = None) -> Config:
    """Fill ``config`` with the defaults, then ``VITRINE_*`` variables, then ``overrides``; check types."""
    config.from_mapping(DEFAULTS)
    config.from_prefixed_env(PREFIX)
    config.from_mapping(overrides or {})
    for key in _POSITIVE_INTS:
        config[key] = _positive_int(key, config[key])
    for key in ("RELOAD_INTERVAL", "RULES_REFRESH_INTERVAL", "READ_TIMEOUT", "SESSION_MINUTES", "EVENTS_RETENTION_DAYS",
                "CART_ABANDON_MINUTES", "CART_ABANDON_HOURS", "LIVE_REFRESH_INTERVAL", "FRESHNESS_INTERVAL",
                "ATTRIBUTION_WINDOW_HOURS"):
        config[key] = _non_negative_float(key, config[key])
    for key in ("MODELS_DIR", "ADMIN_TOKEN", "HOST", "LOG_LEVEL", "DATA_DIR", "SECRET_KEY", "DATABASE_URL",
                "EVENTS_VISITOR_LIMIT", "EVENTS_ORIGIN_LIMIT", "RATELIMIT_STORAGE_URI"):
        config[key] = "" if config[key] is None else str(config[key])
    config["CORS_ORIGINS"] = cors_origins(config["CORS_ORIGINS"])
    config["CURRENCY"] = _currency(config["CURRENCY"])
    return config


def _currency(value: Any) -> str:
    code = str(value or "").strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValueError(f"VITRINE_CURRENCY must be a 3-letter ISO 4217 code such as EUR or GBP, got {value!r}")
    return code


def environment_settings(overrides: Mapping[str, Any] | None = None) -> Config:
    """The settings without building an app (what ``vitrine serve`` needs before forking)."""
    return load_settings(Config("."), overrides)


def database_url(config: Mapping[str, Any]) -> str:
    """``DATABASE_URL``, or the SQLite file ``vitrine.db`` in ``DATA_DIR`` when it is empty."""
    if config["DATABASE_URL"]:
        return config["DATABASE_URL"]
    return f"sqlite:///{Path(config['DATA_DIR']).resolve() / 'vitrine.db'}"


def cors_origins(value: Any) -> list[str]:
    """``"*"``, ``"https://a.example,https://b.example"`` or a list, as a list of origins."""
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    origins = [str(item).strip() for item in items if str(item).strip()]
    return origins or ["*"]


def _positive_int(key: str, value: Any) -> int:
    text = str(value).strip()
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not text.isascii() or not text.isdigit() \
            or int(text) < 1:
        raise ValueError(f"{PREFIX}_{key} must be a positive integer, got {value!r}")
    return int(text)


def _non_negative_float(key: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{PREFIX}_{key} must be a number, got {value!r}") from None
    if isinstance(value, bool) or not number >= 0:
        raise ValueError(f"{PREFIX}_{key} must be a number >= 0, got {value!r}")
    return number

"""The Flask service over published model versions: ``create_app(config)`` builds one app.

Blueprints and metrics are imported inside the factory (as in Flask's tutorial) so that importing
``api`` stays cheap and ``vitrine serve`` can set ``PROMETHEUS_MULTIPROC_DIR`` before any worker
imports ``prometheus_client``.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

log = logging.getLogger(__name__)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings (defaults < ``VITRINE_*`` env < ``config``), blueprints, model store."""
    from flask_cors import CORS

    from api.config import load_settings
    from api.console import bp as console_bp
    from api.docs import bp as docs_bp
    from api.errors import register_error_handlers
    from api.events import install_events
    from api.experiments import install_experiments
    from api.extension import KEY, Vitrine
    from api.json_provider import OrjsonProvider
    from api.metrics import init_metrics
    from api.serving.cards import safe_link
    from api.serving.model_store import ModelStore, ReloadRefused
    from api.routes import BLUEPRINTS
    from api.rules.cache import install_rules
    from api.security_headers import install_security_headers
    from api.storefront import bp as storefront_bp

    app = Flask(__name__)
    load_settings(app.config, config)
    app.url_map.merge_slashes = False
    app.json = OrjsonProvider(app)
    app.json.sort_keys = False
    register_error_handlers(app)
    install_security_headers(app)
    app.add_template_test(safe_link, "link")
    metrics = init_metrics(app)
    CORS(app, origins=app.config["CORS_ORIGINS"], always_send=False)
    for blueprint in (*BLUEPRINTS, docs_bp, storefront_bp, console_bp):
        app.register_blueprint(blueprint)
    store = ModelStore(Path(app.config["MODELS_DIR"]), app.config["RELOAD_INTERVAL"],
                       on_reload=lambda outcome: metrics.reloads.labels(outcome).inc())
    app.extensions[KEY] = Vitrine(store, metrics, app.config["ADMIN_TOKEN"])
    install_rules(app)
    install_events(app)
    install_experiments(app)
    try:
        store.reload()
    except ReloadRefused as exc:
        log.warning("starting without a model (%s); /readyz answers 503 until one loads", exc)
    store.watch()
    return app

"""A small demo store trained once per session, and apps over it (or over a private copy of it)."""
from __future__ import annotations

import json
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from api import create_app
from training.config import config_from_dict
from training.demo import DemoStore, generate_demo_store, write_demo_store
from training.pipeline import TrainInput, train
from bundle.publish import make_version, publish, read_current, staging_dir

ADMIN_TOKEN = "test-admin-token"
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


# A 150-item catalog misses the default recall target in one index within a linear scan's work,
# and is searched exactly there; the API tests want all three Annoy indexes serving.
ALL_INDEXES_SERVE = config_from_dict({"annoy": {"target_recall": 0.9}})

@pytest.fixture(scope="session")
def store() -> DemoStore:
    return generate_demo_store(n_users=600, n_items=150, seed=3)


@pytest.fixture(scope="session")
def models_dir(store: DemoStore, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models folder holding one version trained on the demo store (read-only for tests)."""
    events, catalog = write_demo_store(store, tmp_path_factory.mktemp("demo"))
    models = tmp_path_factory.mktemp("models")
    train(TrainInput(events, catalog), ALL_INDEXES_SERVE, models, progress=False)
    return models


def make_app(models: Path, **config):
    return create_app({"MODELS_DIR": str(models), "ADMIN_TOKEN": ADMIN_TOKEN, "TESTING": True, **config})


@pytest.fixture(scope="session")
def shared_app(models_dir: Path):
    """One app for the many read-only tests."""
    return make_app(models_dir)


@pytest.fixture
def client(shared_app):
    return shared_app.test_client()


@pytest.fixture
def private_app(models_dir: Path, tmp_path: Path, database_url: str):
    """An app over the shared models with a data folder and a database (rules, events, experiments)
    of its own: an SQLite file, then a PostgreSQL database. Its connections are closed afterwards."""
    app = make_app(models_dir, DATA_DIR=str(tmp_path / "data"), DATABASE_URL=database_url)
    yield app
    app.extensions["vitrine_events"].store.close()
    app.extensions["vitrine_rules"].store.close()


@pytest.fixture
def own_models(models_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the models folder that a test may publish into or break."""
    return Path(shutil.copytree(models_dir, tmp_path / "models"))


def publish_copy(models: Path, change: Callable[[Path], None] | None = None, source: Path | None = None) -> str:
    """Publish a copy of ``source`` (default: the current version) under a new name, optionally
    ``change``-d; returns the new version's name."""
    source = source or read_current(models)
    version = make_version(secrets.token_hex(4))
    with staging_dir(models, version) as staged:
        for path in source.iterdir():
            shutil.copy2(path, staged / path.name)
        manifest = json.loads((staged / "manifest.json").read_text())
        (staged / "manifest.json").write_text(json.dumps({**manifest, "version": version}))
        if change is not None:
            change(staged)
        publish(models, staged, version)
    return version

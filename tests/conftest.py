"""Shared fixtures: a seeded random generator and scratch folders."""
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

SCRATCH_SETTINGS = ("VITRINE_DATA_DIR", "VITRINE_DATABASE_URL")


def pytest_configure(config: pytest.Config) -> None:
    """Apps built by tests (even at collection time) keep their files, such as the rule store,
    in a scratch folder instead of ./data, whatever the environment says."""
    config.vitrine_saved = {name: os.environ.get(name) for name in SCRATCH_SETTINGS}
    config.vitrine_data = tempfile.mkdtemp(prefix="vitrine-tests-")
    os.environ["VITRINE_DATA_DIR"] = config.vitrine_data
    os.environ["VITRINE_DATABASE_URL"] = ""


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(config.vitrine_data, ignore_errors=True)
    for name, value in config.vitrine_saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server for the session (see ``tests/databases.py``; ``make test`` installs the
    server package where it is missing). Its folder is not under pytest's (private to the user running the tests, which the server's
    user may not be)."""
    from tests.databases import PostgresServer, server_binaries

    binaries = server_binaries()
    if binaries is None:
        pytest.fail("PostgreSQL server binaries are not installed: run `make test` (it installs Debian's "
                    "postgresql package) or install it yourself")
    folder = tempfile.mkdtemp(prefix="vitrine-postgres-")
    server = PostgresServer(Path(folder), binaries).start()
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """Each store test runs on the embedded SQLite file and on PostgreSQL alike."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'vitrine.db'}"
    return request.getfixturevalue("postgres").new_database()


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(42)


@pytest.fixture(scope="session")
def demo_store():
    from training.demo import generate_demo_store

    return generate_demo_store(n_users=600, n_items=150, seed=1)


@pytest.fixture(scope="session")
def demo_version(demo_store, tmp_path_factory):
    """A model version fitted on the demo store, written and loaded back like the API does."""
    from bundle.loader import load_artifacts
    from bundle.writer import write_manifest
    from training.artifacts import write_artifacts
    from training.config import config_from_dict
    from training.dataset import build_dataset
    from training.models import fit_models

    folder = tmp_path_factory.mktemp("version")
    config = config_from_dict({"annoy": {"target_recall": 0.9}})  # all three Annoy indexes serve
    data = build_dataset(demo_store.events, demo_store.catalog)
    models = fit_models(data, config, now=data.end_time)
    manifest = {"version": "test-version", "config": config.to_dict()}
    manifest |= write_artifacts(folder, data, demo_store.catalog, models, config, manifest)
    write_manifest(folder, manifest)
    return load_artifacts(folder)

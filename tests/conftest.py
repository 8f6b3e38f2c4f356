"""Shared fixtures: a seeded random generator and scratch folders."""
import numpy as np
import pytest


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
    import json

    from training.artifacts import load_artifacts, write_artifacts
    from training.config import TrainConfig
    from training.dataset import build_dataset
    from training.models import fit_models

    folder = tmp_path_factory.mktemp("version")
    config = TrainConfig()
    data = build_dataset(demo_store.events, demo_store.catalog)
    models = fit_models(data, config, now=data.end_time)
    manifest = {"version": "test-version", "config": config.to_dict()}
    manifest |= write_artifacts(folder, data, demo_store.catalog, models, config, manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest, default=str))
    return load_artifacts(folder)

"""Shared fixtures: a seeded random generator and scratch folders."""
import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(42)

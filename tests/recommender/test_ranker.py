import numpy as np
import pytest

from recommender.errors import NotFittedError
from recommender.ranker import LambdaRanker


def planted_groups(rng, n_groups=400, size=20, n_features=6, signal=2):
    """Groups where only feature ``signal`` decides which row was bought."""
    features = rng.normal(size=(n_groups * size, n_features)).astype(np.float32)
    labels = np.zeros(n_groups * size, dtype=np.int32)
    for g in range(n_groups):
        rows = slice(g * size, (g + 1) * size)
        labels[rows][np.argsort(-features[rows, signal])[:2]] = 1
    return features, labels, np.full(n_groups, size)


def test_ranker_learns_the_planted_feature_and_ranks_by_it(rng):
    features, labels, groups = planted_groups(rng)
    ranker = LambdaRanker(n_jobs=1).fit(features, labels, groups, [f"x{i}" for i in range(6)])
    importance = ranker.importance()
    assert next(iter(importance)) == "x2"
    assert importance["x2"] > 0.8
    test, test_labels, _ = planted_groups(np.random.default_rng(7), n_groups=50)
    predicted = ranker.predict(test).reshape(50, 20)
    best = np.argmax(predicted, axis=1)
    assert test_labels.reshape(50, 20)[np.arange(50), best].mean() > 0.9


def test_ranker_is_reproducible_and_checks_its_input(rng):
    features, labels, groups = planted_groups(rng, n_groups=100)
    first = LambdaRanker(n_jobs=1, random_state=3).fit(features, labels, groups).predict(features[:40])
    second = LambdaRanker(n_jobs=1, random_state=3).fit(features, labels, groups).predict(features[:40])
    np.testing.assert_array_equal(first, second)
    with pytest.raises(ValueError, match="same rows"):
        LambdaRanker().fit(features, labels, groups[:-1])
    with pytest.raises(NotFittedError):
        LambdaRanker().predict(features)

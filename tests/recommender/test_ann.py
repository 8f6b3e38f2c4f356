"""Annoy indexes stay faithful to ALS scores; exact top-N is correct; the measurement runs."""
import os
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from threadpoolctl import threadpool_limits

from recommender.ann import (
    VectorIndex,
    als_like_factors,
    choose_scoring,
    exact_scoring_threshold,
    exact_top_n,
    exact_top_n_batch,
    measure_exact_vs_annoy,
    normalize_rows,
    recall_at_k,
)
from recommender.errors import NotFittedError, UnknownItemError


@pytest.fixture(scope="module")
def als_factors() -> tuple[np.ndarray, np.ndarray]:
    """(users, items) of implicit's CPU ALS on 3000 × 2000 clicks drawn from 16 latent tastes."""
    rng = np.random.default_rng(0)
    n_users, n_items, latent = 3000, 2000, 16
    logits = rng.normal(size=(n_users, latent)) @ rng.normal(size=(latent, n_items)) / np.sqrt(latent)
    logits += np.log(rng.lognormal(0, 1.0, n_items))  # popularity
    p = np.exp(logits - logits.max()).ravel()
    cells = rng.choice(p.size, size=p.size // 50, replace=False, p=p / p.sum())
    clicks = sp.csr_matrix(
        (np.ones(cells.size, dtype=np.float32), (cells // n_items, cells % n_items)), shape=(n_users, n_items)
    )
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(factors=32, iterations=10, regularization=0.05, random_state=0)
        model.fit(clicks, show_progress=False)
    return model.user_factors, model.item_factors


@pytest.fixture
def small(rng: np.random.Generator) -> np.ndarray:
    return rng.normal(size=(300, 8)).astype(np.float32)


def _mapped(path: Path) -> bool:
    with open("/proc/self/maps") as maps:
        return str(path) in maps.read()


def test_round_trip_memory_maps_read_only_file(small: np.ndarray, tmp_path: Path) -> None:
    path = tmp_path / "items.ann"
    built = VectorIndex(metric="angular", n_trees=5, search_k=500, seed=3).build(small, path)
    meta = built.meta()
    queries = [(i, small[i] + 1) for i in range(0, 300, 37)]
    want = [(built.query_item(i, 10), built.query_vector(q, 10)) for i, q in queries]
    built.index_.unload()
    os.chmod(path, 0o444)
    assert not _mapped(path)
    loaded = VectorIndex.load(path, meta["dim"], meta["metric"], search_k=meta["search_k"])
    assert _mapped(path)
    assert meta == {"metric": "angular", "dim": 8, "n_trees": 5, "search_k": 500, "n_items": 300}
    assert loaded.meta() == meta
    for (i, q), (by_item, by_vector) in zip(queries, want):
        for got, expected in zip(loaded.query_item(i, 10) + loaded.query_vector(q, 10), by_item + by_vector):
            np.testing.assert_array_equal(got, expected)


def test_same_seed_same_answers(small: np.ndarray) -> None:
    a = VectorIndex(metric="dot", n_trees=3, search_k=50, seed=7).build(small)
    b = VectorIndex(metric="dot", n_trees=3, search_k=50, seed=7).build(small)
    for q in small[:20]:
        np.testing.assert_array_equal(a.query_vector(q, 10)[0], b.query_vector(q, 10)[0])


@pytest.mark.parametrize("metric", ["angular", "dot"])
def test_scores_are_in_model_terms(small: np.ndarray, metric: str) -> None:
    index = VectorIndex(metric=metric, n_trees=5, seed=0).build(small)
    query = small[0] * 2 + small[1]
    ids, scores = index.query_vector(query, 10)
    if metric == "angular":
        want = normalize_rows(small[ids]) @ normalize_rows(query)
    else:
        want = small[ids] @ query
    np.testing.assert_allclose(scores, want, rtol=1e-4, atol=1e-5)
    assert np.all(np.diff(scores) <= 1e-6)


def test_exclude_filters_after_search(small: np.ndarray) -> None:
    index = VectorIndex(metric="dot", n_trees=5, search_k=10_000, seed=0).build(small)
    ids, _ = index.query_vector(small[5], 10)
    kept, _ = index.query_vector(small[5], 7, exclude=ids[:3])
    np.testing.assert_array_equal(kept, ids[3:])
    neighbours, _ = index.query_item(5, 299, exclude=np.array([0, 1]))
    assert len(neighbours) == 297 and not np.isin([0, 1, 5], neighbours).any()


def test_errors_say_what_is_wrong(small: np.ndarray) -> None:
    with pytest.raises(NotFittedError):
        VectorIndex().query_vector(small[0], 5)
    index = VectorIndex(n_trees=2).build(small)
    with pytest.raises(ValueError, match="length 8"):
        index.query_vector(np.ones(3), 5)
    with pytest.raises(UnknownItemError):
        index.query_item(300, 5)
    with pytest.raises(ValueError, match="metric"):
        VectorIndex(metric="euclidean").build(small)
    with pytest.raises(ValueError, match="finite"):
        VectorIndex().build(np.full((3, 2), np.nan))


def test_annoy_recall_on_als_factors(als_factors: tuple[np.ndarray, np.ndarray]) -> None:
    users, items = als_factors
    sample = np.random.default_rng(1).choice(len(users), 200, replace=False)
    related = VectorIndex(metric="angular", n_trees=10, search_k=1_000, seed=0).build(items)
    similar_users = VectorIndex(metric="angular", n_trees=10, search_k=1_000, seed=0).build(users)
    mips = VectorIndex(metric="dot", n_trees=10, search_k=3_000, seed=0).build(items)
    assert recall_at_k(related, items, sample % len(items), k=10) >= 0.9
    assert recall_at_k(similar_users, users, sample, k=10) >= 0.9
    assert recall_at_k(mips, items, users[sample], k=10, query_is_item=False) >= 0.9


def test_exact_top_n_breaks_ties_by_id_and_excludes() -> None:
    vectors = np.array([[1.0], [2.0], [2.0], [0.5], [2.0], [-1.0]], dtype=np.float32)
    ids, scores = exact_top_n(np.array([1.0]), vectors, 3)
    np.testing.assert_array_equal(ids, [1, 2, 4])
    np.testing.assert_array_equal(scores, [2.0, 2.0, 2.0])
    ids, _ = exact_top_n(np.array([1.0]), vectors, 3, exclude=np.array([2, 0]))
    np.testing.assert_array_equal(ids, [1, 4, 3])
    ids, _ = exact_top_n(np.array([1.0]), vectors, 10, exclude=np.array([5, 5]))
    np.testing.assert_array_equal(ids, [1, 2, 4, 0, 3])


def test_exact_top_n_cosine_treats_zero_vectors_as_unrelated() -> None:
    vectors = np.array([[0.0, 0.0], [3.0, 0.0], [1.0, 1.0]], dtype=np.float32)
    ids, scores = exact_top_n(np.array([2.0, 0.0]), vectors, 3, normalized=True)
    np.testing.assert_array_equal(ids, [1, 2, 0])
    np.testing.assert_allclose(scores, [1.0, np.sqrt(0.5), 0.0], rtol=1e-6)


@pytest.mark.parametrize("normalized", [False, True])
def test_batch_equals_looped(rng: np.random.Generator, normalized: bool) -> None:
    vectors = rng.normal(size=(500, 16)).astype(np.float32)
    queries = rng.normal(size=(40, 16)).astype(np.float32)
    ids, scores = exact_top_n_batch(queries, vectors, 10, normalized=normalized)
    for query, row_ids, row_scores in zip(queries, ids, scores):
        want_ids, want_scores = exact_top_n(query, vectors, 10, normalized=normalized)
        np.testing.assert_array_equal(row_ids, want_ids)
        np.testing.assert_allclose(row_scores, want_scores, rtol=1e-5)


def test_measurement_and_choice() -> None:
    items, users = als_like_factors(3_000, 100, 16)
    measurement = measure_exact_vs_annoy(items, users, n_trees=5, search_k_grid=(100, 30_000), n_queries=30)
    assert measurement["n_items"] == 3_000 and measurement["exact_us"] > 0
    assert measurement["search_k"] in (None, 100, 30_000)
    assert choose_scoring(measurement) in ("exact", "annoy")
    assert choose_scoring({"exact_us": 100.0, "annoy_us": None}) == "exact"
    assert choose_scoring({"exact_us": 100.0, "annoy_us": 90.0}) == "exact"
    assert choose_scoring({"exact_us": 100.0, "annoy_us": 10.0}) == "annoy"
    assert exact_scoring_threshold(16, sizes=(500, 2_000), n_queries=20) in (0, 500, 2_000)


def test_exact_index_answers_like_exact_search_with_the_index_interface(rng):
    from recommender.ann import ExactIndex, exact_top_n, normalize_rows

    vectors = rng.normal(size=(300, 8)).astype(np.float32)
    angular = ExactIndex(vectors, "angular")
    ids, cosines = angular.query_item(5, 10, exclude=np.array([7]))
    expected, _ = exact_top_n(normalize_rows(vectors[5]), normalize_rows(vectors), 10, np.array([7, 5]))
    np.testing.assert_array_equal(ids, expected)
    assert 5 not in ids and 7 not in ids and np.all(cosines <= 1.0 + 1e-6)
    dot_ids, _ = ExactIndex(vectors, "dot").query_vector(vectors[0], 4)
    np.testing.assert_array_equal(dot_ids, np.argsort(-(vectors @ vectors[0]), kind="stable")[:4])
    with pytest.raises(ValueError):
        angular.query_vector(np.zeros(3), 2)

"""ALS, co-purchase rules and popularity fitted on Spark agree with the default engine's."""
import numpy as np
import pytest
import scipy.sparse as sp

from recommender.als import ALSModel
from recommender.copurchase import CoPurchaseModel
from recommender.history import UserHistory
from tests.recommender.test_copurchase import HAND_CONFIDENCE, HAND_COUNTS, HAND_LIFT, random_baskets
from training.config import ALSConfig, CoPurchaseConfig
from training.dataset import PURCHASE, Dataset, basket_matrix, build_dataset
from training.models import fit_popularity
from training.spark.models import fit_als, fit_copurchase
from training.spark.models import fit_popularity as spark_popularity


def purchases_in(baskets: sp.csr_matrix) -> Dataset:
    """A dataset whose only events are the baskets' lines (one customer per basket)."""
    coo = baskets.tocoo()
    n_lines, n_items = len(coo.row), baskets.shape[1]
    return Dataset(
        user_ids=np.array([f"u{i}" for i in range(baskets.shape[0])]),
        item_ids=np.array([f"p{i}" for i in range(n_items)]),
        category_names=np.array(["all"]), item_category=np.zeros(n_items, np.int32),
        user=coo.row.astype(np.int32), item=coo.col.astype(np.int32), event=np.full(n_lines, PURCHASE, np.int8),
        quantity=coo.data.astype(np.float32), time=coo.row * 3600.0, basket=coo.row.astype(np.int64),
        revenue=np.zeros(n_lines))


def rule_matrices(model: CoPurchaseModel) -> dict[str, sp.csr_matrix]:
    return {"counts": model.counts_, "support": model.support_, "confidence": model.confidence_, "lift": model.lift_}


def test_hand_computed_rules(spark):
    baskets = [[0, 1, 2], [0, 1], [0, 2, 3], [1, 2], [0, 1, 3], [4]]
    rows = np.repeat(np.arange(6), [len(b) for b in baskets])
    matrix = sp.csr_matrix((np.ones(len(rows)), (rows, np.concatenate(baskets))), shape=(6, 5))
    model = fit_copurchase(spark, purchases_in(matrix), CoPurchaseConfig(min_count=2, top_k=10))
    np.testing.assert_allclose(model.counts_.toarray(), HAND_COUNTS)
    np.testing.assert_allclose(model.confidence_.toarray(), HAND_CONFIDENCE)
    np.testing.assert_allclose(model.lift_.toarray(), HAND_LIFT)
    np.testing.assert_allclose(model.support_.toarray(), HAND_COUNTS / 6)


@pytest.mark.parametrize("rank_by", ["lift", "confidence"])
def test_rules_agree_with_the_default_engine(spark, rng, rank_by):
    """Weighted oversized baskets, thresholds and the per-item cut: the same rules to 1e-6."""
    data = purchases_in(random_baskets(rng, n_baskets=400, n_items=40))
    config = CoPurchaseConfig(min_count=3, max_basket_size=10, top_k=6, rank_by=rank_by)
    expected = CoPurchaseModel(**vars(config)).fit(basket_matrix(data))
    got = fit_copurchase(spark, data, config)
    assert got.n_baskets_ == pytest.approx(expected.n_baskets_, abs=1e-9)
    np.testing.assert_allclose(got.item_counts_, expected.item_counts_, atol=1e-9)
    assert expected.lift_.nnz > 100
    for name, matrix in rule_matrices(expected).items():
        other = rule_matrices(got)[name]
        np.testing.assert_array_equal(other.indptr, matrix.indptr, err_msg=name)
        np.testing.assert_array_equal(other.indices, matrix.indices, err_msg=name)
        np.testing.assert_allclose(other.data, matrix.data, rtol=0, atol=1e-6, err_msg=name)
    assert got.bought_together(0, 5).ids.tolist() == expected.bought_together(0, 5).ids.tolist()


@pytest.mark.parametrize("half_life", [7.0, None])
def test_popularity_agrees_with_the_default_engine(spark, demo_store, half_life):
    data = build_dataset(demo_store.events, demo_store.catalog)
    expected = fit_popularity(data, data.end_time, half_life)
    got = spark_popularity(spark, data, data.end_time, half_life)
    np.testing.assert_allclose(got.scores_, expected.scores_, rtol=1e-6)
    np.testing.assert_array_equal(got.categories_, expected.categories_)
    assert got.top(10)[0].tolist() == expected.top(10)[0].tolist()


def test_a_long_als_fit_checkpoints_instead_of_overflowing_the_stack(spark, rng):
    """Many iterations grow ALS's lineage: with the session's checkpoint folder the fit cuts it every
    10 iterations (a local session makes its own folder), so 60 iterations fit like 6."""
    from pathlib import Path

    folder = spark.sparkContext.getCheckpointDir()
    assert folder is not None
    confidence = sp.random(60, 30, density=0.2, format="csr", random_state=3, dtype=np.float32)
    model = fit_als(spark, confidence, ALSConfig(factors=4, iterations=60))
    assert np.isfinite(model.user_factors_).all()
    assert any(Path(folder.removeprefix("file:")).rglob("*"))  # ALS wrote its checkpoints there


def test_als_finds_planted_groups(spark, rng):
    """Two groups of customers, each buying from its own half of the catalog: the five best
    unseen items Spark's factors give a customer are nearly all from the own half, as with implicit."""
    n_users, n_items = 200, 40
    group = np.arange(n_users) % 2
    rows, cols = [], []
    for user in range(n_users):
        items = rng.choice(20, 6, replace=False) + 20 * group[user]
        rows += [user] * 6
        cols += items.tolist()
    confidence = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n_users, n_items))
    config = ALSConfig(factors=8, iterations=10, regularization=0.05, alpha=5.0)
    model = fit_als(spark, confidence, config)
    assert model.user_factors_.shape == (n_users, 8) and model.item_factors_.shape == (n_items, 8)

    def own_share(als) -> float:
        scores = als.score_users(UserHistory.of(np.arange(n_users), confidence, confidence))
        scores[confidence.toarray() > 0] = -np.inf
        return float(((np.argsort(-scores, axis=1)[:, :5] // 20) == group[:, None]).mean())

    assert own_share(model) > 0.9
    assert own_share(model) > own_share(ALSModel(**vars(config)).fit(confidence)) - 0.05
    assert np.abs(model.fold_in(confidence[:3]) - model.user_factors_[:3]).max() < 0.5  # serving folds in alike

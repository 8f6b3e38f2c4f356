"""Co-purchase association rules: hand-computed counts, thresholds, weighting, ranking, persistence."""
import numpy as np
import pytest
import scipy.sparse as sp

from recommender import copurchase
from recommender.copurchase import CoPurchaseModel
from recommender.errors import NotFittedError, UnknownItemError
from recommender.history import UserHistory

# 6 baskets over 5 items; item 4 is only ever bought alone.
HAND_BASKETS = [[0, 1, 2], [0, 1], [0, 2, 3], [1, 2], [0, 1, 3], [4]]
# Item counts 4, 4, 3, 2, 1. Pair counts (0,1)=3, (0,2)=2, (0,3)=2, (1,2)=2, (1,3)=1, (2,3)=1.
HAND_COUNTS = np.array(
    [
        [0, 3, 2, 2, 0],
        [3, 0, 2, 0, 0],
        [2, 2, 0, 0, 0],
        [2, 0, 0, 0, 0],
        [0, 0, 0, 0, 0],
    ],
    dtype=float,
)  # min_count=2 drops (1,3) and (2,3)
HAND_CONFIDENCE = np.array(
    [
        [0, 3 / 4, 2 / 4, 2 / 4, 0],
        [3 / 4, 0, 2 / 4, 0, 0],
        [2 / 3, 2 / 3, 0, 0, 0],
        [2 / 2, 0, 0, 0, 0],
        [0, 0, 0, 0, 0],
    ]
)
# lift = count · n_baskets / (count_a · count_b)
HAND_LIFT = np.array(
    [
        [0, 3 * 6 / (4 * 4), 2 * 6 / (4 * 3), 2 * 6 / (4 * 2), 0],
        [3 * 6 / (4 * 4), 0, 2 * 6 / (4 * 3), 0, 0],
        [2 * 6 / (3 * 4), 2 * 6 / (3 * 4), 0, 0, 0],
        [2 * 6 / (2 * 4), 0, 0, 0, 0],
        [0, 0, 0, 0, 0],
    ]
)


def basket_matrix(baskets: list[list[int]], n_items: int) -> sp.csr_matrix:
    rows = np.repeat(np.arange(len(baskets)), [len(b) for b in baskets])
    cols = np.concatenate([np.asarray(b, dtype=np.int64) for b in baskets])
    return sp.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(len(baskets), n_items))


def random_baskets(rng: np.random.Generator, n_baskets: int = 300, n_items: int = 40) -> sp.csr_matrix:
    """Skewed item popularity, a few oversized baskets, quantities instead of 0/1."""
    popularity = 1 / np.arange(1, n_items + 1)
    sizes = np.where(rng.random(n_baskets) < 0.05, 25, rng.integers(1, 8, n_baskets))
    baskets = [rng.choice(n_items, size, replace=False, p=popularity / popularity.sum()) for size in sizes]
    matrix = basket_matrix(baskets, n_items)
    matrix.data = rng.integers(1, 4, matrix.nnz).astype(float)
    return matrix


def reference(baskets: sp.csr_matrix, min_count: float, min_support: float, max_basket_size: int) -> dict:
    """The definitions written out densely, without any top_k cut."""
    dense = (baskets.toarray() > 0).astype(float)
    sizes = dense.sum(axis=1)
    weights = np.minimum(1.0, max_basket_size / np.maximum(sizes, 1))
    n_baskets = weights[sizes > 0].sum()
    item_counts = weights @ dense
    counts = dense.T @ (weights[:, None] * dense)
    np.fill_diagonal(counts, 0)
    counts[(counts < min_count) | (counts / n_baskets < min_support)] = 0
    with np.errstate(divide="ignore", invalid="ignore"):
        confidence = np.where(counts > 0, counts / item_counts[:, None], 0)
        lift = np.where(counts > 0, counts * n_baskets / np.outer(item_counts, item_counts), 0)
    return {
        "counts": counts,
        "confidence": confidence,
        "lift": lift,
        "item_counts": item_counts,
        "n_baskets": n_baskets,
    }


def ranked_row(ref: dict, item: int, rank_by: str) -> np.ndarray:
    ids = np.flatnonzero(ref["counts"][item])
    return ids[np.lexsort((ids, -ref["counts"][item, ids], -ref[rank_by][item, ids]))]


@pytest.fixture
def hand_model() -> CoPurchaseModel:
    return CoPurchaseModel().fit(basket_matrix(HAND_BASKETS, 5))


def test_hand_computed_example(hand_model):
    assert hand_model.n_baskets_ == 6.0
    np.testing.assert_array_equal(hand_model.item_counts_, [4, 4, 3, 2, 1])
    np.testing.assert_array_equal(hand_model.counts_.toarray(), HAND_COUNTS)
    np.testing.assert_allclose(hand_model.support_.toarray(), HAND_COUNTS / 6, rtol=1e-12)
    np.testing.assert_allclose(hand_model.confidence_.toarray(), HAND_CONFIDENCE, rtol=1e-12)
    np.testing.assert_allclose(hand_model.lift_.toarray(), HAND_LIFT, rtol=1e-12)
    for matrix in (hand_model.support_, hand_model.confidence_, hand_model.lift_):
        np.testing.assert_array_equal(matrix.indices, hand_model.counts_.indices)
        np.testing.assert_array_equal(matrix.indptr, hand_model.counts_.indptr)


def test_bought_together_orders_by_rank_and_breaks_ties_by_id(hand_model):
    partners = hand_model.bought_together(0)
    np.testing.assert_array_equal(partners.ids, [3, 1, 2])  # lift 1.5, 1.125, 1
    np.testing.assert_allclose(partners.lift, [1.5, 1.125, 1.0], rtol=1e-12)
    np.testing.assert_array_equal(partners.counts, [2, 3, 2])
    np.testing.assert_allclose(partners.confidence, [0.5, 0.75, 0.5], rtol=1e-12)
    np.testing.assert_allclose(partners.support, [2 / 6, 3 / 6, 2 / 6], rtol=1e-12)
    by_confidence = CoPurchaseModel(rank_by="confidence").fit(basket_matrix(HAND_BASKETS, 5))
    np.testing.assert_array_equal(by_confidence.bought_together(0).ids, [1, 2, 3])  # 2 and 3 tie at 0.5
    np.testing.assert_array_equal(hand_model.bought_together(0, n=1).ids, [3])


def test_item_without_partners_gets_empty_arrays(hand_model):
    partners = hand_model.bought_together(4)
    for values in (partners.ids, partners.support, partners.confidence, partners.lift, partners.counts):
        assert values.shape == (0,)


def test_single_item_baskets_make_no_rules():
    model = CoPurchaseModel(min_count=1).fit(basket_matrix([[0], [1], [0]], 3))
    assert model.counts_.nnz == 0 and model.n_baskets_ == 3
    assert len(model.bought_together(0).ids) == 0
    np.testing.assert_array_equal(model.score_basket(np.array([0, 1])), np.zeros(3))


def test_min_count_and_min_support(hand_model):
    baskets = basket_matrix(HAND_BASKETS, 5)
    every_pair = CoPurchaseModel(min_count=1).fit(baskets)
    assert every_pair.counts_[1, 3] == 1 and every_pair.counts_[2, 3] == 1
    np.testing.assert_allclose(every_pair.lift_[1, 3], 1 * 6 / (4 * 2), rtol=1e-12)
    only_01 = CoPurchaseModel(min_support=0.4).fit(baskets)
    assert sorted(zip(*only_01.counts_.nonzero())) == [(0, 1), (1, 0)]
    inclusive = CoPurchaseModel(min_support=1 / 3).fit(baskets)  # support 2/6 is kept
    np.testing.assert_array_equal(inclusive.counts_.toarray(), HAND_COUNTS)


def test_large_baskets_are_down_weighted():
    wholesale = list(range(10))
    baskets = basket_matrix([[0, 1], [0, 1], wholesale], 10)
    model = CoPurchaseModel(min_count=0.5, max_basket_size=5).fit(baskets)  # wholesale weighs 5/10
    assert model.n_baskets_ == 2.5
    np.testing.assert_array_equal(model.item_counts_, [2.5, 2.5] + [0.5] * 8)
    assert model.counts_[0, 1] == 2.5 and model.counts_[2, 3] == 0.5 and model.counts_[0, 2] == 0.5
    np.testing.assert_allclose(model.lift_[0, 1], 2.5 * 2.5 / (2.5 * 2.5), rtol=1e-12)
    np.testing.assert_allclose(model.lift_[2, 3], 0.5 * 2.5 / (0.5 * 0.5), rtol=1e-12)
    unweighted = CoPurchaseModel(min_count=0.5, max_basket_size=10).fit(baskets)
    assert unweighted.n_baskets_ == 3 and unweighted.counts_[2, 3] == 1


@pytest.mark.parametrize("rank_by", ["lift", "confidence"])
def test_matches_the_definitions_on_random_baskets(rng, rank_by):
    baskets = random_baskets(rng)
    ref = reference(baskets, min_count=2, min_support=0.01, max_basket_size=10)
    model = CoPurchaseModel(min_support=0.01, max_basket_size=10, top_k=40, rank_by=rank_by).fit(baskets)
    assert model.n_baskets_ == pytest.approx(ref["n_baskets"], rel=1e-12)
    np.testing.assert_allclose(model.item_counts_, ref["item_counts"], rtol=1e-12)
    for name in ("counts", "confidence", "lift"):
        np.testing.assert_allclose(getattr(model, f"{name}_").toarray(), ref[name], rtol=1e-12, err_msg=name)


@pytest.mark.parametrize("rank_by", ["lift", "confidence"])
def test_top_k_keeps_each_rows_best_partners(rng, rank_by, monkeypatch):
    monkeypatch.setattr(copurchase, "_BLOCK_PRODUCTS", 200)  # many blocks, run on threads
    baskets = random_baskets(rng)
    ref = reference(baskets, min_count=1, min_support=0, max_basket_size=50)
    model = CoPurchaseModel(min_count=1, top_k=3, rank_by=rank_by, num_threads=3).fit(baskets)
    assert np.diff(model.counts_.indptr).max() == 3
    for item in range(baskets.shape[1]):
        np.testing.assert_array_equal(model.bought_together(item, n=5).ids, ranked_row(ref, item, rank_by)[:3])


def test_blocks_and_threads_do_not_change_the_result(rng, monkeypatch):
    baskets = random_baskets(rng)
    whole = CoPurchaseModel(top_k=4, num_threads=1).fit(baskets).to_arrays()
    monkeypatch.setattr(copurchase, "_BLOCK_PRODUCTS", 100)
    split = CoPurchaseModel(top_k=4, num_threads=4).fit(baskets).to_arrays()
    for key, values in whole.items():
        np.testing.assert_array_equal(split[key], values, err_msg=key)


def planted_baskets(rng: np.random.Generator, n_baskets: int = 4000) -> sp.csr_matrix:
    """Items 0-4 are in most baskets; (10, 11), (12, 13), (14, 15) are bought together half the
    time their first item is bought; 20+ is noise."""
    baskets = []
    for _ in range(n_baskets):
        basket = set(np.flatnonzero(rng.random(5) < 0.8))
        for a in (10, 12, 14):
            if rng.random() < 0.05:
                basket |= {a, a + 1}
            elif rng.random() < 0.05:
                basket |= {a}
        basket |= set(rng.choice(np.arange(20, 200), 3, replace=False))
        baskets.append(sorted(basket))
    return basket_matrix(baskets, 200)


def test_planted_complements_win_by_lift_and_popular_items_do_not(rng):
    baskets = planted_baskets(rng)
    by_lift = CoPurchaseModel().fit(baskets)
    by_confidence = CoPurchaseModel(rank_by="confidence").fit(baskets)
    for a in (10, 12, 14):
        assert by_lift.bought_together(a, n=1).ids[0] == a + 1
        assert by_lift.bought_together(a + 1, n=1).ids[0] == a
        assert by_confidence.bought_together(a, n=1).ids[0] < 5  # a popular item
    tops = [by_lift.bought_together(item, n=1).ids for item in range(20, 200)]
    assert not np.isin(np.concatenate(tops), np.arange(5)).any()


def test_score_basket_combines_rules_and_excludes_the_basket(hand_model):
    scores = hand_model.score_basket(np.array([0]))
    assert scores.dtype == np.float32
    np.testing.assert_allclose(scores, [0, 9 / 8, 1, 3 / 2, 0], rtol=1e-6)
    combined = hand_model.score_basket(np.array([0, 1]), weights=np.array([1.0, 2.0]))
    np.testing.assert_allclose(combined, [0, 0, 1 + 2 * 1, 3 / 2, 0], rtol=1e-6)
    np.testing.assert_array_equal(hand_model.score_basket(np.array([], dtype=int)), np.zeros(5))
    with pytest.raises(ValueError, match="1 entry for every item"):
        hand_model.score_basket(np.array([0, 1]), weights=np.array([1.0]))


def test_score_users_equals_score_basket_per_row(rng):
    model = CoPurchaseModel(min_count=1, top_k=5).fit(random_baskets(rng))
    history = sp.random(12, 40, density=0.1, format="csr", random_state=np.random.default_rng(1))
    scores = model.score_users(history)
    assert scores.shape == (12, 40) and scores.dtype == np.float32
    for user in range(12):
        row = history[user]
        np.testing.assert_array_equal(scores[user], model.score_basket(row.indices, row.data))
    as_history = UserHistory(users=np.full(12, -1), interactions=history, purchases=history)
    np.testing.assert_array_equal(model.score_users(as_history), scores)


def test_save_and_load_round_trip(rng, tmp_path):
    model = CoPurchaseModel(top_k=5, rank_by="confidence").fit(random_baskets(rng))
    np.savez(tmp_path / "copurchase.npz", **model.to_arrays())
    with np.load(tmp_path / "copurchase.npz", allow_pickle=False) as stored:
        loaded = CoPurchaseModel.from_arrays(dict(stored), top_k=5, rank_by="confidence")
    for key, values in model.to_arrays().items():
        np.testing.assert_array_equal(loaded.to_arrays()[key], values, err_msg=key)
        assert loaded.to_arrays()[key].dtype == values.dtype
    assert loaded.n_baskets_ == model.n_baskets_
    for item in range(40):
        np.testing.assert_array_equal(loaded.bought_together(item).ids, model.bought_together(item).ids)
    history = sp.random(5, 40, density=0.2, format="csr", random_state=np.random.default_rng(2))
    np.testing.assert_array_equal(loaded.score_users(history), model.score_users(history))


def test_not_fitted():
    model = CoPurchaseModel()
    assert [name for name in vars(model) if name.endswith("_")] == []
    for query in (
        lambda: model.bought_together(0),
        lambda: model.score_basket(np.array([0])),
        lambda: model.score_users(sp.csr_matrix((1, 5))),
        model.to_arrays,
    ):
        with pytest.raises(NotFittedError):
            query()


def test_unknown_item(hand_model):
    for item in (5, -1):
        with pytest.raises(UnknownItemError, match="not in the fitted model"):
            hand_model.bought_together(item)
    with pytest.raises(UnknownItemError, match=r"\[7\]"):
        hand_model.score_basket(np.array([0, 7]))
    with pytest.raises(ValueError, match="5 columns"):
        hand_model.score_users(sp.csr_matrix((1, 4)))


def test_fit_contract_and_input_handling():
    baskets = basket_matrix(HAND_BASKETS, 5)
    model = CoPurchaseModel()
    assert model.fit(baskets) is model
    quantities = baskets.copy()
    quantities.data = np.array([3.0, 1, 2, 1, 1, 1, 1, 1, 5, 1, 1, 1, 1, 1])
    negative = sp.vstack([quantities, sp.csr_matrix(([-1.0], ([0], [4])), shape=(1, 5))]).tocsr()
    np.testing.assert_array_equal(CoPurchaseModel().fit(negative).counts_.toarray(), HAND_COUNTS)
    with pytest.warns(UserWarning, match="not a CSR matrix"):
        from_coo = CoPurchaseModel().fit(baskets.tocoo())
    np.testing.assert_array_equal(from_coo.counts_.toarray(), HAND_COUNTS)
    with pytest.raises(ValueError, match="rank_by"):
        CoPurchaseModel(rank_by="support").fit(baskets)
    with pytest.raises(ValueError, match="no items"):
        CoPurchaseModel().fit(sp.csr_matrix((3, 5)))

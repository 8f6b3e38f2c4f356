import numpy as np
import pytest
import scipy.sparse as sp

from recommender.als import ALSModel
from recommender.errors import NotFittedError
from recommender.history import UserHistory


def planted_matrix(rng, n_users=300, n_items=60, groups=3):
    """Users of group g interact with items of block g (plus a little noise)."""
    user_group = rng.integers(groups, size=n_users)
    item_group = np.arange(n_items) % groups
    like = (user_group[:, None] == item_group[None, :]) & (rng.random((n_users, n_items)) < 0.3)
    noise = rng.random((n_users, n_items)) < 0.01
    return sp.csr_matrix((like | noise).astype(np.float32)), user_group, item_group


def history_of(rows: sp.csr_matrix, users) -> UserHistory:
    return UserHistory(np.asarray(users), rows, rows)


def test_no_learned_state_before_fit():
    model = ALSModel()
    assert not [name for name in vars(model) if name.endswith("_")]
    with pytest.raises(NotFittedError):
        model.fold_in(sp.csr_matrix((1, 3)))


def test_fit_is_deterministic_and_recovers_groups(rng):
    matrix, user_group, item_group = planted_matrix(rng)
    first = ALSModel(factors=8, iterations=10, random_state=1).fit(matrix)
    second = ALSModel(factors=8, iterations=10, random_state=1).fit(matrix)
    assert np.allclose(first.item_factors_, second.item_factors_)
    scores = first.score_users(history_of(matrix, np.arange(matrix.shape[0])))
    top = np.argsort(-scores, axis=1)[:, :5]
    assert (item_group[top] == user_group[:, None]).mean() > 0.9


def test_fold_in_places_an_unseen_visitor_in_their_group(rng):
    matrix, _, item_group = planted_matrix(rng)
    model = ALSModel(factors=8, iterations=10).fit(matrix)
    viewed = np.flatnonzero(item_group == 2)[:3]
    session = sp.csr_matrix((np.ones(3, np.float32), (np.zeros(3, int), viewed)), shape=(1, matrix.shape[1]))
    scores = model.score_users(history_of(session, [-1]))[0]
    scores[viewed] = -np.inf
    assert (item_group[np.argsort(-scores)[:10]] == 2).mean() >= 0.8


def test_fold_in_of_a_known_history_matches_the_fitted_vector(rng):
    matrix, _, _ = planted_matrix(rng)
    model = ALSModel(factors=8, iterations=15).fit(matrix)
    folded = model.score_users(history_of(matrix[:20], -np.ones(20, int)))
    stored = model.score_users(history_of(matrix[:20], np.arange(20)))
    assert np.mean([np.corrcoef(a, b)[0, 1] for a, b in zip(folded, stored)]) > 0.95


def test_fold_in_equals_implicits_recalculate_user_for_csr_and_taken_rows(rng):
    from recommender.row_products import take_rows

    matrix, _, _ = planted_matrix(rng)
    model = ALSModel(factors=8, alpha=2.0, iterations=5).fit(matrix)
    rows = np.array([3, 0, 11])
    expected = model._fold_solver.recalculate_user(np.arange(3), sp.csr_matrix(matrix[rows], dtype=np.float32))
    np.testing.assert_allclose(model.fold_in(matrix[rows]), expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(model.fold_in(take_rows(matrix, rows)), expected, rtol=1e-4, atol=1e-5)


def test_arrays_round_trip(tmp_path, rng):
    matrix, _, _ = planted_matrix(rng)
    model = ALSModel(factors=8, iterations=3).fit(matrix)
    np.savez(tmp_path / "als.npz", **model.to_arrays())
    with np.load(tmp_path / "als.npz", allow_pickle=False) as arrays:
        loaded = ALSModel.from_arrays(dict(arrays))
    history = history_of(matrix[:5], [-1, 0, 1, -1, 2])
    assert np.allclose(loaded.score_users(history), model.score_users(history), atol=1e-5)


def test_wrong_item_count_is_rejected(rng):
    matrix, _, _ = planted_matrix(rng)
    model = ALSModel(factors=4, iterations=2).fit(matrix)
    with pytest.raises(ValueError, match="items"):
        model.fold_in(sp.csr_matrix((1, matrix.shape[1] + 1)))

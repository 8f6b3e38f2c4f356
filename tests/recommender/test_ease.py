import numpy as np
import scipy.sparse as sp

from recommender.ease import EASEModel
from recommender.history import UserHistory


def history(matrix: sp.csr_matrix) -> UserHistory:
    return UserHistory(np.arange(matrix.shape[0]), matrix, matrix)


def pairs_store(rng, users=400, items=60, tail=20):
    """Items 2k and 2k+1 are bought together; the last ``tail`` items are bought once each."""
    rows, cols = [], []
    for user in range(users):
        pair = 2 * rng.integers((items - tail) // 2)
        rows += [user, user]
        cols += [pair, pair + 1]
    for item in range(items - tail, items):
        rows.append(rng.integers(users))
        cols.append(item)
    return sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(users, items))


def test_ease_finds_the_planted_partner(rng):
    matrix = pairs_store(rng)
    model = EASEModel(l2=10.0).fit(matrix)
    assert model.covers_catalog
    query = sp.csr_matrix(([1.0], ([0], [6])), shape=(1, matrix.shape[1]))
    assert int(np.argmax(model.score_users(history(query))[0])) == 7


def test_a_large_catalog_keeps_ease_for_its_head_and_scores_the_tail_zero(rng):
    matrix = pairs_store(rng)
    head = EASEModel(l2=10.0, max_items=40).fit(matrix)
    assert not head.covers_catalog and len(head.items_) == 40 and head.weights_.shape == (40, 40)
    assert set(head.items_.tolist()) == set(range(40))  # the 40 paired items are the most bought
    scores = head.score_users(history(matrix[:50]))
    assert scores.shape == (50, 60) and not scores[:, 40:].any()
    alone = EASEModel(l2=10.0).fit(matrix[:, :40]).score_users(history(matrix[:50, :40]))
    np.testing.assert_allclose(scores[:, :40], alone, rtol=1e-4, atol=1e-5)
    assert head.consistent_with(60) and not head.consistent_with(61)
    reloaded = EASEModel.from_arrays(head.to_arrays(), n_items=60, l2=10.0)
    np.testing.assert_array_equal(reloaded.score_users(history(matrix[:5])), scores[:5])

import numpy as np
import scipy.sparse as sp

from recommender.history import UserHistory
from recommender.session_knn import SessionKNNModel


def sessions(rows: list[list[int]], n_items: int = 20) -> sp.csr_matrix:
    r = np.repeat(np.arange(len(rows)), [len(s) for s in rows])
    return sp.csr_matrix((np.ones(len(r), np.float32), (r, np.concatenate(rows))), shape=(len(rows), n_items))


def test_neighbour_sessions_vote_for_what_came_with_the_session_items():
    rng = np.random.default_rng(0)
    rows = [[0, 1, 2] for _ in range(30)] + [[5, 6, 7] for _ in range(30)]
    rows += [list(rng.choice(20, 3, replace=False)) for _ in range(40)]
    model = SessionKNNModel(neighbours=20).fit(sessions(rows))
    scores = model.score_sequence(np.array([0, 1]))
    others = np.delete(np.arange(20), [0, 1])
    assert others[np.argmax(scores[others])] == 2
    assert scores[6] < scores[2]


def test_the_latest_session_item_weighs_most():
    rows = [[0, 3]] * 10 + [[1, 4]] * 10
    model = SessionKNNModel().fit(sessions(rows))
    assert model.score_sequence(np.array([0, 1]))[4] > model.score_sequence(np.array([0, 1]))[3]
    assert model.score_sequence(np.array([1, 0]))[3] > model.score_sequence(np.array([1, 0]))[4]


def test_only_the_most_recent_sessions_with_an_item_are_neighbours():
    rows = [[0, 3]] * 50 + [[0, 4]] * 5  # rows are in time order: the 5 sessions with item 4 are the latest
    model = SessionKNNModel(sample_size=5).fit(sessions(rows))
    scores = model.score_sequence(np.array([0]))
    assert scores[4] > 0 and scores[3] == 0


def test_unordered_histories_and_a_reloaded_model_score_alike():
    rows = [[0, 1, 2], [1, 2, 3], [2, 3, 4], [0, 4]]
    model = SessionKNNModel().fit(sessions(rows, 6))
    again = SessionKNNModel.from_arrays(model.to_arrays())
    np.testing.assert_array_equal(again.score_sequence(np.array([1, 2])), model.score_sequence(np.array([1, 2])))
    history = sessions([[1, 2], []], 6)
    scores = model.score_users(UserHistory(np.array([-1, -1]), history, history))
    assert scores.shape == (2, 6) and scores[0, 3] > 0 and not scores[1].any()
    assert not model.score_sequence(np.array([5])).any()  # an item in no session

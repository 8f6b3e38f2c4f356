import numpy as np
import pytest
import scipy.sparse as sp

from recommender.blend import BlendModel, scale_rows
from recommender.history import UserHistory
from recommender.popularity import PopularityModel
from recommender.ranking import top_n


class Fixed:
    def __init__(self, scores):
        self.scores = np.asarray(scores, dtype=np.float32)

    def score_users(self, history):
        return self.scores


def test_top_n_orders_excludes_and_pads():
    scores = np.array([[0.1, 0.5, 0.5, 0.2], [1, 2, 3, 4]], dtype=np.float32)
    exclude = sp.csr_matrix(np.array([[0, 0, 1, 0], [0, 0, 0, 1]]))
    ids, best = top_n(scores, 3, exclude)
    assert ids.tolist() == [[1, 3, 0], [2, 1, 0]]
    ids, _ = top_n(scores, 6)
    assert ids[0].tolist() == [1, 2, 3, 0, -1, -1]


def test_blend_weighs_scaled_signals():
    history = UserHistory(np.array([0]), sp.csr_matrix((1, 3)), sp.csr_matrix((1, 3)))
    signals = {"a": Fixed([[10.0, 0.0, 5.0]]), "b": Fixed([[0.0, 1.0, 0.0]])}
    assert scale_rows(np.array([[10.0, -20.0]])).tolist() == [[0.5, -1.0]]
    assert BlendModel(signals, {"a": 1.0, "b": 0.4}).score_users(history)[0] == pytest.approx([1.0, 0.4, 0.5])
    assert BlendModel(signals, {"a": 1.0, "b": 2.0}).score_users(history)[0].argmax() == 1
    with pytest.raises(ValueError, match="unknown signals"):
        BlendModel(signals, {"c": 1.0})


def test_popularity_recency_and_category():
    model = PopularityModel(half_life_days=10).fit(
        item_idx=np.array([0, 0, 1, 1, 1, 2]),
        age_days=np.array([0, 0, 30, 30, 30, 0]),
        n_items=4,
        categories=np.array([0, 0, 1, 1]),
    )
    ids, scores = model.top(3)
    assert ids.tolist() == [0, 2, 1]
    assert scores[0] == pytest.approx(2.0)
    assert model.top(5, category=1)[0].tolist() == [2, 3]
    assert model.top(2, exclude=np.array([0]))[0].tolist() == [2, 1]

"""Candidates scored at training time: the same lists the blend gives live, purchases left out."""
import numpy as np
import pytest
import scipy.sparse as sp

from recommender.blend import BlendModel
from recommender.candidates import UserCandidates, precompute_candidates
from recommender.engine import RecommendationEngine
from recommender.history import UserHistory
from recommender.ranking import top_n


class Fixed:
    """A dense signal with given scores for every user."""

    def __init__(self, scores):
        self.scores = np.asarray(scores, dtype=np.float32)

    def score_users(self, history):
        return self.scores[history.users].copy()


def test_candidates_are_the_blends_top_items_without_purchases():
    scores = [[0.9, 0.8, 0.7, 0.1], [0.1, 0.2, 0.3, 0.4]]
    blend = BlendModel({"als": Fixed(scores)}, {"als": 1.0})
    bought = sp.csr_matrix(np.array([[1, 0, 0, 0], [0, 0, 0, 0]], dtype=np.float32))
    candidates = precompute_candidates(blend, bought, bought, k=2, n_jobs=1)
    assert candidates.items.tolist() == [[1, 2], [3, 2]]
    items, values, sources = candidates.row(0)
    assert items.tolist() == [1, 2] and values == pytest.approx([0.8 / 0.9, 0.7 / 0.9])
    assert sources.tolist() == ["als", "als"]


def test_a_row_ends_where_eligible_items_run_out():
    blend = BlendModel({"als": Fixed([[0.5, 0.4, 0.3]])}, {"als": 1.0})
    bought = sp.csr_matrix(np.array([[1, 1, 0]], dtype=np.float32))
    candidates = precompute_candidates(blend, bought, bought, k=2, n_jobs=1)
    items, values, _ = candidates.row(0)
    assert items.tolist() == [2] and len(values) == 1
    assert candidates.items[0].tolist() == [2, -1]


def test_candidates_match_live_blend_scores_on_the_demo_store(demo_version):
    model = demo_version.model
    engine = RecommendationEngine(model)
    blend = engine.blends["new_items"]
    rows = np.arange(0, len(model.user_ids), 7)
    candidates = precompute_candidates(blend, model.confidence, model.purchases, k=12, n_jobs=2)
    history = UserHistory.of(rows, model.confidence, model.purchases)
    total = blend.score(history).total
    expected, _ = top_n(total, 12, exclude=sp.csr_matrix(history.purchases.tocsr()))
    np.testing.assert_array_equal(candidates.items[rows], expected)


def test_consistency_check_catches_arrays_of_another_model():
    candidates = UserCandidates(np.array([[0, 5]], np.int32), np.zeros((1, 2), np.float32),
                                np.zeros((1, 2), np.int8), np.array(["als"]))
    assert candidates.consistent_with(1, 6)
    assert not candidates.consistent_with(2, 6)
    assert not candidates.consistent_with(1, 5)
    assert UserCandidates.from_arrays(candidates.to_arrays()).items.tolist() == [[0, 5]]


def test_nearest_items_are_the_exact_cosine_neighbours_without_the_item_itself(rng):
    from recommender.ann import VectorIndex, normalize_rows
    from recommender.candidates import nearest_items

    vectors = rng.standard_normal((60, 8)).astype(np.float32)
    neighbours = nearest_items(vectors, 5)
    unit = normalize_rows(vectors)
    cosine = unit @ unit.T
    np.fill_diagonal(cosine, -np.inf)
    expected = np.argsort(-cosine, axis=1, kind="stable")[:, :5]
    np.testing.assert_array_equal(neighbours.ids, expected)
    np.testing.assert_allclose(neighbours.cosines, np.take_along_axis(cosine, expected, axis=1), rtol=1e-5)
    ids, cosines = neighbours.of(3, 2)
    assert ids.tolist() == expected[3, :2].tolist() and len(cosines) == 2
    index = VectorIndex(metric="angular", n_trees=10, search_k=-1).build(vectors)
    approximate = nearest_items(vectors, 5, index)
    overlap = np.mean([len(set(a) & set(b)) / 5 for a, b in zip(approximate.ids, expected)])
    assert overlap >= 0.9 and not (approximate.ids == np.arange(60)[:, None]).any()

"""Ranking metrics: a hand-computed example, edge cases, and agreement with a plain per-user loop."""
import math

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.metrics import catalog_coverage, per_user_ndcg, ranking_metrics


def relevance(rows: list[list[int]], n_items: int) -> sp.csr_matrix:
    users = [u for u, items in enumerate(rows) for _ in items]
    items = [i for row in rows for i in row]
    return sp.csr_matrix((np.ones(len(items)), (users, items)), shape=(len(rows), n_items))


# k = 3, 7 items; the 4th column lies beyond k and must be ignored (item 6 only appears there).
RECOMMENDED = np.array(
    [
        [0, 1, 2, 6],  # relevant {1, 4}: hit at rank 2
        [3, -1, -1, -1],  # relevant {3}: hit at rank 1, then padding
        [5, -1, -1, -1],  # nothing relevant: skipped, but still counts for coverage
        [2, 0, 1, -1],  # relevant {0, 1, 2, 5}: hits at ranks 1, 2, 3
        [1, 2, 3, 0],  # relevant {0}: no hit in the top 3
        [4, 5, 0, -1],  # relevant {0, 4}: hits at ranks 1 and 3
    ]
)
RELEVANT = relevance([[1, 4], [3], [], [0, 1, 2, 5], [0], [0, 4]], n_items=7)


def test_hand_computed_example():
    d2 = 1 / math.log2(3)  # discount of rank 2; rank 1 is 1, rank 3 is 1/2
    expected = {
        "precision@3": (1 / 3 + 1 / 3 + 1 + 0 + 2 / 3) / 5,
        "recall@3": (1 / 2 + 1 + 3 / 4 + 0 + 1) / 5,
        "ndcg@3": (d2 / (1 + d2) + 1 + 1 + 0 + 1.5 / (1 + d2)) / 5,
        "map@3": ((1 / 2) / 2 + 1 + 1 + 0 + (1 + 2 / 3) / 2) / 5,
        "hit_rate@3": 4 / 5,
        "coverage@3": 6 / 7,
    }
    result = ranking_metrics(RECOMMENDED, RELEVANT, k=3)
    assert list(result) == list(expected)
    assert result == pytest.approx(expected)
    assert result["precision@3"] == pytest.approx(7 / 15)
    assert result["map@3"] == pytest.approx(37 / 60)


def test_default_keys_name_k_10():
    recommended = np.tile(np.arange(10), (2, 1))
    relevant = relevance([[0], [9]], n_items=20)
    assert set(ranking_metrics(recommended, relevant)) == {
        "precision@10", "recall@10", "ndcg@10", "map@10", "hit_rate@10", "coverage@10",
    }


def test_n_items_overrides_coverage_denominator():
    assert ranking_metrics(RECOMMENDED, RELEVANT, k=3, n_items=12)["coverage@3"] == pytest.approx(6 / 12)


def test_per_user_ndcg_is_nan_for_skipped_users():
    d2 = 1 / math.log2(3)
    expected = [d2 / (1 + d2), 1.0, np.nan, 1.0, 0.0, 1.5 / (1 + d2)]
    np.testing.assert_allclose(per_user_ndcg(RECOMMENDED, RELEVANT, k=3), expected)


def test_padding_never_hits_the_previous_users_last_item():
    # user 1's padding key (1 * 4 - 1) equals user 0's key for item 3
    recommended = np.array([[3, -1], [-1, -1]])
    relevant = relevance([[3], [0]], n_items=4)
    result = ranking_metrics(recommended, relevant, k=2)
    assert result["hit_rate@2"] == 0.5
    assert result["precision@2"] == pytest.approx((1 / 2 + 0) / 2)
    assert catalog_coverage(recommended, 4) == 0.25


def test_users_without_relevant_items_change_nothing():
    extra_rows = np.array([[6, 5, 4, 3], [-1, -1, -1, -1]])
    recommended = np.vstack([RECOMMENDED, extra_rows[:1], RECOMMENDED[:1], extra_rows[1:]])
    relevant = sp.vstack([RELEVANT, relevance([[]], 7), RELEVANT[:1], relevance([[]], 7)]).tocsr()
    with_skipped = ranking_metrics(recommended, relevant, k=3)
    plain = ranking_metrics(
        np.vstack([RECOMMENDED, RECOMMENDED[:1]]), sp.vstack([RELEVANT, RELEVANT[:1]]).tocsr(), k=3
    )
    del with_skipped["coverage@3"], plain["coverage@3"]
    assert with_skipped == pytest.approx(plain)


def test_explicit_zeros_are_not_relevant():
    relevant = sp.csr_matrix((np.array([0.0, 1.0]), np.array([0, 1]), np.array([0, 2])), shape=(1, 3))
    assert ranking_metrics(np.array([[0, 2]]), relevant, k=2)["hit_rate@2"] == 0.0


def test_perfect_ranking_scores_one(rng):
    n_users, n_items, k = 50, 40, 5
    recommended = np.array([rng.choice(n_items, size=k, replace=False) for _ in range(n_users)])
    relevant = relevance([list(row) for row in recommended], n_items)
    result = ranking_metrics(recommended, relevant, k=k)
    del result[f"coverage@{k}"]
    assert result == pytest.approx(dict.fromkeys(result, 1.0))


def loop_metrics(recommended: np.ndarray, relevant: sp.csr_matrix, k: int) -> dict[str, float]:
    """The textbook definitions, one user at a time."""
    rows = []
    for recs, row in zip(recommended[:, :k], relevant.tolil().rows):
        truth = set(row)
        if not truth:
            continue
        hits = [int(item) in truth for item in recs]
        dcg = sum(1 / math.log2(rank + 2) for rank, hit in enumerate(hits) if hit)
        idcg = sum(1 / math.log2(rank + 2) for rank in range(min(len(truth), k)))
        ap = sum(sum(hits[: rank + 1]) / (rank + 1) for rank, hit in enumerate(hits) if hit)
        rows.append((sum(hits) / k, sum(hits) / len(truth), dcg / idcg, ap / min(len(truth), k), any(hits)))
    means = np.mean(rows, axis=0)
    return dict(zip([f"{name}@{k}" for name in ("precision", "recall", "ndcg", "map", "hit_rate")], means))


def test_matches_a_per_user_loop_on_random_data(rng):
    n_users, n_items, k = 300, 60, 10
    recommended = np.array([rng.choice(n_items, size=k + 2, replace=False) for _ in range(n_users)])
    lengths = rng.integers(0, k + 3, size=n_users)  # some users get fewer than k answers
    recommended[np.arange(k + 2) >= lengths[:, None]] = -1
    relevant = sp.random(n_users, n_items, density=0.08, format="csr", random_state=7)
    result = ranking_metrics(recommended, relevant, k=k)
    assert {key: v for key, v in result.items() if not key.startswith("coverage")} == pytest.approx(
        loop_metrics(recommended, relevant, k)
    )
    visible = recommended[:, :k]
    assert result[f"coverage@{k}"] == pytest.approx(len(set(visible[visible >= 0].tolist())) / n_items)


@pytest.mark.parametrize(
    ("recommended", "message"),
    [
        (np.array([[0, 0]]), "twice"),
        (np.array([[0, 3]]), r"\[0, 3\)"),
        (np.array([[0, -2]]), r"\[0, 3\)"),
        (np.array([[0]]), "fewer than k"),
        (np.array([[0, 1], [1, 2]]), "1 row for every user"),
        (np.array([[0.0, 1.0]]), "integer"),
    ],
)
def test_invalid_recommendations_are_refused(recommended, message):
    with pytest.raises(ValueError, match=message):
        ranking_metrics(recommended, relevance([[1]], n_items=3), k=2)


def test_no_relevant_items_at_all_is_refused():
    with pytest.raises(ValueError, match="no user has a relevant item"):
        ranking_metrics(np.array([[0, 1]]), relevance([[]], n_items=3), k=2)

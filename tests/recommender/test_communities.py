"""Communities: the planted number of groups is found by the silhouette, members land together, and
each community is named by the categories that set it apart."""
import numpy as np

from recommender.communities import NO_COMMUNITY, CommunityFinder, describe, silhouette


def planted(rng, groups=4, per_group=300, dim=16, noise=0.25):
    directions = np.linalg.qr(rng.standard_normal((dim, dim)))[0][:groups]
    truth = np.repeat(np.arange(groups), per_group)
    vectors = directions[truth] * rng.uniform(0.5, 2.0, (len(truth), 1)) + noise * rng.standard_normal((len(truth), dim))
    return vectors.astype(np.float32), truth


def test_the_planted_number_of_communities_is_found(rng):
    vectors, truth = planted(rng)
    finder = CommunityFinder(max_k=8, sample_size=800).fit(vectors)
    assert finder.k_ == 4 and max(finder.silhouettes_, key=finder.silhouettes_.get) == 4
    purity = sum(np.bincount(finder.labels_[truth == g]).max() for g in range(4)) / len(truth)
    assert purity > 0.97


def test_a_customer_without_behaviour_has_no_community(rng):
    vectors, _ = planted(rng, groups=2, per_group=50)
    vectors[0] = 0
    labels = CommunityFinder(max_k=3).fit(vectors).labels_
    assert labels[0] == NO_COMMUNITY and (labels[1:] >= 0).all()


def test_silhouette_prefers_separated_groups(rng):
    vectors, truth = planted(rng, groups=3, per_group=60)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    assert silhouette(unit, truth) > 0.5 > silhouette(unit, rng.integers(0, 3, len(truth)))


def test_communities_are_named_by_their_distinctive_categories():
    labels = np.array([0, 0, 1, 1])
    user = np.array([0, 0, 1, 1, 2, 2, 3, 3, 3])
    category = np.array([0, 1, 0, 1, 2, 0, 2, 2, 3])  # everyone views 0; community 1 also 2 and 3
    names = ["tea", "cups", "coffee", "grinders"]
    described = describe(labels, user, category, 4, np.array(names))
    assert described[0]["name"] == "cups & tea" and described[1]["name"] == "coffee & grinders"
    assert described[1]["audience"] == "community:coffee-grinders"

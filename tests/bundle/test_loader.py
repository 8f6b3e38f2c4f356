"""What grows with the customer base is mapped, not copied: every worker of a host reads the same
pages of a version's stored lists, user factors and ids through the page cache."""
from pathlib import Path

import numpy as np

from recommender.engine import RecommendationEngine

PER_CUSTOMER_FILES = {
    "candidate_items.npy", "candidate_scores.npy", "candidate_sources.npy",
    "repeat_items.npy", "repeat_scores.npy", "repeat_sources.npy", "user_factors.npy", "users.npy",
}


def mapped_files(model) -> set[str]:
    arrays = [model.als.user_factors_, model.user_ids]
    for lists in (model.candidates, model.repeat_candidates):
        arrays += [lists.items, lists.scores, lists.sources]
    return {Path(array.filename).name for array in arrays if isinstance(array, np.memmap)}


def test_stored_lists_and_user_factors_are_memory_mapped(demo_version):
    assert mapped_files(demo_version.model) == PER_CUSTOMER_FILES


def test_answering_every_customer_keeps_them_mapped(demo_version):
    engine = RecommendationEngine(demo_version.model)
    users = demo_version.model.user_ids.tolist()
    answers = engine.recommend_users(users, n=5)
    assert all(len(answer.picks) == 5 and answer.strategy == "personalized" for answer in answers)
    assert mapped_files(engine.model) == PER_CUSTOMER_FILES

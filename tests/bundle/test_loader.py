"""What grows with the customer base is mapped, not copied: every worker of a host reads the same
pages of a version's stored lists, user factors, ids, histories and profiles through the page cache."""
import numpy as np

from bundle import load_artifacts
from bundle.profiles import load_profiles, save_profiles
from recommender.engine import RecommendationEngine
from training.config import LifecycleConfig
from training.dataset import build_dataset
from training.profiles import build_profiles

from .memory import is_mapped

PAGE = 4096  # smaller arrays are read, not mapped (bundle.mapped_npz)


def per_customer_arrays(version) -> dict[str, np.ndarray]:
    model = version.model
    arrays = {"users.npy": model.user_ids, "user_factors.npy": model.als.user_factors_}
    for lists in (model.candidates, model.repeat_candidates):
        arrays |= {f"{name}.npy": array for name, array in lists.to_arrays().items() if name.endswith(
            ("items", "scores", "sources"))}
    for name in ("confidence", "purchases", "last_purchase"):
        matrix = getattr(model, name)
        arrays |= {f"{name}.npz:data": matrix.data, f"{name}.npz:indices": matrix.indices}
    return arrays


def test_what_grows_with_the_customers_is_memory_mapped(demo_version):
    version = load_artifacts(demo_version.path)  # as the service loads it
    arrays = per_customer_arrays(version)
    assert min(array.nbytes for array in arrays.values()) >= PAGE
    assert [name for name, array in arrays.items() if not is_mapped(array)] == []


def test_customer_profiles_are_memory_mapped(demo_store, tmp_path):
    data = build_dataset(demo_store.events, demo_store.catalog)
    save_profiles(tmp_path, build_profiles(data, LifecycleConfig()))
    profiles = load_profiles(tmp_path, data.user_ids, data.category_names)
    large = {name: array for name, array in profiles.arrays.items() if array.nbytes >= PAGE}
    assert {"spend", "last_purchase_time"} <= large.keys()
    assert [name for name, array in large.items() if not is_mapped(array)] == []


def test_answering_every_customer_keeps_them_mapped(demo_version):
    version = load_artifacts(demo_version.path)
    engine = RecommendationEngine(version.model)
    answers = engine.recommend_users(version.model.user_ids.tolist(), n=5)
    assert all(len(answer.picks) == 5 and answer.strategy == "personalized" for answer in answers)
    assert all(is_mapped(array) for array in per_customer_arrays(version).values())

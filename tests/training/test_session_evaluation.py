"""The session task on a store whose visits follow planted "recipes"."""
import numpy as np
import pandas as pd
import pytest

from training.config import TrainConfig
from training.dataset import build_dataset, session_codes
from training.models import fit_models
from training.session_evaluation import K, best_session_weight, later_sessions, session_task

START = pd.Timestamp("2024-01-01", tz="UTC")


def recipe_store(seed=0, visits=1500, items=300):
    """Each visit views one of 40 recipes of 4 products in order, plus one random product, and buys
    the recipe's last product."""
    rng = np.random.default_rng(seed)
    recipes = rng.choice(items, size=(40, 4), replace=False)
    rows = []
    for visit in range(visits):
        at = START + pd.Timedelta(hours=visit * 2)
        chosen = list(recipes[rng.integers(40)]) + [int(rng.integers(items))]
        user = f"u{rng.integers(400)}"
        for step, item in enumerate(chosen):
            rows.append((at + pd.Timedelta(minutes=step), user, f"p{item}", "view", None))
        rows.append((at + pd.Timedelta(minutes=5), user, f"p{chosen[-2]}", "purchase", f"o{visit}"))
    events = pd.DataFrame(rows, columns=["timestamp", "user_id", "item_id", "event", "order_id"])
    events["quantity"], events["price"] = 1.0, np.nan
    return build_dataset(events)


@pytest.fixture(scope="module")
def recipes():
    return recipe_store()


def test_sessions_are_visits_in_time_order_and_test_sessions_keep_the_event_order(recipes):
    codes = session_codes(recipes)
    assert (codes >= 0).all() and codes.max() + 1 == 1500  # visits two hours apart, 1 minute between views
    first = pd.Series(recipes.time).groupby(codes).min().to_numpy()
    assert np.all(np.diff(first) > 0)
    cutoff = recipes.time.min() + 0.8 * (recipes.time.max() - recipes.time.min())
    sequences = later_sessions(recipes, cutoff, max_sessions=50, max_length=4)
    assert len(sequences) == 50 and all(2 <= len(s) <= 4 for s in sequences)


def test_session_knn_finds_the_rest_of_the_recipe_better_than_als_fold_in_and_popularity(recipes):
    cutoff = recipes.time.min() + 0.8 * (recipes.time.max() - recipes.time.min())
    models = fit_models(recipes.select(recipes.time < cutoff), TrainConfig(), now=cutoff)
    result = session_task(recipes, cutoff, models, TrainConfig(), max_sessions=200)
    metrics = result["metrics"]
    hr = f"hr@{K}"
    assert metrics["session_knn"][hr] > 0.6
    assert metrics["session_knn"][hr] > metrics["popularity"][hr] + 0.3
    assert metrics["session_knn"]["mrr@20"] >= metrics["als_fold_in"]["mrr@20"]
    assert best_session_weight(result) > 0

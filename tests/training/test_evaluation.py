import numpy as np
import pandas as pd
import pytest

from training.config import TrainConfig, config_from_dict
from training.dataset import build_dataset
from training.evaluation import evaluate, resolve_cutoff, split_by_time


def frame(rows):
    events = pd.DataFrame(rows, columns=["timestamp", "user_id", "item_id", "event", "order_id"])
    events["timestamp"] = pd.to_datetime(events["timestamp"], utc=True)
    events["quantity"] = 1.0
    events["price"] = np.nan
    return events


def test_split_keeps_returning_customers_and_separates_new_from_repeat_purchases():
    events = frame([
        ("2024-01-01", "a", "x", "purchase", "o1"),
        ("2024-01-02", "a", "y", "view", None),
        ("2024-01-03", "b", "x", "view", None),
        ("2024-02-01", "a", "x", "purchase", "o2"),   # repeat purchase: only in all_purchases
        ("2024-02-01", "a", "z", "purchase", "o2"),   # new item for a
        ("2024-02-02", "c", "z", "purchase", "o3"),   # c never seen before the cut-off: not a test user
        ("2024-02-03", "b", "y", "view", None),       # views after the cut-off are not truth
    ])
    data = build_dataset(events)
    split = split_by_time(data, pd.Timestamp("2024-01-15", tz="UTC").timestamp(), max_users=100)
    users = data.user_ids[split.users].tolist()
    assert users == ["a"]
    items = data.item_ids
    assert sorted(items[split.relevant["all_purchases"][0].indices]) == ["x", "z"]
    assert items[split.relevant["new_items"][0].indices].tolist() == ["z"]
    assert items[split.bought_before[0].indices].tolist() == ["x"]
    assert len(split.train.time) == 3


def test_cutoff_from_config_or_holdout_share():
    events = frame([("2024-01-01", "a", "x", "view", None), ("2024-01-11", "a", "y", "view", None)])
    data = build_dataset(events)
    assert resolve_cutoff(data, TrainConfig()) == pytest.approx(pd.Timestamp("2024-01-09 12:00", tz="UTC").timestamp())
    fixed = config_from_dict({"evaluation": {"cutoff": "2024-01-05"}})
    assert resolve_cutoff(data, fixed) == pd.Timestamp("2024-01-05", tz="UTC").timestamp()


def test_no_test_users_is_a_clear_error():
    events = frame([("2024-01-01", "a", "x", "purchase", "o1"), ("2024-01-11", "b", "y", "purchase", "o2")])
    with pytest.raises(ValueError, match="cut-off"):
        evaluate(build_dataset(events), TrainConfig())

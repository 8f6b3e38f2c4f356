"""Selection on stores with a planted best signal: it must find it and never do worse."""
import numpy as np
import pandas as pd
import pytest

from training.config import config_from_dict
from training.dataset import build_dataset
from training.evaluation import evaluate
from training.selection import budget_seconds, labelled_windows, report_text, sample_trials, select


def staples_store(seed=0, customers=300, items=120, weeks=40):
    """Each customer re-buys their own three staples every week or two, and now and then one
    random product: only "buy again" knows what comes next."""
    rng = np.random.default_rng(seed)
    rows, order = [], 0
    start = pd.Timestamp("2024-01-01", tz="UTC")
    for user in range(customers):
        staples = rng.choice(items, 3, replace=False)
        for week in range(weeks):
            if rng.random() < 0.6:
                bought = list(rng.choice(staples, rng.integers(1, 3), replace=False))
                if rng.random() < 0.3:
                    bought.append(rng.integers(items))
                day = start + pd.Timedelta(days=7 * week + int(rng.integers(7)))
                rows += [(day, f"u{user}", f"p{item}", "purchase", f"o{order}", 1.0) for item in bought]
                order += 1
    events = pd.DataFrame(rows, columns=["timestamp", "user_id", "item_id", "event", "order_id", "quantity"])
    events["price"] = 2.0
    return build_dataset(events)


@pytest.fixture(scope="module")
def staples():
    data = staples_store()
    config = config_from_dict({"selection": {"als_trials": 2, "budget_seconds": 5.0}, "als": {"iterations": 5}})
    return data, config, select(data, config)


def test_selection_starts_from_the_planted_best_signal_and_keeps_at_least_its_quality(staples):
    _, _, chosen = staples
    singles = chosen.report["singles"]["all_purchases"]
    assert max(singles, key=singles.get) == "buy_again"
    weights = chosen.config.blend["all_purchases"]
    assert max(weights, key=weights.get) == "buy_again"
    for mode in ("new_items", "all_purchases"):
        assert chosen.report["blend"][mode]["ndcg"] >= max(chosen.report["singles"][mode].values()) - 1e-9


def test_the_chosen_model_is_no_worse_than_the_best_signal_on_the_holdout(staples):
    data, _, chosen = staples
    metrics = evaluate(data, chosen.config, chosen.rankers)["metrics"]["all_purchases"]
    best = metrics["ranker" if "all_purchases" in chosen.rankers else "blend"]["ndcg@10"]
    assert best >= 0.97 * metrics["buy_again"]["ndcg@10"]


def test_the_report_says_what_was_tried_and_what_won(staples):
    _, config, chosen = staples
    report = chosen.report
    assert [t["settings"] for t in report["als_trials"]][0] == {}  # the configured settings come first
    assert len(report["windows"]) == config.selection.windows
    for mode in ("new_items", "all_purchases"):
        ranker = report["ranker"][mode]
        assert report["chosen"][mode] == ("ranker" if ranker["used"] else "blend")
        assert ranker["used"] == (mode in chosen.rankers)
        assert ranker["used"] == (ranker["gain"] > config.ranker.min_gain)
    text = report_text(report)
    assert "buy-again purchase half-life" in text and "ranker" in text


def test_windows_lie_before_the_holdout_and_never_overlap(staples):
    data, config, _ = staples
    windows = labelled_windows(data, config)
    from training.evaluation import resolve_cutoff
    holdout = resolve_cutoff(data, config)
    ends = [holdout] + [w.cutoff for w in windows]
    assert all(later > earlier for later, earlier in zip(ends, ends[1:]))
    for window, end in zip(windows, ends):
        assert window.train.time.max() < window.cutoff < end


def test_trials_are_seeded_and_the_budget_grows_with_the_data():
    assert sample_trials(5, seed=1) == sample_trials(5, seed=1)
    assert sample_trials(5, seed=1) != sample_trials(5, seed=2)
    config = config_from_dict({})
    assert budget_seconds(config, 10_000_000) > budget_seconds(config, 100_000)
    assert budget_seconds(config_from_dict({"selection": {"budget_seconds": 7}}), 10**9) == 7.0


def test_disabled_selection_keeps_the_configured_settings():
    data = staples_store(customers=40, weeks=10)
    config = config_from_dict({"selection": {"enabled": False}})
    chosen = select(data, config)
    assert chosen.config == config and chosen.rankers == {} and chosen.report == {"enabled": False}


def test_a_ranker_needs_customers_to_learn_from():
    data = staples_store(customers=6, weeks=12)
    chosen = select(data, config_from_dict({"selection": {"als_trials": 1}, "als": {"iterations": 2}}))
    for mode in ("new_items", "all_purchases"):
        assert not chosen.report["ranker"][mode]["used"] and "needed" in chosen.report["ranker"][mode]["reason"]
    assert chosen.rankers == {}

"""The profiles stage: demo store, bad input, artifacts round trip, per-stage evaluation, real data."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recommender.lifecycle import STAGES, LifecycleConfig
from recommender.profiles import AUDIENCES, audiences
from training.config import TrainConfig
from training.dataset import build_dataset
from training.evaluation import evaluate
from training.events import load_events
from training.catalog import derive_catalog
from bundle.profiles import load_profiles, save_profiles
from training.profiles import build_profiles

ONLINE_RETAIL = Path(__file__).resolve().parents[3] / "shared" / "data" / "online_retail" / "online_retail.csv.gz"


@pytest.fixture(scope="module")
def demo_data(demo_store):
    return build_dataset(demo_store.events, demo_store.catalog)


@pytest.fixture(scope="module")
def demo_profiles(demo_data):
    return build_profiles(demo_data, LifecycleConfig())


def test_every_customer_gets_one_stage_and_the_summary_adds_up(demo_profiles, demo_data):
    summary = demo_profiles.summary
    sizes = {name: m["customers"] for name, m in summary["stages"].items()}
    assert list(sizes) == list(STAGES) and sum(sizes.values()) == demo_data.n_users
    assert all(size > 0 for size in sizes.values())
    assert sum(m["revenue_share"] for m in summary["stages"].values()) == pytest.approx(1.0, abs=1e-3)
    assert summary["live_segments"]["cart_abandoner"]["customers"] > 0
    assert summary["live_segments"]["browsing_interest"]["customers"] > 0
    assert set(summary["predictions"]["bg_nbd"]) == {"r", "alpha", "a", "b", "customers"}
    assert summary["key_moment"]["key_moment_days"] is not None
    assert len(summary["stage_history"]["dates"]) >= 2 and summary["cohorts"]["retention"][0][0] == 1.0
    json.dumps(summary, allow_nan=False)


def test_predictions_are_probabilities_for_buyers_only(demo_profiles):
    a = demo_profiles.arrays
    buyers = a["purchases"] > 0
    for name in ("p_alive", "p_buy_30d", "p_buy_90d"):
        assert ((a[name][buyers] >= 0) & (a[name][buyers] <= 1)).all() and np.isnan(a[name][~buyers]).all()
    assert (a["p_buy_30d"][buyers] <= a["p_buy_90d"][buyers]).all()
    assert (a["predicted_value_12m"][buyers] >= 0).all()


def test_lookups_for_rules_and_listings(demo_profiles):
    assert audiences() == AUDIENCES == (*STAGES, "cart_abandoner", "browsing_interest")
    user = str(demo_profiles.user_ids[0])
    segments = demo_profiles.segments_of(user)
    assert segments[0] == demo_profiles.segment_of(user) in STAGES
    assert demo_profiles.segments_of(None) == ("prospect",) == demo_profiles.segments_of("nobody")
    hero = demo_profiles.members("hero")
    values = demo_profiles.arrays["predicted_value_12m"][hero]
    assert (np.diff(values) <= 0).all()
    assert {demo_profiles.segment_of(str(u)) for u in demo_profiles.user_ids[hero]} == {"hero"}


def test_profiles_round_trip_through_files(demo_profiles, tmp_path):
    manifest_entry = save_profiles(tmp_path, demo_profiles)
    loaded = load_profiles(tmp_path, demo_profiles.user_ids, demo_profiles.category_names)
    assert manifest_entry["stages"] == {name: m["customers"] for name, m in demo_profiles.summary["stages"].items()}
    for name, array in demo_profiles.to_arrays().items():
        np.testing.assert_array_equal(loaded.arrays[name], array)
    assert loaded.summary == json.loads(json.dumps(demo_profiles.summary))
    with pytest.raises(ValueError, match="one row per user"):
        load_profiles(tmp_path, demo_profiles.user_ids[:-1], demo_profiles.category_names)


def _events(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["timestamp", "user_id", "item_id", "event", "quantity", "price", "order_id"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    return frame


def test_bad_input_gets_sensible_stages():
    events = _events([
        ("2024-01-01", "only-returns", "i1", "purchase", -2.0, 5.0, "r1"),
        ("2024-01-01", "only-returns", "i1", "view", 1.0, None, None),
        ("2024-01-02", "no-price", "i2", "purchase", 1.0, None, "o1"),
        ("2024-02-20", "no-price", "i2", "purchase", 1.0, None, "o2"),
        ("2024-01-03", "refunded", "i1", "purchase", 1.0, 10.0, "o3"),
        ("2024-01-04", "refunded", "i1", "purchase", -1.5, 10.0, "o4"),
        ("2024-03-01", "browser", "i2", "view", 1.0, None, None),
    ])
    profiles = build_profiles(build_dataset(events), LifecycleConfig())
    stage = {u: profiles.segment_of(u) for u in ("only-returns", "no-price", "refunded", "browser")}
    assert stage == {"only-returns": "prospect", "no-price": "active", "refunded": "first_time",
                     "browser": "prospect"}
    index = profiles.index_of("refunded")
    assert profiles.arrays["spend"][index] == 0.0 and profiles.profile(index)["rfm"]["m_score"] >= 1
    assert profiles.summary["predictions"] == {"bg_nbd": None, "gamma_gamma": None}
    json.dumps(profiles.summary, allow_nan=False)


def test_a_configured_analysis_date_ignores_later_events():
    events = _events([
        ("2024-01-02T09:00", "u1", "i1", "purchase", 1.0, 4.0, "o1"),
        ("2024-01-02T18:00", "u1", "i2", "purchase", 1.0, 6.0, "o2"),
        ("2024-01-20T08:00", "u1", "i2", "purchase", 1.0, 5.0, "o3"),
    ])
    profiles = build_profiles(build_dataset(events), LifecycleConfig(as_of="2024-01-02"))
    profile = profiles.profile(profiles.index_of("u1"))
    assert profiles.summary["as_of"] == "2024-01-02" and profile["stage"] == "first_time"
    assert (profile["rfm"]["frequency"], profile["rfm"]["monetary"], profile["rfm"]["recency_days"]) == (2, 10.0, 0)


def test_a_single_day_of_data():
    events = _events([("2024-05-01T10:00", f"u{i}", f"i{i % 3}", "purchase", 1.0, 3.0, f"o{i}") for i in range(30)]
                     + [("2024-05-01T11:00", "viewer", "i1", "view", 1.0, None, None)])
    profiles = build_profiles(build_dataset(events), LifecycleConfig())
    sizes = {name: m["customers"] for name, m in profiles.summary["stages"].items()}
    assert sizes == {"prospect": 1, "first_time": 30, "active": 0, "hero": 0, "at_risk": 0, "lapsed": 0}
    assert profiles.summary["key_moment"]["key_moment_days"] is None
    assert np.isnan(profiles.arrays["p_buy_30d"]).all()


def test_evaluation_reports_ndcg_per_stage(demo_data):
    result = evaluate(demo_data, TrainConfig())
    by_stage = result["metrics_by_stage"]
    for mode, stages in by_stage.items():
        assert set(stages) <= set(STAGES)
        assert sum(s["users"] for s in stages.values()) == result["test_users"][mode]
        assert all(set(s["ndcg@10"]) == set(result["metrics"][mode]) for s in stages.values())


@pytest.mark.skipif(not ONLINE_RETAIL.exists(), reason="shared store data not present")
def test_online_retail_figures_match_docs_segments_md():
    events, report = load_events(ONLINE_RETAIL, preset="online-retail")
    summary = build_profiles(build_dataset(events, derive_catalog(events, titles=report.titles)),
                             LifecycleConfig()).summary
    sizes = {name: m["customers"] for name, m in summary["stages"].items()}
    assert sizes == {"prospect": 0, "first_time": 1015, "active": 2268, "hero": 206, "at_risk": 521, "lapsed": 324}
    assert summary["key_moment"]["key_moment_days"] == 214
    assert summary["key_moment"]["interval_quantiles_days"]["p50"] == 57.0
    assert summary["store"]["repeat_revenue_share"] == pytest.approx(0.919, abs=1e-3)
    assert summary["stages"]["hero"]["revenue_share"] == pytest.approx(0.46, abs=5e-3)

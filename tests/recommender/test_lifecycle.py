"""Lifecycle stage rules on hand-built customers: every boundary, the limits, and RFM scores."""
import numpy as np
import pytest

from recommender.lifecycle import STAGES, LifecycleConfig, StageLimits, assign_stages, hero_threshold, stage_limits
from recommender.rfm import quintile_scores, rfm_scores

CONFIG = LifecycleConfig(active_factor=2.0, lapse_days=90.0, hero_share=0.2, hero_min_purchases=3)
LIMITS = StageLimits(window_days=30.0, interval_days=10.0)

# (purchase days, recency, first-to-last days, spend) → stage. Spend 1 keeps everyone out of the
# hero threshold (the top fifth of the 17 buyers below) except the four rows that spend 1,000.
CASES = [
    ((0, 0, 0, 0.0), "prospect"),
    ((1, 0, 0, 1.0), "first_time"),
    ((1, 30, 0, 1.0), "first_time"),      # window: 30 days
    ((1, 31, 0, 1.0), "at_risk"),
    ((1, 120, 0, 1.0), "at_risk"),        # window + lapse_days
    ((1, 121, 0, 1.0), "lapsed"),
    ((3, 20, 20, 1.0), "active"),         # own interval 10 → limit 2 × 10 = 20
    ((3, 21, 20, 1.0), "at_risk"),
    ((3, 110, 20, 1.0), "at_risk"),       # limit + lapse_days
    ((3, 111, 20, 1.0), "lapsed"),
    ((2, 100, 50, 1.0), "active"),        # own interval 50 → limit 100
    ((2, 101, 50, 1.0), "at_risk"),
    ((5, 20, 4, 1.0), "active"),          # own interval 1, store interval 10 → limit 20
    ((5, 21, 4, 1.0), "at_risk"),
    ((3, 20, 20, 1000.0), "hero"),
    ((2, 20, 20, 1000.0), "active"),      # top spender, but fewer than 3 purchase days
    ((3, 21, 20, 1000.0), "at_risk"),     # heroes are active customers
    ((3, 111, 20, 1000.0), "lapsed"),
]


def _stages(cases, limits=LIMITS, config=CONFIG):
    purchases, recency, span, spend = (np.array(column) for column in zip(*(case for case, _ in cases)))
    return [STAGES[code] for code in assign_stages(purchases, recency, span, spend, limits, config)]


def test_every_boundary_of_the_stage_rules():
    assert _stages(CASES) == [stage for _, stage in CASES]


def test_without_buyers_everyone_is_a_prospect():
    assert _stages([((0, -1, 0, 0.0), "prospect")] * 3) == ["prospect"] * 3


def test_zero_spend_buyers_get_stages_but_are_never_heroes():
    free = [((4, 1, 30, 0.0), "active"), ((1, 1, 0, 0.0), "first_time")]
    assert _stages(free) == ["active", "first_time"]
    assert hero_threshold(np.zeros(3), 0.05) == float("inf")


@pytest.mark.parametrize("moment, median, config, expected", [
    (40, 12.0, LifecycleConfig(), StageLimits(40.0, 12.0)),
    (3, 2.0, LifecycleConfig(), StageLimits(14.0, 2.0)),                       # window at least min_window_days
    (900, 50.0, LifecycleConfig(), StageLimits(365.0, 50.0)),                  # at most max_window_days
    (None, None, LifecycleConfig(), StageLimits(90.0, 90.0)),                  # unmeasured: default window
    (40, 12.0, LifecycleConfig(first_time_days=60, interval_days=7), StageLimits(60.0, 7.0)),
])
def test_stage_limits(moment, median, config, expected):
    assert stage_limits(moment, median, config) == expected


def test_quintile_scores_rank_the_scored_rows():
    values = np.array([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, -5], dtype=float)
    scored = np.arange(11) < 10
    assert quintile_scores(values, scored).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 0]


def test_tied_values_share_the_lowest_score():
    orders = np.array([1, 1, 1, 1, 1, 1, 2, 2, 3, 9])
    assert quintile_scores(orders, np.ones(10, bool)).tolist() == [1] * 6 + [4, 4, 5, 5]


def test_rfm_scores_prefer_recent_frequent_big_spenders():
    recency = np.array([1, 50, 100, 200, 300, -1])
    orders = np.array([9, 5, 3, 2, 1, 0])
    spend = np.array([900.0, 500.0, 300.0, 200.0, 100.0, 0.0])
    buyers = orders > 0
    assert rfm_scores(recency, orders, spend, buyers).tolist() == [
        [5, 5, 5], [4, 4, 4], [3, 3, 3], [2, 2, 2], [1, 1, 1], [0, 0, 0]]

"""The statistics, checked by simulation: A/A experiments are "significant" about α of the time, a
true uplift of the designed size is found with the designed power, and intervals cover the truth.

Small runs here (200 experiments of a few hundred visitors); ``python -m bench.run experiments``
runs the full-size calibration.
"""
from dataclasses import replace

import numpy as np
import pytest

from recommender.experiments import Outcomes, analyse, parse_experiment


def design(baseline: float, effect: float, weights=(1, 1)):
    return parse_experiment({"name": "sim", "placement": "home", "baseline_rate": baseline, "minimum_effect": effect,
                             "variants": [{"name": f"V{k}", "weight": w} for k, w in enumerate(weights)]})


def visitors(rng, n: int, click: float, buy: float = 0.3) -> Outcomes:
    impressions = rng.integers(1, 6, n).astype(float)
    clicks = rng.binomial(impressions.astype(int), click / 3)  # about click × (mean impressions) / 3 per visitor
    orders = (clicks > 0) & (rng.random(n) < buy)
    revenue = orders * rng.gamma(2.0, 25.0, n)
    return Outcomes(impressions, clicks.astype(float), orders.astype(float), revenue)


def click_rate(rng, n, p) -> Outcomes:
    clicked = (rng.random(n) < p).astype(float)
    return Outcomes(np.ones(n), clicked, clicked * (rng.random(n) < 0.2), clicked * 10.0)


def test_aa_experiments_are_significant_about_alpha_of_the_time():
    rng = np.random.default_rng(11)
    experiment = design(0.3, 0.3)
    n = experiment.sample_size
    flagged = {"click_rate": 0, "ctr": 0, "revenue_per_visitor": 0}
    for _ in range(200):
        results = analyse(experiment, [visitors(rng, n, 0.3), visitors(rng, n, 0.3)])
        for metric in flagged:
            flagged[metric] += results.variants[1].versus_control[metric].p_value < 0.05
    for metric, count in flagged.items():
        assert 0.02 <= count / 200 <= 0.08, (metric, count)


def test_a_true_uplift_of_the_designed_size_is_found_and_covered():
    rng = np.random.default_rng(12)
    experiment = design(0.3, 0.15)
    n, truth = experiment.sample_size, 0.15
    found = covered = 0
    for _ in range(200):
        results = analyse(experiment, [click_rate(rng, n, 0.3), click_rate(rng, n, 0.3 * (1 + truth))])
        compared = results.variants[1].versus_control["click_rate"]
        found += results.winner == "V1"
        covered += compared.low <= truth <= compared.high
    assert found / 200 >= 0.75 and 0.90 <= covered / 200 <= 0.99


def test_before_the_horizon_no_p_value_nor_decision():
    rng = np.random.default_rng(13)
    experiment = design(0.3, 0.2)
    results = analyse(experiment, [click_rate(rng, 50, 0.3), click_rate(rng, 50, 0.9)])
    assert results.decision == "collecting" and results.winner is None and not results.horizon_reached
    compared = results.variants[1].versus_control["click_rate"]
    assert compared.p_value is None and compared.uplift > 1  # the estimate itself is shown


def test_a_split_off_its_weights_is_flagged():
    rng = np.random.default_rng(14)
    experiment = design(0.3, 0.3)
    fair = analyse(experiment, [click_rate(rng, 1000, 0.3), click_rate(rng, 1010, 0.3)])
    broken = analyse(experiment, [click_rate(rng, 1000, 0.3), click_rate(rng, 1200, 0.3)])
    assert not fair.sample_ratio_mismatch and broken.sample_ratio_mismatch
    weighted = analyse(design(0.3, 0.3, (3, 1)), [click_rate(rng, 3000, 0.3), click_rate(rng, 1000, 0.3)])
    assert not weighted.sample_ratio_mismatch


def test_intervals_and_holm_with_three_variants():
    rng = np.random.default_rng(15)
    experiment = design(0.3, 0.3, (1, 1, 1))
    n = experiment.sample_size
    groups = [click_rate(rng, n, 0.3), click_rate(rng, n, 0.33), click_rate(rng, n, 0.45)]
    results = analyse(experiment, groups)
    assert results.winner == "V2" and results.decision == "significant"
    for variant in results.variants:
        estimate = variant.metrics["click_rate"]
        assert estimate.low < estimate.value < estimate.high
    assert results.variants[0].versus_control is None
    # Holm: the smaller raw p-value doubled, the larger one at least that
    raw = [analyse(design(0.3, 0.3), [groups[0], g]).variants[1].versus_control["click_rate"].p_value
           for g in groups[1:]]
    adjusted = [v.versus_control["click_rate"].p_value for v in results.variants[1:]]
    small, large = sorted(range(2), key=lambda k: raw[k])
    assert adjusted[small] == pytest.approx(min(1.0, 2 * raw[small]))
    assert adjusted[large] == pytest.approx(min(1.0, max(2 * raw[small], raw[large])))


def peeking(analysis: str, truth: float, seed: int, looks: int = 10) -> tuple[float, float]:
    """200 experiments read after every tenth of the sample size and stopped at the first significant
    read: the share stopped with a winner, and the mean share of the sample size used."""
    rng = np.random.default_rng(seed)
    experiment = parse_experiment({"name": "peek", "placement": "home", "baseline_rate": 0.2, "minimum_effect": 0.3,
                                   "analysis": analysis, "variants": [{"name": "A"}, {"name": "B"}]})
    n = experiment.sample_size
    if analysis == "fixed_horizon":  # what reading p-values before the horizon would do: show them at every look
        experiment = replace(experiment, sample_size=1)
    stopped, used = 0, 0.0
    for _ in range(200):
        a, b = rng.random(n) < 0.2, rng.random(n) < 0.2 * (1 + truth)
        for look in range(1, looks + 1):
            m = n * look // looks
            results = analyse(experiment, [Outcomes(np.ones(m), a[:m] * 1.0, np.zeros(m), np.zeros(m)),
                                           Outcomes(np.ones(m), b[:m] * 1.0, np.zeros(m), np.zeros(m))])
            if results.decision == "significant":
                stopped += 1
                break
        used += m / n
    return stopped / 200, used / 200


def test_peeking_at_fixed_horizon_p_values_inflates_false_winners_and_the_sequential_test_does_not():
    naive, _ = peeking("fixed_horizon", 0.0, 21)
    sequential, _ = peeking("sequential", 0.0, 21)
    assert naive > 0.12 and sequential <= 0.05


def test_the_sequential_test_stops_early_on_a_real_effect():
    found, used = peeking("sequential", 0.6, 22)  # twice the designed effect
    assert found >= 0.9 and used < 0.6


def test_sequential_results_show_the_decision_metrics_p_value_before_the_horizon():
    rng = np.random.default_rng(23)
    experiment = design(0.3, 0.2)
    sequential = replace(experiment, analysis="sequential")
    groups = [click_rate(rng, 300, 0.3), click_rate(rng, 300, 0.6)]
    results = analyse(sequential, groups)
    compared = results.variants[1].versus_control
    assert not results.horizon_reached and results.decision == "significant" and results.winner == "V1"
    assert compared["click_rate"].p_value < 0.05 and compared["conversion_rate"].p_value is None
    fixed = analyse(experiment, groups).variants[1].versus_control["click_rate"]
    assert compared["click_rate"].high - compared["click_rate"].low > fixed.high - fixed.low  # the price of peeking

"""The results of an experiment, per variant and against the control (the first variant).

Every metric is per visitor, the unit that was randomized, so visitors are independent draws:

- ``click_rate`` and ``conversion_rate``: the share of visitors who clicked a pick / made an
  attributed order, with Wilson intervals; against the control, the ratio's interval (log method)
  and the matching test from statsmodels;
- ``ctr``: clicks per impression, a ratio of two per-visitor sums, so its interval comes from the
  delta method (impressions of one visitor are not independent);
- ``revenue_per_visitor``: a mean with a normal interval, Welch's t-test against the control, and
  the relative uplift's interval by the delta method on the log of the ratio of means.

A ``fixed_horizon`` experiment is read once, at ``sample_size`` visitors in every variant: before
that, p-values and the decision are withheld, because looking at a p-value every day and stopping
at the first one below 0.05 makes false winners several times more often than 5 %. A
``sequential`` experiment tests its decision metric with the mSPRT (``sequential``): its p-value
and interval stay valid however often they are read, so it may stop as soon as they say so (the
other metrics' p-values still wait for the horizon). With more than one treatment, the decision
metric's p-values are Holm-adjusted. A sample-ratio mismatch (visitors per variant
off the configured split, chi-square p < 0.001) flags broken assignment or tracking.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import numpy as np
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint, test_proportions_2indep

from .design import Experiment
from .sequential import mixture_test

SRM_ALPHA = 0.001
CONFIDENCE = 0.95
PROPORTIONS = ("click_rate", "conversion_rate")


@dataclass(frozen=True)
class Outcomes:
    """One variant's visitors, one entry each: impressions, clicks, attributed orders and revenue."""

    impressions: np.ndarray
    clicks: np.ndarray
    orders: np.ndarray
    revenue: np.ndarray

    @classmethod
    def empty(cls) -> "Outcomes":
        return cls(*(np.zeros(0) for _ in range(4)))

    def __len__(self) -> int:
        return len(self.clicks)

    def successes(self, metric: str) -> int:
        return int(np.count_nonzero((self.clicks if metric == "click_rate" else self.orders) > 0))


@dataclass(frozen=True)
class Estimate:
    value: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True)
class Comparison:
    """A variant against the control: relative uplift with its interval, and the p-value."""

    uplift: float | None
    low: float | None
    high: float | None
    p_value: float | None


@dataclass(frozen=True)
class VariantResult:
    name: str
    weight: float
    visitors: int
    metrics: dict[str, Estimate]
    versus_control: dict[str, Comparison] | None


@dataclass(frozen=True)
class Results:
    variants: list[VariantResult]
    metric: str
    sample_size: int
    horizon_reached: bool
    analysis: str
    decision: str  # collecting | significant | not_significant
    winner: str | None
    sample_ratio_p: float | None
    sample_ratio_mismatch: bool

    def to_dict(self) -> dict:
        return asdict(self)


def analyse(experiment: Experiment, outcomes: list[Outcomes]) -> Results:
    """Per-variant estimates, comparisons with the control and the decision at the horizon."""
    z = float(stats.norm.ppf(0.5 + CONFIDENCE / 2))
    control = outcomes[0]
    reached = bool(experiment.sample_size) and min(len(o) for o in outcomes) >= experiment.sample_size
    comparisons = [None] + [_compare(o, control, z) for o in outcomes[1:]]
    sequential = experiment.analysis == "sequential"
    if sequential:
        comparisons = [None] + [{**c, experiment.metric: _sequential(experiment, o, control)}
                                for c, o in zip(comparisons[1:], outcomes[1:])]
    primary = [c[experiment.metric].p_value for c in comparisons[1:]]
    adjusted = _holm(primary)
    variants = []
    for variant, outcome, compared, p in zip(experiment.variants, outcomes, comparisons, [None] + adjusted):
        if compared is not None:  # before the horizon no p-value is shown: see the module's docstring
            compared = {name: replace(c, p_value=(p if name == experiment.metric else c.p_value)
                                      if reached or (sequential and name == experiment.metric) else None)
                        for name, c in compared.items()}
        variants.append(VariantResult(variant.name, variant.weight, len(outcome), _estimates(outcome, z), compared))
    decision, winner = _decide(experiment, variants, adjusted, reached)
    srm_p = _sample_ratio_p([len(o) for o in outcomes], experiment.weights)
    return Results(variants, experiment.metric, experiment.sample_size, reached, experiment.analysis, decision,
                   winner, srm_p,
                   srm_p is not None and srm_p < SRM_ALPHA)


def _estimates(o: Outcomes, z: float) -> dict[str, Estimate]:
    n = len(o)
    estimates = {name: _proportion(o.successes(name), n) for name in PROPORTIONS}
    estimates["ctr"] = _ratio_estimate(o.clicks, o.impressions, z)
    estimates["revenue_per_visitor"] = _mean_estimate(o.revenue, z)
    return estimates


def _proportion(successes: int, n: int) -> Estimate:
    if n == 0:
        return Estimate(None, None, None)
    low, high = proportion_confint(successes, n, alpha=1 - CONFIDENCE, method="wilson")
    return Estimate(successes / n, float(low), float(high))


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> tuple[float, float] | None:
    """Σ numerator / Σ denominator over visitors and its variance by the delta method."""
    n, total = len(denominator), float(np.sum(denominator))
    if n < 2 or total <= 0:
        return None
    ratio = float(np.sum(numerator)) / total
    mean_d = total / n
    residual = numerator - ratio * denominator
    return ratio, float(np.var(residual, ddof=1)) / (n * mean_d ** 2)


def _ratio_estimate(numerator: np.ndarray, denominator: np.ndarray, z: float) -> Estimate:
    found = _ratio(numerator, denominator)
    if found is None:
        return Estimate(None, None, None)
    ratio, variance = found
    half = z * math.sqrt(variance)
    return Estimate(ratio, max(ratio - half, 0.0), ratio + half)


def _mean(values: np.ndarray) -> tuple[float, float] | None:
    if len(values) < 2:
        return None
    return float(np.mean(values)), float(np.var(values, ddof=1)) / len(values)


def _mean_estimate(values: np.ndarray, z: float) -> Estimate:
    found = _mean(values)
    if found is None:
        return Estimate(None, None, None)
    mean, variance = found
    half = z * math.sqrt(variance)
    return Estimate(mean, mean - half, mean + half)


def _compare(o: Outcomes, control: Outcomes, z: float) -> dict[str, Comparison]:
    compared = {name: _compare_proportions(o.successes(name), len(o), control.successes(name), len(control))
                for name in PROPORTIONS}
    compared["ctr"] = _compare_delta(_ratio(o.clicks, o.impressions), _ratio(control.clicks, control.impressions), z)
    compared["revenue_per_visitor"] = _compare_delta(_mean(o.revenue), _mean(control.revenue), z,
                                                     _welch_p(o.revenue, control.revenue))
    return compared


def _compare_proportions(k: int, n: int, k0: int, n0: int) -> Comparison:
    if min(n, n0) == 0 or min(k, k0) == 0 or max(k - n, k0 - n0) == 0:
        return Comparison(None, None, None, None)
    low, high = confint_proportions_2indep(k, n, k0, n0, compare="ratio", method="log", alpha=1 - CONFIDENCE)
    p = test_proportions_2indep(k, n, k0, n0, compare="ratio", method="log").pvalue
    return Comparison((k / n) / (k0 / n0) - 1, float(low) - 1, float(high) - 1, float(p))


def _sequential(experiment: Experiment, o: Outcomes, control: Outcomes) -> Comparison:
    """The decision metric against the control, always valid: the mSPRT's p-value, and its confidence
    sequence for the difference of the rates as a relative uplift (divided by the control's rate)."""
    k, n, k0, n0 = o.successes(experiment.metric), len(o), control.successes(experiment.metric), len(control)
    found = mixture_test(k, n, k0, n0, experiment.baseline_rate * experiment.minimum_effect, experiment.alpha) \
        if min(n, n0) and k0 else None
    if found is None:
        return Comparison(None, None, None, None)
    p_value, low, high = found
    base = k0 / n0
    return Comparison((k / n) / base - 1, low / base, high / base, p_value)


def _compare_delta(treated: tuple[float, float] | None, control: tuple[float, float] | None, z: float,
                   p: float | None = None) -> Comparison:
    """Relative uplift of two estimates with their variances; the interval is the delta method's on
    the log of the ratio, the p-value (unless given) a z-test of the difference."""
    if treated is None or control is None or treated[0] <= 0 or control[0] <= 0:
        return Comparison(None, None, None, p)
    (value, variance), (base, base_variance) = treated, control
    log_se = math.sqrt(variance / value ** 2 + base_variance / base ** 2)
    ratio = value / base
    if p is None:
        spread = math.sqrt(variance + base_variance)
        p = float(2 * stats.norm.sf(abs(value - base) / spread)) if spread > 0 else None
    return Comparison(ratio - 1, ratio * math.exp(-z * log_se) - 1, ratio * math.exp(z * log_se) - 1, p)


def _welch_p(values: np.ndarray, control: np.ndarray) -> float | None:
    if len(values) < 2 or len(control) < 2 or (np.ptp(values) == 0 and np.ptp(control) == 0):
        return None
    return float(stats.ttest_ind(values, control, equal_var=False).pvalue)


def _holm(p_values: list[float | None]) -> list[float | None]:
    known = [p for p in p_values if p is not None]
    if len(known) < 2:
        return list(p_values)
    adjusted = iter(multipletests(known, method="holm")[1].tolist())
    return [next(adjusted) if p is not None else None for p in p_values]


def _decide(experiment: Experiment, variants: list[VariantResult], adjusted: list[float | None],
            reached: bool) -> tuple[str, str | None]:
    """The variant whose primary metric beats the control significantly (the one with the highest
    rate if several do; the control if it beats every treatment), else none: at the horizon, or at
    any time for a sequential experiment."""
    if not reached and experiment.analysis != "sequential":
        return "collecting", None
    better = [(v.metrics[experiment.metric].value, v.name) for v, p in zip(variants[1:], adjusted)
              if p is not None and p < experiment.alpha and v.versus_control[experiment.metric].uplift > 0]
    if better:
        return "significant", max(better)[1]
    worse = [p is not None and p < experiment.alpha and v.versus_control[experiment.metric].uplift < 0
             for v, p in zip(variants[1:], adjusted)]
    if all(worse):
        return "significant", variants[0].name
    return ("not_significant", None) if reached else ("collecting", None)


def _sample_ratio_p(visitors: list[int], weights: tuple[float, ...]) -> float | None:
    total = sum(visitors)
    if total == 0:
        return None
    expected = [w * total for w in weights]
    return float(stats.chisquare(visitors, expected).pvalue)

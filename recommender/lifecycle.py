"""Lifecycle stages: where each customer stands, by documented and configurable rules.

Counted in whole days as of the analysis date; ``recency`` is the number of days since the
customer's last purchase day. Each buyer has a *limit*, the recency up to which buying again is
still the likely outcome:

- one purchase day: the repurchase window — ``first_time_days`` when set, else the store's key
  moment (the day after which a first-time buyer is more likely never to return than to buy
  again; see ``key_moment.py``) kept between ``min_window_days`` and ``max_window_days``, and
  ``default_window_days`` when too few customers came back to measure it;
- two or more purchase days: ``active_factor`` × the longer of the customer's own mean days
  between purchase days and the store's typical interval (``interval_days`` when set, else the
  median days between first and second purchase, else the repurchase window).

Stages, in the order the rules apply (each customer gets exactly one):

- ``prospect``: browsed or carted, never bought;
- ``lapsed``: recency > limit + ``lapse_days``;
- ``at_risk``: recency > limit;
- ``first_time``: one purchase day (within the window);
- ``hero``: at least ``hero_min_purchases`` purchase days and spend in the top ``hero_share`` of
  all buyers' (within their limit);
- ``active``: every other repeat buyer within their limit.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STAGES = ("prospect", "first_time", "active", "hero", "at_risk", "lapsed")
STAGE_CODE = {name: code for code, name in enumerate(STAGES)}
STAGE_LABELS = {"prospect": "Browsers, no order yet", "first_time": "First-time buyers", "active": "Regular customers",
                "hero": "Best customers", "at_risk": "At risk (overdue)", "lapsed": "Lapsed"}


@dataclass(frozen=True)
class LifecycleConfig:
    as_of: str | None = None
    first_time_days: float | None = None
    min_window_days: float = 14.0
    max_window_days: float = 365.0
    default_window_days: float = 90.0
    interval_days: float | None = None
    active_factor: float = 2.0
    lapse_days: float = 90.0
    hero_share: float = 0.05
    hero_min_purchases: int = 3
    cart_days: float = 7.0
    browse_days: float = 14.0
    browse_min_views: int = 3
    fit_customers: int = 100_000
    top_n: int = 5


@dataclass(frozen=True)
class StageLimits:
    """The store-level numbers the rules need: repurchase window and typical interval, in days."""

    window_days: float
    interval_days: float


def stage_limits(key_moment_days: float | None, median_interval_days: float | None,
                 config: LifecycleConfig) -> StageLimits:
    """Resolve the window and typical interval from the settings and the store's measurements."""
    if config.first_time_days is not None:
        window = float(config.first_time_days)
    elif key_moment_days is None:
        window = float(config.default_window_days)
    else:
        window = float(np.clip(key_moment_days, config.min_window_days, config.max_window_days))
    if config.interval_days is not None:
        interval = float(config.interval_days)
    else:
        interval = float(median_interval_days) if median_interval_days is not None else window
    return StageLimits(window, interval)


def hero_threshold(spend: np.ndarray, share: float) -> float:
    """The spend from which a buyer with positive spend is in the top ``share`` (inf: nobody)."""
    values = np.asarray(spend, dtype=np.float64)
    values = values[values > 0]
    if not len(values) or share <= 0:
        return float("inf")
    return float(np.quantile(values, 1.0 - min(share, 1.0), method="higher"))


def assign_stages(purchases: np.ndarray, recency_days: np.ndarray, span_days: np.ndarray, spend: np.ndarray,
                  limits: StageLimits, config: LifecycleConfig) -> np.ndarray:
    """Stage codes (indices into ``STAGES``), one per customer.

    ``purchases`` counts purchase days, ``recency_days`` is days since the last one and
    ``span_days`` days from the first to the last (both ignored for non-buyers), ``spend`` the net
    revenue.
    """
    purchases = np.asarray(purchases)
    recency = np.asarray(recency_days, dtype=np.float64)
    spend = np.asarray(spend, dtype=np.float64)
    own_interval = np.asarray(span_days, dtype=np.float64) / np.maximum(purchases - 1, 1)
    limit = np.where(purchases <= 1, limits.window_days,
                     config.active_factor * np.maximum(own_interval, limits.interval_days))
    hero = ((purchases >= config.hero_min_purchases) & (spend > 0)
            & (spend >= hero_threshold(spend[purchases > 0], config.hero_share)))
    return np.select(
        [purchases <= 0, recency > limit + config.lapse_days, recency > limit, purchases == 1, hero],
        [STAGE_CODE["prospect"], STAGE_CODE["lapsed"], STAGE_CODE["at_risk"], STAGE_CODE["first_time"],
         STAGE_CODE["hero"]],
        default=STAGE_CODE["active"],
    ).astype(np.int8)

"""The key moment: when a first-time buyer's second purchase becomes less likely than never coming back.

Time to the second purchase is measured in whole days from the first purchase day. Customers
who have not come back yet are censored at the analysis date, so the curve is a Kaplan–Meier
estimate: ``S(d)`` = share still without a second purchase ``d`` days after their first. Its
plateau ``S∞`` (read where at least ``min_at_risk`` customers are still followed) is the share who
never return. Among buyers who have not returned by day ``d``, the share who still will is
``(S(d) − S∞) / S(d)``; the key moment is the first day on which that drops below one half, i.e.
``S(d) < 2·S∞``. When most first-time buyers never return (``S∞`` >= 0.5) it is day 0.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_REPEATERS = 20
MIN_AT_RISK = 20
QUANTILES = (0.25, 0.5, 0.75, 0.9)


@dataclass(frozen=True)
class KeyMoment:
    """The repurchase-interval distribution of one group of customers and its key moment."""

    customers: int
    repeaters: int
    day: int | None
    never_return: float | None
    quantiles: dict[str, float]
    histogram: list[int]

    def to_dict(self) -> dict:
        return {"customers": self.customers, "repeat_customers": self.repeaters, "key_moment_days": self.day,
                "never_return_share": self.never_return, "interval_quantiles_days": self.quantiles,
                "interval_histogram": self.histogram}


def survival(duration: np.ndarray, returned: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan–Meier ``S(d)`` for d = 0..max(duration), and the number at risk on each day."""
    duration = np.asarray(duration, dtype=np.int64)
    length = int(duration.max()) + 1 if len(duration) else 1
    ended = np.bincount(duration, minlength=length)
    events = np.bincount(duration[returned], minlength=length)
    at_risk = len(duration) - np.concatenate(([0], np.cumsum(ended)[:-1]))
    hazard = np.divide(events, at_risk, out=np.zeros(length), where=at_risk > 0)
    return np.cumprod(1.0 - hazard), at_risk


def key_moment(first_day: np.ndarray, second_day: np.ndarray, as_of_day: int) -> KeyMoment:
    """The key moment of the buyers whose first and second purchase days are given (second < 0: none)."""
    first_day, second_day = np.asarray(first_day, np.int64), np.asarray(second_day, np.int64)
    returned = second_day >= 0
    gaps = (second_day - first_day)[returned]
    histogram = np.bincount(gaps).tolist() if len(gaps) else []
    quantiles = {f"p{round(q * 100)}": float(np.quantile(gaps, q)) for q in QUANTILES} if len(gaps) else {}
    if returned.sum() < MIN_REPEATERS:
        return KeyMoment(len(first_day), int(returned.sum()), None, None, quantiles, histogram)
    duration = np.where(returned, second_day - first_day, as_of_day - first_day)
    curve, at_risk = survival(duration, returned)
    followed = np.flatnonzero(at_risk >= MIN_AT_RISK)
    plateau = float(curve[followed[-1]])
    below = np.flatnonzero(curve < 2.0 * plateau)
    day = int(below[0]) if len(below) else int(followed[-1])
    return KeyMoment(len(first_day), int(returned.sum()), day, round(plateau, 4), quantiles, histogram)


def key_moments_by_group(first_day: np.ndarray, second_day: np.ndarray, group: np.ndarray, as_of_day: int,
                         min_customers: int = 100, max_groups: int = 50) -> dict[int, KeyMoment]:
    """The key moment of each group (e.g. first purchase's category) with at least ``min_customers``
    buyers, largest groups first."""
    codes, counts = np.unique(group, return_counts=True)
    order = np.argsort(-counts, kind="stable")[:max_groups]
    return {int(codes[i]): key_moment(first_day[group == codes[i]], second_day[group == codes[i]], as_of_day)
            for i in order if counts[i] >= min_customers}

"""How the customer base changes over time: cohort retention and stage sizes at past dates."""
from __future__ import annotations

import numpy as np

from .customers import NEVER, CustomerFacts, Occasions
from .lifecycle import STAGES, LifecycleConfig, StageLimits, assign_stages


def month_number(days: np.ndarray) -> np.ndarray:
    """Calendar months since 1970-01 of day numbers."""
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def month_label(month: int) -> str:
    return str(np.datetime64(int(month), "M"))


def cohort_retention(occasions: Occasions, as_of_day: int, max_cohorts: int = 12, max_months: int = 12) -> dict:
    """For the latest monthly cohorts (customers by month of first purchase): the share of each
    cohort buying in each month after it, month 0 = the first purchase month (always 1). Only
    months complete by ``as_of_day`` count."""
    last_month = int(month_number([as_of_day + 1])[0]) - 1
    buyers = occasions.count > 0
    first_month = np.zeros(len(occasions.count), dtype=np.int64)
    first_month[buyers] = month_number(occasions.day[occasions.start[buyers]])
    month = month_number(occasions.day)
    offset = month - first_month[occasions.user]
    cohorts = np.unique(first_month[buyers & (first_month <= last_month)])[-max_cohorts:]
    width = max_months + 1
    keep = (offset <= max_months) & np.isin(first_month[occasions.user], cohorts)
    pairs = np.unique(occasions.user[keep] * width + offset[keep])
    cohort_index = np.searchsorted(cohorts, first_month[pairs // width])
    active = np.bincount(cohort_index * width + pairs % width, minlength=len(cohorts) * width)
    sizes = active.reshape(len(cohorts), width)[:, 0]
    rates = active.reshape(len(cohorts), width) / np.maximum(sizes, 1)[:, None]
    return {
        "cohorts": [month_label(c) for c in cohorts],
        "sizes": sizes.tolist(),
        "retention": [[round(float(v), 4) for v in row[: min(width, last_month - c + 1)]]
                      for row, c in zip(rates, cohorts)],
    }


def stage_history(facts: CustomerFacts, limits: StageLimits, config: LifecycleConfig, snapshots: int = 12) -> dict:
    """Stage sizes at the end of each of the last ``snapshots`` months and at the analysis date,
    with today's rules and limits; customers count from their first event on."""
    days = _snapshot_days(facts, snapshots)
    sizes = {name: [] for name in STAGES}
    for day in days:
        counts = np.bincount(_stages_on(facts, int(day), limits, config), minlength=len(STAGES))
        for name, count in zip(STAGES, counts):
            sizes[name].append(int(count))
    return {"dates": [str(np.datetime64(int(d), "D")) for d in days], "sizes": sizes}


def _snapshot_days(facts: CustomerFacts, snapshots: int) -> np.ndarray:
    seen = facts.first_event_day[facts.first_event_day != NEVER]
    start = int(seen.min()) if len(seen) else facts.as_of_day
    month_ends = (np.arange(month_number([start])[0] + 1, month_number([facts.as_of_day])[0] + 1)
                  .astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) - 1)
    month_ends = month_ends[(month_ends >= start) & (month_ends < facts.as_of_day)]
    return np.append(month_ends[max(len(month_ends) - snapshots + 1, 0):], facts.as_of_day)


def _stages_on(facts: CustomerFacts, day: int, limits: StageLimits, config: LifecycleConfig) -> np.ndarray:
    """Stages of the customers seen by ``day``, from their purchase days up to it."""
    occ = facts.occasions
    seen = (facts.first_event_day != NEVER) & (facts.first_event_day <= day)
    count = np.bincount(occ.user[occ.day <= day], minlength=len(occ.count))
    padded = np.append(occ.day, 0)  # users without purchases may start one past the end
    first, last = padded[occ.start], padded[occ.start + np.maximum(count - 1, 0)]
    cumulative = np.concatenate(([0.0], np.cumsum(occ.revenue)))
    spend = np.where(count > 0, cumulative[occ.start + count] - cumulative[occ.start], 0.0)
    stages = assign_stages(count, day - last, last - first, spend, limits, config)
    return stages[seen]

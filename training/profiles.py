"""The profiles stage of the training job: who each customer is and what each segment is worth.

From the dataset: per-customer facts → key moment → lifecycle stages, RFM, live segments and
BG/NBD + Gamma-Gamma predictions → segment metrics and the report's trends. The per-customer
arrays and the summary, with external ids, are written by ``bundle.profiles``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from recommender.communities import CommunityFinder, describe
from recommender.customers import NEVER, CustomerEvents, CustomerFacts, customer_facts
from recommender.key_moment import KeyMoment, key_moment, key_moments_by_group
from recommender.lifecycle import STAGES, LifecycleConfig, StageLimits, assign_stages, stage_limits
from recommender.live_segments import LIVE_SEGMENTS, browsing_interest, cart_abandoners
from recommender.predictions import predict_customers
from recommender.profiles import CustomerProfiles
from recommender.rfm import rfm_scores
from recommender.segments import Purchases, group_metrics, repeat_revenue_share
from recommender.trends import cohort_retention, stage_history

from .dataset import Dataset

@dataclass(frozen=True)
class Lifecycle:
    """Facts, key moment, the rules' limits and the stage of every customer as of one date."""

    facts: CustomerFacts
    moment: KeyMoment
    limits: StageLimits
    stages: np.ndarray


def customer_events(data: Dataset) -> CustomerEvents:
    """The known customers' events, as the customer models read them."""
    known = data.user >= 0
    return CustomerEvents(user=data.user[known], item=data.item[known], event=data.event[known],
                          time=data.time[known], quantity=data.quantity[known], revenue=data.revenue[known],
                          basket=data.basket[known], item_category=data.item_category, n_users=data.n_users)


def resolve_as_of(data: Dataset, config: LifecycleConfig) -> float:
    """The configured analysis moment (UTC; a date alone means the end of that day), or the data's
    last event."""
    if not config.as_of:
        return data.end_time
    moment = pd.Timestamp(config.as_of, tz="UTC")
    if len(config.as_of.strip()) == len("YYYY-MM-DD"):
        moment += pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
    return moment.timestamp()


def lifecycle_as_of(events: CustomerEvents, as_of: float, config: LifecycleConfig) -> Lifecycle:
    facts = customer_facts(events, as_of)
    moment = key_moment(facts.first_day, facts.occasions.nth_day(1), facts.as_of_day)
    median = moment.quantiles["p50"] if moment.day is not None else None
    limits = stage_limits(moment.day, median, config)
    stages = assign_stages(facts.purchases, facts.recency_days, facts.last_day - facts.first_day, facts.spend,
                           limits, config)
    return Lifecycle(facts, moment, limits, stages)


def stages_as_of(data: Dataset, as_of: float, config: LifecycleConfig) -> np.ndarray:
    """Stage codes of every user index from the events up to ``as_of`` (the evaluation's cut-off)."""
    return lifecycle_as_of(customer_events(data), as_of, config).stages


def build_profiles(data: Dataset, config: LifecycleConfig, behaviour: np.ndarray | None = None,
                   finder: CommunityFinder | None = None) -> CustomerProfiles:
    """Every customer's profile and the segment summary, as of ``resolve_as_of``; with
    ``behaviour`` (one vector per user index, e.g. ALS user factors) also their communities."""
    as_of = resolve_as_of(data, config)
    events = customer_events(data).before(as_of)
    life = lifecycle_as_of(events, as_of, config)
    facts = life.facts
    predictions, params = predict_customers(facts, config.fit_customers)
    arrays = {
        "stage": life.stages,
        "rfm": rfm_scores(facts.recency_days, facts.orders, facts.spend, facts.purchases > 0),
        "purchases": facts.purchases.astype(np.int32),
        "orders": facts.orders.astype(np.int32),
        "spend": facts.spend,
        "recency_days": facts.recency_days.astype(np.int32),
        "last_purchase_time": facts.last_purchase_time,
        "cart_abandoner": cart_abandoners(events, facts.last_purchase_time, as_of, config),
        "browsing_category": browsing_interest(events, as_of, config),
        **predictions,
    }
    summary = _summary(data, events, life, arrays, params, config)
    if behaviour is not None:
        found = (finder or CommunityFinder()).fit(behaviour)
        arrays["community"] = found.labels_
        summary["communities"] = _communities(data, events, found, arrays, config)
    return CustomerProfiles(data.user_ids, data.category_names, arrays, summary)


def _communities(data: Dataset, events: CustomerEvents, found: CommunityFinder, arrays: dict,
                 config: LifecycleConfig) -> dict:
    """The criterion that chose k, and each community's name, size, revenue share, average order,
    top products (bought) and categories (interacted with)."""
    lines = events.purchase_lines()
    purchases = Purchases(arrays["spend"], arrays["orders"], arrays["predicted_value_12m"], events.user[lines],
                          events.item[lines], data.item_category)
    named = describe(found.labels_, events.user, data.item_category[events.item], len(data.category_names),
                     data.category_names)
    groups = [{**_with_ids(group_metrics(found.labels_ == entry["id"], purchases, config.top_n), data), **entry}
              for entry in named]
    return {"criterion": "silhouette (cosine) on a sample", "k": found.k_,
            "silhouette": {str(k): round(v, 4) for k, v in found.silhouettes_.items()}, "groups": groups}


def _summary(data: Dataset, events: CustomerEvents, life: Lifecycle, arrays: dict, params: dict,
             config: LifecycleConfig) -> dict:
    facts = life.facts
    lines = events.purchase_lines()
    purchases = Purchases(facts.spend, facts.orders, arrays["predicted_value_12m"],
                          events.user[lines], events.item[lines], data.item_category)
    groups = {name: arrays["stage"] == code for code, name in enumerate(STAGES)}
    live = {"cart_abandoner": arrays["cart_abandoner"], "browsing_interest": arrays["browsing_category"] >= 0}
    return {
        "as_of": str(np.datetime64(facts.as_of_day, "D")),
        "definitions": {**asdict(config), "repurchase_window_days": life.limits.window_days,
                        "typical_interval_days": life.limits.interval_days},
        "store": _store_figures(facts),
        "stages": {name: _with_ids(group_metrics(mask, purchases, config.top_n), data)
                   for name, mask in groups.items()},
        "live_segments": {name: _with_ids(group_metrics(live[name], purchases, config.top_n), data)
                          for name in LIVE_SEGMENTS},
        "key_moment": {**life.moment.to_dict(), "by_category": _key_moments_by_category(data, facts)},
        "predictions": params,
        "cohorts": cohort_retention(facts.occasions, facts.as_of_day),
        "stage_history": stage_history(facts, life.limits, config),
    }


def _store_figures(facts: CustomerFacts) -> dict:
    return {"customers": len(facts.purchases), "buyers": int((facts.purchases > 0).sum()),
            "repeat_customers": int((facts.purchases >= 2).sum()), "revenue": round(float(facts.spend.sum()), 2),
            "repeat_revenue_share": repeat_revenue_share(facts.spend, facts.purchases)}


def _with_ids(metrics: dict, data: Dataset) -> dict:
    return {**metrics, "top_items": [str(data.item_ids[i]) for i in metrics["top_items"]],
            "top_categories": [str(data.category_names[c]) for c in metrics["top_categories"]]}


def _key_moments_by_category(data: Dataset, facts: CustomerFacts) -> dict:
    """Key moments by the category of the customer's first purchase (histograms left out)."""
    buyers = facts.first_item != NEVER
    category = data.item_category[facts.first_item[buyers]]
    moments = key_moments_by_group(facts.first_day[buyers], facts.occasions.nth_day(1)[buyers], category,
                                   facts.as_of_day)
    return {str(data.category_names[code]): {k: v for k, v in moment.to_dict().items() if k != "interval_histogram"}
            for code, moment in moments.items()}

"""Performance per placement and day: impressions, clicks, CTR, attributed add-to-carts, orders and
revenue, and revenue per 1,000 impressions — the numbers behind ``GET /v1/analytics/placements``,
the console's Performance page and its CSV.

Impressions and clicks count on the day they happen; an add-to-cart or purchase counts on its own
day, for the placement of the click it is attributed to. Days are UTC.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from recommender.customers import SECONDS_PER_DAY

from api.events.store import EventStore
from api.outcomes import queries
from api.outcomes.attribution import attribute

DAY_COLUMNS = ("placement", "day", "impressions", "clicks", "ctr", "add_to_carts", "orders", "revenue",
               "revenue_per_1000_impressions")
COUNTS = ("impressions", "clicks", "add_to_carts", "orders", "revenue")


def placement_days(store: EventStore, since: float, until: float, window_hours: float) -> pd.DataFrame:
    """One row per placement and day with any impression, click or attributed conversion."""
    window = window_hours * 3600.0
    middle = since + (until - since) / 2  # the counts read the most rows: two halves, one per core
    early, late, clicks, conversions = queries.in_parallel(
        store, lambda connection: queries.daily_counts(connection, since, middle),
        lambda connection: queries.daily_counts(connection, middle, until),
        lambda connection: queries.clicks(connection, since - window, until),
        lambda connection: queries.conversions(connection, since, until))
    counts = pd.concat([early, late], ignore_index=True)
    shown = (counts.pivot_table(index=["placement", "day"], columns="type", values="events", aggfunc="sum",
                                fill_value=0)
             .reindex(columns=list(queries.SHOWN), fill_value=0)
             .rename(columns={"impression": "impressions", "click": "clicks"}))
    earned = _attributed(clicks, conversions, window)
    days = shown.join(earned, how="outer").fillna(0).reset_index()
    days = days[days["placement"].notna()]
    for column in COUNTS:
        days[column] = days.get(column, 0)
    days = days.astype({"day": np.int64, "impressions": np.int64, "clicks": np.int64, "add_to_carts": np.int64,
                        "orders": np.int64})
    days["ctr"] = _share(days["clicks"], days["impressions"])
    days["revenue_per_1000_impressions"] = _share(days["revenue"] * 1000, days["impressions"])
    return days[list(DAY_COLUMNS)].sort_values(["placement", "day"]).reset_index(drop=True)


def totals(days: pd.DataFrame) -> pd.DataFrame:
    """Per placement, the sums over its days and the rates of those sums."""
    summed = days.groupby("placement")[list(COUNTS)].sum().reset_index()
    summed["ctr"] = _share(summed["clicks"], summed["impressions"])
    summed["revenue_per_1000_impressions"] = _share(summed["revenue"] * 1000, summed["impressions"])
    return summed


def _attributed(clicks: pd.DataFrame, conversions: pd.DataFrame, window: float) -> pd.DataFrame:
    """Add-to-carts, orders (distinct order ids) and revenue per (placement, day) of the clicks."""
    click = attribute(clicks, conversions, window)
    earned = conversions[click >= 0].copy()
    earned["placement"] = clicks["placement"].to_numpy()[click[click >= 0]]
    earned["day"] = (earned["at"] // SECONDS_PER_DAY).astype(np.int64)
    purchases = earned[earned["type"] == "purchase"].copy()
    purchases["revenue"] = purchases["price"].fillna(0) * purchases["quantity"].fillna(1)
    purchases["order"] = purchases["order_id"].fillna("").astype(str)
    keys = ["placement", "day"]
    carts = earned[earned["type"] == "cart"].groupby(keys).size().rename("add_to_carts")
    orders = purchases.groupby(keys)["order"].nunique().rename("orders")
    revenue = purchases.groupby(keys)["revenue"].sum().rename("revenue")
    return pd.concat([carts, orders, revenue], axis=1)


def _share(part: pd.Series, whole: pd.Series) -> pd.Series:
    return (part / whole.where(whole > 0)).astype(float)

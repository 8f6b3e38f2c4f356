"""A synthetic long-tail, grocery-like store for `make bench`: 100,000 products, ~2M purchase lines.

Drawn in numpy, seeded. Products sit in 200 aisles (categories) of 500, each aisle's sales
following a power law, so most products sell rarely. Every customer shops a few favourite aisles
and re-buys a handful of staples on and off (frequent repurchase), fills the rest of a basket
from those aisles, and now and then takes something popular from anywhere.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

AISLES, PER_AISLE = 200, 500
N_ITEMS = AISLES * PER_AISLE
START = pd.Timestamp("2025-01-01", tz="UTC")


def _power_rank(rng: np.random.Generator, size, limit: int, exponent: float = 0.6, scale: float = 12.0) -> np.ndarray:
    """Ranks in ``0..limit-1`` with a heavy head and a long tail: a Pareto draw, wrapped around."""
    return (rng.pareto(exponent, size) * scale).astype(np.int64) % limit


def generate(customers: int = 40_000, orders_per_customer: float = 10.0, basket: float = 5.0, days: int = 365,
             seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(events, catalog)`` in Vitrine's canonical columns."""
    rng = np.random.default_rng(seed)
    aisle_of_rank = rng.permutation(AISLES)
    favourites = aisle_of_rank[_power_rank(rng, (customers, 3), AISLES, 1.0, 30.0)]
    staples = favourites[np.arange(customers)[:, None], rng.integers(3, size=(customers, 8))] * PER_AISLE
    staples += _power_rank(rng, (customers, 8), PER_AISLE)
    n_orders = rng.poisson(orders_per_customer, customers) + 1
    order_user = np.repeat(np.arange(customers), n_orders)
    order_day = rng.integers(days, size=len(order_user))
    sizes = rng.poisson(basket - 1, len(order_user)) + 1
    line_order = np.repeat(np.arange(len(order_user)), sizes)
    user = order_user[line_order]
    kind = rng.random(len(line_order))
    item = np.empty(len(line_order), dtype=np.int64)
    staple = kind < 0.55
    item[staple] = staples[user[staple], rng.integers(8, size=int(staple.sum()))]
    aisle = (kind >= 0.55) & (kind < 0.9)
    chosen = favourites[user[aisle], rng.integers(3, size=int(aisle.sum()))]
    item[aisle] = chosen * PER_AISLE + _power_rank(rng, int(aisle.sum()), PER_AISLE)
    anywhere = kind >= 0.9
    item[anywhere] = aisle_of_rank[_power_rank(rng, int(anywhere.sum()), AISLES, 1.0, 30.0)] * PER_AISLE + \
        _power_rank(rng, int(anywhere.sum()), PER_AISLE)
    price = np.round(rng.lognormal(1.0, 0.6, N_ITEMS), 2)
    seconds = order_day[line_order] * 86_400 + rng.integers(8 * 3600, 20 * 3600, size=len(order_user))[line_order]
    events = pd.DataFrame({
        "timestamp": START + pd.to_timedelta(seconds, unit="s"),
        "user_id": np.char.add("c", user.astype(str)),
        "item_id": np.char.add("g", item.astype(str)),
        "event": "purchase",
        "order_id": np.char.add("o", line_order.astype(str)),
        "quantity": rng.integers(1, 4, size=len(line_order)).astype(float),
        "price": price[item],
    }).sort_values("timestamp", kind="stable")
    catalog = pd.DataFrame({"item_id": np.char.add("g", np.arange(N_ITEMS).astype(str)),
                            "title": [f"Product {i}" for i in range(N_ITEMS)],
                            "category": np.char.add("aisle-", (np.arange(N_ITEMS) // PER_AISLE).astype(str)),
                            "price": price})
    return events, catalog


def write(folder: Path, **kwargs) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    events, catalog = generate(**kwargs)
    paths = folder / "events.csv", folder / "catalog.csv"
    events.to_csv(paths[0], index=False, date_format="%Y-%m-%dT%H:%M:%SZ")
    catalog.to_csv(paths[1], index=False)
    return paths

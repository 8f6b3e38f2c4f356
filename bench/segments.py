"""Customer profiles and segments (the training job's ``profiles`` stage) for 1M synthetic customers.

The store is drawn directly as integer-indexed arrays: each customer buys on a geometric number
of days (a third never buy) spread over a year, one to six lines per order from a Zipf-like
catalog of 20,000 items in 200 categories, and views and carts a few items. The stage runs in
this process, as in ``vitrine train``; the goal is under a minute on 2 cores.
"""
from __future__ import annotations

import resource
import time

import numpy as np

from recommender.customers import CART, PURCHASE, SECONDS_PER_DAY, VIEW
from training.config import TrainConfig
from training.dataset import Dataset
from training.profiles import build_profiles

CUSTOMERS, ITEMS, CATEGORIES, DAYS = 1_000_000, 20_000, 200, 365
START = 1_700_000_000.0


def synthetic_store(customers: int = CUSTOMERS, seed: int = 0) -> Dataset:
    """A year of purchases, views and carts of ``customers`` customers."""
    rng = np.random.default_rng(seed)
    orders_per_user = np.where(rng.random(customers) < 1 / 3, 0, rng.geometric(0.35, customers))
    order_user = np.repeat(np.arange(customers), orders_per_user)
    order_time = START + rng.random(len(order_user)) * DAYS * SECONDS_PER_DAY
    lines_per_order = rng.integers(1, 7, len(order_user))
    line_order = np.repeat(np.arange(len(order_user)), lines_per_order)
    browse_user = rng.integers(0, customers, 4 * customers)
    user = np.concatenate([order_user[line_order], browse_user]).astype(np.int32)
    n_lines, n_browse = len(line_order), len(browse_user)
    event = np.concatenate([np.full(n_lines, PURCHASE), np.where(rng.random(n_browse) < 0.15, CART, VIEW)])
    item = np.minimum(rng.zipf(1.3, n_lines + n_browse) - 1, ITEMS - 1).astype(np.int32)
    quantity = rng.integers(1, 4, n_lines + n_browse).astype(np.float32)
    price = np.exp(rng.normal(3.0, 0.8, ITEMS))
    return Dataset(
        user_ids=np.char.add("c", np.arange(customers).astype(str)),
        item_ids=np.char.add("p", np.arange(ITEMS).astype(str)),
        category_names=np.char.add("category ", np.arange(CATEGORIES).astype(str)),
        item_category=rng.integers(0, CATEGORIES, ITEMS).astype(np.int32),
        user=user, item=item, event=event.astype(np.int8), quantity=quantity,
        time=np.concatenate([order_time[line_order], START + rng.random(n_browse) * DAYS * SECONDS_PER_DAY]),
        basket=np.concatenate([line_order, np.full(n_browse, -1)]).astype(np.int64),
        revenue=np.where(event == PURCHASE, quantity * price[item], 0.0),
    )


def run() -> str:
    started = time.perf_counter()
    data = synthetic_store()
    made = time.perf_counter() - started
    started = time.perf_counter()
    profiles = build_profiles(data, TrainConfig().lifecycle)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sizes = ", ".join(f"{name} {m['customers']:,}" for name, m in profiles.summary["stages"].items())
    return "\n".join([
        "## Customer profiles and segments", "",
        "Command: `make bench` (`bench/segments.py`): the `profiles` stage of `vitrine train` — facts, key moment,",
        "stages, RFM, live segments, BG/NBD + Gamma-Gamma fit (on 100,000 sampled buyers) and predictions for",
        "everyone, segment metrics, cohorts and stage history — on a synthetic store drawn in numpy.", "",
        "| customers | events | purchase lines | profiles s | peak RSS MiB |", "|---|---|---|---|---|",
        f"| {data.n_users:,} | {len(data.user):,} | {int((data.event == PURCHASE).sum()):,} | {seconds:.1f} | "
        f"{peak:,.0f} |", "",
        f"Stage sizes: {sizes}. (Drawing the store took {made:.1f} s, not counted.)",
    ])

"""Live "waiting" segments a storefront acts on quickly; a customer may be in several, besides a stage.

- ``cart_abandoner``: carted something in the last ``cart_days`` days and bought nothing since
  their last cart event;
- ``browsing_interest``: viewed one category at least ``browse_min_views`` times in the last
  ``browse_days`` days without buying in it in that time; the most viewed such category is kept.
"""
from __future__ import annotations

import numpy as np

from .customers import CART, PURCHASE, SECONDS_PER_DAY, VIEW, CustomerEvents
from .lifecycle import LifecycleConfig

LIVE_SEGMENTS = ("cart_abandoner", "browsing_interest")
NO_CATEGORY = -1


def cart_abandoners(events: CustomerEvents, last_purchase_time: np.ndarray, as_of: float,
                    config: LifecycleConfig) -> np.ndarray:
    """One bool per customer; ``last_purchase_time`` is NaN for customers who never bought."""
    carts = events.event == CART
    last_cart = np.full(events.n_users, -np.inf)
    np.maximum.at(last_cart, events.user[carts], events.time[carts])
    recent = (last_cart >= as_of - config.cart_days * SECONDS_PER_DAY) & (last_cart <= as_of)
    return recent & ~(np.nan_to_num(last_purchase_time, nan=-np.inf) >= last_cart)


def browsing_interest(events: CustomerEvents, as_of: float, config: LifecycleConfig) -> np.ndarray:
    """The category each customer keeps browsing without buying, ``NO_CATEGORY`` (-1) for none."""
    recent = (events.time >= as_of - config.browse_days * SECONDS_PER_DAY) & (events.time <= as_of)
    n_categories = max(events.n_categories, 1)
    key = events.user.astype(np.int64) * n_categories + events.item_category[events.item]
    views, counts = np.unique(key[recent & (events.event == VIEW)], return_counts=True)
    bought = np.unique(key[recent & (events.event == PURCHASE)])
    keep = (counts >= config.browse_min_views) & ~np.isin(views, bought)
    views, counts = views[keep], counts[keep]
    order = np.lexsort((views % n_categories, -counts, views // n_categories))
    views = views[order]
    users = views // n_categories
    first = np.ones(len(users), dtype=bool)
    first[1:] = users[1:] != users[:-1]
    out = np.full(events.n_users, NO_CATEGORY, dtype=np.int32)
    out[users[first]] = (views[first] % n_categories).astype(np.int32)
    return out

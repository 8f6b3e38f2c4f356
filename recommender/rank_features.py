"""Features of (customer, candidate item) pairs, the input of the learned re-ranker.

Every signal scores the catalog; a customer's candidates are the union of each signal's best
items. A pair is described by what each signal thinks of it (its scaled score and its rank among
that customer's candidates), by the item (popularity, trend, price, how often its buyers come back
for it) and by the customer's history with the item and its category (how long ago, how many
times and in what share of their orders, against the item's usual repurchase interval). Unknown values are NaN: a gradient-boosted
ranker learns which way a missing value should go.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .customers import CustomerEvents, SECONDS_PER_DAY

ITEM_FEATURES = ("popularity", "trend", "price", "repurchase_days", "repurchase_share")
PAIR_FEATURES = ("days_since_bought", "times_bought", "order_share", "bought_over_interval", "bought_over_rhythm",
                 "category_share", "days_since_category", "price_over_usual", "customer_orders", "customer_items",
                 "customer_repeat_share", "order_rhythm_days", "days_since_any", "stage")


@dataclass(frozen=True)
class ItemFacts:
    """Per item: recency-weighted ``popularity``, ``trend`` (short-term over long-term
    popularity), unit ``price`` (NaN when unknown), the median days between one customer's repeat
    purchases (``repurchase_days``, NaN when no one bought it twice) and the share of its buyers who
    did (``repurchase_share``)."""

    popularity: np.ndarray
    trend: np.ndarray
    price: np.ndarray
    category: np.ndarray
    repurchase_days: np.ndarray
    repurchase_share: np.ndarray

    def columns(self, items: np.ndarray) -> list[np.ndarray]:
        return [getattr(self, name)[items] for name in ITEM_FEATURES]


@dataclass(frozen=True)
class CustomerState:
    """What each customer did before ``as_of``: days since the last purchase of each item
    (``last_bought``) and category (``last_category``), purchase occasions per item
    (``times_bought``), each category's share of their purchases, their usual unit price, their
    number of orders, days since their last purchase and lifecycle ``stage`` code."""

    last_bought: sp.csr_matrix
    times_bought: sp.csr_matrix
    last_category: sp.csr_matrix
    category_share: sp.csr_matrix
    usual_price: np.ndarray
    orders: np.ndarray
    distinct_items: np.ndarray
    repeat_share: np.ndarray
    rhythm_days: np.ndarray
    days_since_any: np.ndarray
    stage: np.ndarray


def _pair_values(matrix: sp.csr_matrix, users: np.ndarray, cols: np.ndarray, missing: float) -> np.ndarray:
    """``matrix[users[i], cols[i]]`` for every pair, ``missing`` where the entry is absent."""
    present = sp.csr_matrix((np.ones(matrix.nnz, np.float32), matrix.indices, matrix.indptr), shape=matrix.shape)
    values = np.asarray(matrix[users, cols]).ravel().astype(np.float32)
    found = np.asarray(present[users, cols]).ravel() > 0
    return np.where(found, values, np.float32(missing))


def pair_features(users: np.ndarray, items: np.ndarray, facts: ItemFacts, state: CustomerState) -> np.ndarray:
    """``len(users) × (item + pair features)`` for aligned (customer row, item) pairs."""
    category = facts.category[items]
    days_bought = _pair_values(state.last_bought, users, items, np.nan)
    times = _pair_values(state.times_bought, users, items, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        over_interval = days_bought / facts.repurchase_days[items]
        over_rhythm = days_bought / state.rhythm_days[users]
        price_ratio = facts.price[items] / state.usual_price[users]
    with np.errstate(divide="ignore", invalid="ignore"):
        order_share = times / state.orders[users]
    pair = [days_bought, times, order_share, over_interval, over_rhythm,
            _pair_values(state.category_share, users, category, 0.0),
            _pair_values(state.last_category, users, category, np.nan),
            price_ratio, state.orders[users], state.distinct_items[users], state.repeat_share[users],
            state.rhythm_days[users], state.days_since_any[users], state.stage[users]]
    return np.column_stack(facts.columns(items) + pair).astype(np.float32)


def repurchase_intervals(events: CustomerEvents, n_items: int) -> tuple[np.ndarray, np.ndarray]:
    """Per item: median days between a customer's consecutive purchase days of it (NaN when never
    repeated), and the share of its buyers who bought it on two days or more."""
    lines = events.purchase_lines()
    day = np.floor(events.time[lines] / SECONDS_PER_DAY)
    user, item = events.user[lines], events.item[lines]
    order = np.lexsort((day, item, user))
    user, item, day = user[order], item[order], day[order]
    same = (user[1:] == user[:-1]) & (item[1:] == item[:-1])
    gaps = np.diff(day)
    repeat = same & (gaps > 0)
    median = np.full(n_items, np.nan, dtype=np.float32)
    if repeat.any():
        gap_item, gap_days = item[1:][repeat], gaps[repeat]
        by_item = np.lexsort((gap_days, gap_item))
        gap_item, gap_days = gap_item[by_item], gap_days[by_item]
        starts = np.flatnonzero(np.r_[True, gap_item[1:] != gap_item[:-1]])
        counts = np.diff(np.r_[starts, len(gap_item)])
        lower = gap_days[starts + (counts - 1) // 2]
        upper = gap_days[starts + counts // 2]
        median[gap_item[starts]] = (lower + upper) / 2
    first = np.r_[True, ~same] if len(user) else np.zeros(0, bool)
    buyers = np.bincount(item[first], minlength=n_items)
    repeaters_of = np.unique(np.stack([user[1:][repeat], item[1:][repeat]]), axis=1)[1] if repeat.any() else []
    repeaters = np.bincount(np.asarray(repeaters_of, dtype=np.int64), minlength=n_items)
    share = np.divide(repeaters, buyers, out=np.zeros(n_items, np.float32), where=buyers > 0)
    return median, share.astype(np.float32)


def personal_rhythm(events: CustomerEvents, n_items: int) -> sp.csr_matrix:
    """Users × items: a customer's mean days between their purchase days of an item, for the
    pairs bought on two days or more (the "you buy this about every N days" of an explanation)."""
    lines = events.purchase_lines()
    occasions = np.unique(np.stack([events.user[lines], events.item[lines],
                                    np.floor(events.time[lines] / SECONDS_PER_DAY)]), axis=1)
    user, item, day = occasions.astype(np.int64)
    starts = np.flatnonzero(np.r_[True, (user[1:] != user[:-1]) | (item[1:] != item[:-1])]) if len(user) else user
    counts = np.diff(np.r_[starts, len(user)])
    span = day[starts + counts - 1] - day[starts] if len(user) else day
    repeat = counts > 1
    return sp.csr_matrix(((span[repeat] / (counts[repeat] - 1)).astype(np.float32),
                          (user[starts][repeat], item[starts][repeat])), shape=(events.n_users, n_items))


def customer_state(events: CustomerEvents, as_of: float, stage: np.ndarray, price: np.ndarray) -> CustomerState:
    """Each customer's state from their purchases before ``as_of``; ``price`` is the unit price of
    each item (NaN when unknown), ``stage`` each customer's lifecycle stage code."""
    lines = events.purchase_lines()
    lines = lines[events.time[lines] < as_of]
    user, item = events.user[lines], events.item[lines]
    age = ((as_of - events.time[lines]) / SECONDS_PER_DAY).astype(np.float32)
    day = np.floor(events.time[lines] / SECONDS_PER_DAY)
    category = events.item_category[item]
    n_users, n_items = events.n_users, len(events.item_category)
    n_categories = max(events.n_categories, 1)
    last_bought = youngest_per_pair(user, item, age, (n_users, n_items))
    occasions = np.unique(np.stack([user, item, day]), axis=1) if len(user) else np.zeros((3, 0))
    times = sp.csr_matrix((np.ones(occasions.shape[1], np.float32), (occasions[0], occasions[1])),
                          shape=(n_users, n_items))
    counts = sp.csr_matrix((np.ones(len(user), np.float32), (user, category)), shape=(n_users, n_categories))
    totals = np.asarray(counts.sum(axis=1)).ravel()
    share = sp.diags(np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0)) @ counts
    known = ~np.isnan(price[item])
    price_sum = np.bincount(user[known], weights=price[item][known], minlength=n_users)
    price_n = np.bincount(user[known], minlength=n_users)
    usual = np.divide(price_sum, price_n, out=np.full(n_users, np.nan), where=price_n > 0).astype(np.float32)
    baskets = np.unique(np.stack([user, events.basket[lines]]), axis=1)[0] if len(user) else np.zeros(0, np.int64)
    since = np.full(n_users, np.nan, dtype=np.float32)
    first_age = np.full(n_users, np.nan, dtype=np.float32)
    if len(user):
        np.fmin.at(since, user, age)
        np.fmax.at(first_age, user, age)
    orders = np.bincount(baskets.astype(np.int64), minlength=n_users).astype(np.float32)
    distinct = np.diff(last_bought.indptr).astype(np.float32)
    occasions_per_user = np.asarray(times.sum(axis=1)).ravel()
    repeat = np.divide(occasions_per_user - distinct, occasions_per_user, out=np.full(n_users, np.nan, np.float32),
                       where=occasions_per_user > 0)
    rhythm = np.divide(first_age - since, orders - 1, out=np.full(n_users, np.nan, np.float32), where=orders > 1)
    return CustomerState(
        last_bought=last_bought, times_bought=times.tocsr(),
        last_category=youngest_per_pair(user, category, age, (n_users, n_categories)),
        category_share=sp.csr_matrix(share), usual_price=usual,
        orders=orders, distinct_items=distinct, repeat_share=repeat.astype(np.float32),
        rhythm_days=rhythm.astype(np.float32), days_since_any=since, stage=np.asarray(stage, dtype=np.float32),
    )


def youngest_per_pair(rows: np.ndarray, cols: np.ndarray, age: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    """The smallest ``age`` per (row, col), built straight from CSR arrays so that an age of 0 stays
    an explicit entry (a purchase on the last day is not "never bought")."""
    order = np.lexsort((age, cols, rows))
    rows, cols, age = rows[order], cols[order], age[order]
    first = np.r_[True, (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])] if len(rows) else np.zeros(0, bool)
    indptr = np.searchsorted(rows[first], np.arange(shape[0] + 1))
    return sp.csr_matrix((age[first], cols[first], indptr), shape=shape)

"""Per-customer purchase facts from integer-indexed events: the input of RFM, stages and BTYD.

A *purchase occasion* is a calendar day (UTC) on which a customer bought something (a purchase
event with a positive quantity); buying twice on one day is one occasion, as in the BG/NBD
literature. *Orders* are distinct baskets. Spend is the net revenue of all purchase events, so
refunds passed in as negative lines lower it (but never below zero). Everything is vectorized:
one sort of the purchase lines, then ``bincount`` and index arithmetic.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .interactions import EVENT_CODES

SECONDS_PER_DAY = 86_400.0
VIEW, CART, PURCHASE = EVENT_CODES["view"], EVENT_CODES["cart"], EVENT_CODES["purchase"]
NEVER = -1


@dataclass(frozen=True)
class CustomerEvents:
    """Aligned per-event arrays of known customers (``user`` >= 0) and the catalog's categories.

    ``revenue`` is quantity × unit price of purchase events (0 when the price is unknown, and for
    other events); ``basket`` identifies the order of a purchase event.
    """

    user: np.ndarray
    item: np.ndarray
    event: np.ndarray
    time: np.ndarray
    quantity: np.ndarray
    revenue: np.ndarray
    basket: np.ndarray
    item_category: np.ndarray
    n_users: int

    @property
    def n_categories(self) -> int:
        return int(self.item_category.max()) + 1 if len(self.item_category) else 0

    def before(self, as_of: float) -> "CustomerEvents":
        """Only the events up to ``as_of`` (seconds since the epoch); ``self`` when that is all."""
        keep = self.time <= as_of
        if keep.all():
            return self
        fields = ("user", "item", "event", "time", "quantity", "revenue", "basket")
        return CustomerEvents(**{f: getattr(self, f)[keep] for f in fields},
                              item_category=self.item_category, n_users=self.n_users)

    def purchase_lines(self) -> np.ndarray:
        """Indices of the purchase events that make occasions (positive quantity)."""
        return np.flatnonzero((self.event == PURCHASE) & (self.quantity > 0))


@dataclass(frozen=True)
class Occasions:
    """One row per (customer, purchase day), sorted by customer then day."""

    user: np.ndarray
    day: np.ndarray
    revenue: np.ndarray
    start: np.ndarray
    count: np.ndarray

    def nth_day(self, n: int) -> np.ndarray:
        """Each customer's ``n``-th purchase day (0 = first), ``NEVER`` when they have fewer."""
        has = self.count > n
        days = np.full(len(self.count), NEVER, dtype=np.int64)
        days[has] = self.day[self.start[has] + n]
        return days

    def last_day(self) -> np.ndarray:
        days = np.full(len(self.count), NEVER, dtype=np.int64)
        has = self.count > 0
        days[has] = self.day[self.start[has] + self.count[has] - 1]
        return days


@dataclass(frozen=True)
class CustomerFacts:
    """Per-customer facts as of ``as_of_day``; ``NEVER`` (-1) marks a day that did not happen."""

    as_of_day: int
    occasions: Occasions
    orders: np.ndarray
    spend: np.ndarray
    first_revenue: np.ndarray
    last_purchase_time: np.ndarray
    first_event_day: np.ndarray
    first_item: np.ndarray

    @property
    def purchases(self) -> np.ndarray:
        """Purchase occasions (days with a purchase) of every customer."""
        return self.occasions.count

    @property
    def first_day(self) -> np.ndarray:
        return self.occasions.nth_day(0)

    @property
    def last_day(self) -> np.ndarray:
        return self.occasions.last_day()

    @property
    def recency_days(self) -> np.ndarray:
        """Whole days since the last purchase day (0: bought on the last day); -1 for non-buyers."""
        last = self.last_day
        return np.where(last >= 0, self.as_of_day - last, NEVER)

    def btyd_summary(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(repeat purchases x, first-to-last days t_x, first-to-now days T) of the buyers' rows;
        zeros for customers who never bought."""
        first, last = self.first_day, self.last_day
        buyer = self.purchases > 0
        x = np.where(buyer, self.purchases - 1, 0).astype(np.float64)
        t_x = np.where(buyer, last - first, 0).astype(np.float64)
        age = np.where(buyer, self.as_of_day - first, 0).astype(np.float64)
        return x, t_x, age

    def repeat_value(self) -> np.ndarray:
        """Mean revenue of the purchase occasions after the first (0 without repeats)."""
        x = self.purchases - 1
        repeat_revenue = _occasion_total(self.occasions) - self.first_revenue
        return np.where(x > 0, repeat_revenue / np.maximum(x, 1), 0.0)


def day_number(seconds: np.ndarray | float) -> np.ndarray:
    """Calendar day (UTC) since the epoch."""
    return np.floor(np.asarray(seconds, dtype=np.float64) / SECONDS_PER_DAY).astype(np.int64)


def occasions_of(events: CustomerEvents, lines: np.ndarray) -> Occasions:
    """Collapse purchase ``lines`` into one row per (customer, day), summing their revenue."""
    user = events.user[lines].astype(np.int64)
    day = day_number(events.time[lines])
    first = int(day.min()) if len(day) else 0
    span = int(day.max()) - first + 1 if len(day) else 1
    keys, inverse = np.unique(user * span + (day - first), return_inverse=True)
    revenue = np.bincount(inverse, weights=events.revenue[lines], minlength=len(keys))
    occasion_user = keys // span
    count = np.bincount(occasion_user, minlength=events.n_users).astype(np.int64)
    start = np.concatenate(([0], np.cumsum(count)[:-1])).astype(np.int64)
    return Occasions(occasion_user, keys % span + first, revenue, start, count)


def customer_facts(events: CustomerEvents, as_of: float) -> CustomerFacts:
    """Facts for every customer index from the events up to ``as_of`` (seconds)."""
    events = events.before(as_of)
    lines = events.purchase_lines()
    occasions = occasions_of(events, lines)
    all_purchases = events.event == PURCHASE
    spend = np.bincount(events.user[all_purchases], weights=events.revenue[all_purchases], minlength=events.n_users)
    first_revenue = np.zeros(events.n_users)
    has = occasions.count > 0
    first_revenue[has] = occasions.revenue[occasions.start[has]]
    last_time = np.full(events.n_users, np.nan)
    np.fmax.at(last_time, events.user[lines], events.time[lines])
    first_event = np.full(events.n_users, np.iinfo(np.int64).max)
    np.minimum.at(first_event, events.user, day_number(events.time))
    first_event[first_event == np.iinfo(np.int64).max] = NEVER
    return CustomerFacts(
        as_of_day=int(day_number(as_of)),
        occasions=occasions,
        orders=_orders(events, lines),
        spend=np.maximum(spend, 0.0),
        first_revenue=first_revenue,
        last_purchase_time=last_time,
        first_event_day=first_event,
        first_item=_first_items(events, lines),
    )


def _orders(events: CustomerEvents, lines: np.ndarray) -> np.ndarray:
    """Distinct baskets per customer; a basket belongs to the customer of (one of) its lines."""
    basket = events.basket[lines]
    owner = np.full(int(basket.max()) + 1 if len(basket) else 0, -1, dtype=np.int64)
    owner[basket] = events.user[lines]
    return np.bincount(owner[owner >= 0], minlength=events.n_users).astype(np.int64)


def _first_items(events: CustomerEvents, lines: np.ndarray) -> np.ndarray:
    """An item of each customer's first purchase (-1 for non-buyers)."""
    user, time = events.user[lines], events.time[lines]
    first_time = np.full(events.n_users, np.inf)
    np.minimum.at(first_time, user, time)
    at_first = time == first_time[user]
    items = np.full(events.n_users, NEVER, dtype=np.int64)
    items[user[at_first]] = events.item[lines][at_first]
    return items


def _occasion_total(occasions: Occasions) -> np.ndarray:
    return np.bincount(occasions.user, weights=occasions.revenue, minlength=len(occasions.count))

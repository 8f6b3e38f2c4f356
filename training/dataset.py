"""Canonical events → integer-indexed arrays, the only form ``recommender/`` sees."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recommender.interactions import EVENT_CODES, InteractionConfig, confidence_matrix
from recommender.rank_features import youngest_per_pair

SECONDS_PER_DAY = 86_400.0
PURCHASE = EVENT_CODES["purchase"]


@dataclass(frozen=True)
class Dataset:
    """Aligned per-event arrays plus the id vocabularies that give them meaning.

    ``user`` is -1 for anonymous rows (kept for baskets only); ``basket`` is -1 for events that
    are not purchases. ``revenue`` is quantity × unit price of purchases (the event's price, else the
    catalog's, else 0) and 0 for other events.
    """

    user_ids: np.ndarray
    item_ids: np.ndarray
    category_names: np.ndarray
    item_category: np.ndarray
    user: np.ndarray
    item: np.ndarray
    event: np.ndarray
    quantity: np.ndarray
    time: np.ndarray
    basket: np.ndarray
    revenue: np.ndarray

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    @property
    def end_time(self) -> float:
        return float(self.time.max()) if len(self.time) else 0.0

    def age_days(self, now: float) -> np.ndarray:
        return (now - self.time) / SECONDS_PER_DAY

    def select(self, mask: np.ndarray) -> "Dataset":
        """The same vocabularies over a subset of events (e.g. those before a cut-off)."""
        fields = ("user", "item", "event", "quantity", "time", "basket", "revenue")
        return Dataset(
            self.user_ids, self.item_ids, self.category_names, self.item_category,
            **{name: getattr(self, name)[mask] for name in fields},
        )


def build_dataset(events: pd.DataFrame, catalog: pd.DataFrame | None = None, basket_gap_hours: float = 24.0) -> Dataset:
    """Factorize ids, keeping catalog order for items that have events and first-seen order otherwise."""
    user_codes, user_ids = pd.factorize(events["user_id"], use_na_sentinel=True)
    item_codes, item_ids = pd.factorize(events["item_id"])
    categories = _item_categories(np.asarray(item_ids, dtype=str), catalog)
    category_codes, category_names = pd.factorize(categories)
    event = events["event"].map(EVENT_CODES).to_numpy(dtype=np.int8)
    time = events["timestamp"].to_numpy(dtype="datetime64[ns]").astype(np.int64) / 1e9
    return Dataset(
        user_ids=np.asarray(user_ids, dtype=str),
        item_ids=np.asarray(item_ids, dtype=str),
        category_names=np.asarray(category_names, dtype=str),
        item_category=category_codes.astype(np.int32),
        user=user_codes.astype(np.int32),
        item=item_codes.astype(np.int32),
        event=event,
        quantity=events["quantity"].to_numpy(dtype=np.float32, na_value=1.0),
        time=time,
        basket=_basket_codes(events, user_codes, event, time, basket_gap_hours),
        revenue=_revenue(events, item_codes, np.asarray(item_ids, dtype=str), catalog, event),
    )


def _item_categories(item_ids: np.ndarray, catalog: pd.DataFrame | None) -> np.ndarray:
    if catalog is None or "category" not in catalog:
        return np.full(len(item_ids), "unknown", dtype=object)
    lookup = catalog.drop_duplicates("item_id").set_index("item_id")["category"]
    return lookup.reindex(item_ids).fillna("unknown").to_numpy(dtype=object)


def _revenue(events: pd.DataFrame, item: np.ndarray, item_ids: np.ndarray, catalog: pd.DataFrame | None,
             event: np.ndarray) -> np.ndarray:
    price = np.full(len(events), np.nan)
    if "price" in events:
        price = events["price"].to_numpy(dtype=np.float64, na_value=np.nan)
    if catalog is not None and "price" in catalog:
        listed = catalog.drop_duplicates("item_id").set_index("item_id")["price"].reindex(item_ids)
        price = np.where(np.isnan(price), listed.to_numpy(dtype=np.float64, na_value=np.nan)[item], price)
    quantity = events["quantity"].to_numpy(dtype=np.float64, na_value=1.0)
    return np.where(event == PURCHASE, quantity * np.nan_to_num(price), 0.0)


def _basket_codes(events: pd.DataFrame, user: np.ndarray, event: np.ndarray, time: np.ndarray, gap_hours: float) -> np.ndarray:
    """Orders are baskets; purchases without an order id are grouped per user until a gap."""
    is_purchase = event == PURCHASE
    has_order = events["order_id"].notna().to_numpy() if "order_id" in events else np.zeros(len(events), bool)
    basket = np.full(len(events), -1, dtype=np.int64)
    order_codes, _ = pd.factorize(events["order_id"]) if "order_id" in events else (basket, None)
    with_order = is_purchase & has_order
    basket[with_order] = order_codes[with_order]
    implied = np.flatnonzero(is_purchase & ~has_order & (user >= 0))
    if len(implied):
        order = implied[np.lexsort((time[implied], user[implied]))]
        new_user = np.r_[True, user[order][1:] != user[order][:-1]]
        gap = np.r_[True, np.diff(time[order]) > gap_hours * 3600.0]
        basket[order] = basket.max() + np.cumsum(new_user | gap)
    return basket


def interaction_matrices(data: Dataset, now: float, config: InteractionConfig) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """(confidence, decayed purchases), both users × items, from the known users' events; purchases
    decay with ``purchase_half_life_days``, which tuning chooses for "buy again" on its own."""
    known = data.user >= 0
    shape = (data.n_users, data.n_items)
    age = data.age_days(now)[known]
    confidence = confidence_matrix(
        data.user[known], data.item[known], data.event[known], data.quantity[known], age, shape, config
    )
    purchases_only = InteractionConfig(
        weights=type(config.weights)(view=0.0, cart=0.0, purchase=1.0),
        quantity_cap=config.quantity_cap,
        half_life_days=config.purchase_half_life_days,
        log_scale=False,
    )
    purchases = confidence_matrix(
        data.user[known], data.item[known], data.event[known], data.quantity[known], age, shape, purchases_only
    )
    return confidence, purchases


def basket_matrix(data: Dataset) -> sp.csr_matrix:
    """Baskets × items, 1 where the item was in the basket (anonymous orders included)."""
    mask = data.basket >= 0
    codes, baskets = np.unique(data.basket[mask], return_inverse=True)
    matrix = sp.csr_matrix(
        (np.ones(mask.sum(), dtype=np.float32), (baskets, data.item[mask])),
        shape=(len(codes), data.n_items),
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def last_purchase_ages(data: Dataset, now: float) -> sp.csr_matrix:
    """Users × items: days from each known user's last purchase of the item to ``now``.

    Built straight from CSR arrays, so a purchase at ``now`` is an explicit 0 rather than no entry."""
    bought = (data.user >= 0) & (data.event == PURCHASE)
    age = np.maximum(data.age_days(now)[bought], 0).astype(np.float32)
    return youngest_per_pair(data.user[bought], data.item[bought], age, (data.n_users, data.n_items))


def units_per_order(data: Dataset) -> np.ndarray:
    """Per item, the mean quantity of a purchase line (NaN for items never sold)."""
    bought = (data.event == PURCHASE) & (data.quantity > 0)
    units = np.bincount(data.item[bought], weights=data.quantity[bought], minlength=data.n_items)
    lines = np.bincount(data.item[bought], minlength=data.n_items)
    return np.divide(units, lines, out=np.full(data.n_items, np.nan), where=lines > 0)


def session_codes(data: Dataset, gap_minutes: float = 30.0) -> np.ndarray:
    """A session number per event, in time order of the sessions' starts (-1: none): a known
    visitor's events until a pause of ``gap_minutes``, and each anonymous order on its own."""
    codes = np.full(len(data.time), -1, dtype=np.int64)
    known = np.flatnonzero(data.user >= 0)
    order = known[np.lexsort((data.time[known], data.user[known]))]
    starts = np.r_[True, (data.user[order][1:] != data.user[order][:-1])
                   | (np.diff(data.time[order]) > gap_minutes * 60.0)] if len(order) else np.zeros(0, bool)
    codes[order] = np.cumsum(starts) - 1
    anonymous = np.flatnonzero((data.user < 0) & (data.basket >= 0))
    _, basket = np.unique(data.basket[anonymous], return_inverse=True)
    codes[anonymous] = (codes.max() + 1) + basket.ravel() if len(anonymous) else codes[anonymous]
    first = np.full(codes.max() + 1 if len(codes) and codes.max() >= 0 else 0, np.inf)
    has = codes >= 0
    np.minimum.at(first, codes[has], data.time[has])
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    codes[has] = rank[codes[has]]
    return codes


def session_matrix(data: Dataset, gap_minutes: float = 30.0) -> sp.csr_matrix:
    """Sessions × items (1 where the session touched the item), rows in time order."""
    codes = session_codes(data, gap_minutes)
    has = codes >= 0
    n = int(codes.max()) + 1 if has.any() else 0
    matrix = sp.csr_matrix((np.ones(int(has.sum()), np.float32), (codes[has], data.item[has])), shape=(n, data.n_items))
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix

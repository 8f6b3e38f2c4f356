"""Synthetic demo store: an event log and a catalog with planted structure.

The demo store is the default data of ``make run`` and the main fixture of the tests, so its
structure is known in advance and a good model has to recover it:

* categories come in complementary pairs (phones and phone cases, coffee machines and coffee
  beans); inside each category popularity follows a Zipf curve, which gives a long tail;
* every user belongs to a taste group that prefers two or three categories, strongly but not
  exclusively: some sessions browse any category and some views land on any item;
* a few percent of items have a planted complement that is very often bought in the same order;
* items of consumable categories (coffee beans, printer ink, ...) are rebought by repeat buyers
  at a per-item interval;
* users are browsers (no order), one-time buyers (exactly one order) or repeat buyers;
* each session is a funnel: views, some carts, and in a buying session a purchase with an order id.

Behaviour is stationary over the whole window, so the last days are predictable from the earlier
ones. Everything is vectorized over sessions and event rows: no Python loop runs per user or per
event, and ten million events take about ten seconds on two cores.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

DAY = 86_400

# Categories come in (main product, its accessory or consumable) pairs; past the end of the list
# the names repeat with a number ("phones 2").
CATEGORY_PAIRS = (
    ("phones", "phone cases"),
    ("coffee machines", "coffee beans"),
    ("laptops", "laptop bags"),
    ("printers", "printer ink"),
    ("cameras", "memory cards"),
    ("razors", "razor blades"),
    ("game consoles", "controllers"),
    ("dog beds", "dog food"),
    ("running shoes", "sports socks"),
    ("water filters", "filter cartridges"),
    ("tents", "sleeping bags"),
    ("toothbrushes", "brush heads"),
)
CONSUMABLE_CATEGORIES = frozenset(
    {"coffee beans", "printer ink", "razor blades", "dog food", "filter cartridges", "brush heads"}
)
BRANDS = (
    "Acme", "Nordlys", "Kestrel", "Umbra", "Solano", "Brightway", "Tessera", "Pinecrest",
    "Halcyon", "Vireo", "Marlow", "Quillon",
)

ITEMS_PER_CATEGORY = 40        # catalog size / this, within the bounds below
MIN_CATEGORY_PAIRS, MAX_CATEGORY_PAIRS = 5, 24
ZIPF_EXPONENT = 1.1            # popularity of the k-th item of a category ~ k ** -exponent
GROUP_TASTE_SPREAD = 0.5       # log-normal spread of a taste group's own liking for each item
OUT_OF_STOCK_SHARE = 0.05
DEMO_PRODUCT_PATH = "/demo/store/product/"  # where the demo store (api/storefront.py) serves a product
DEMO_IMAGE_PATH = "/demo/store/images/"  # and its generated picture
COMPLEMENT_SHARE = 0.08        # share of items that belong to a planted complement pair
ANCHOR_TO_PARTNER_RATE = 0.6   # buying the main product adds its partner to the order
PARTNER_TO_ANCHOR_RATE = 0.2
USER_TYPE_SHARES = (0.15, 0.35, 0.50)  # browsers, one-time buyers, repeat buyers
ACTIVITY_SPREAD = 0.75         # log-normal spread of the number of sessions per user
EXTRA_BUY_RATE = 0.3           # chance that a further session of a repeat buyer ends in an order
IN_TASTE_SESSION_RATE = 0.85   # sessions that browse one of the group's categories
NOISE_VIEW_RATE = 0.08         # views of a uniformly random item
MEAN_EXTRA_VIEWS = 2.5         # views per session = 1 + Poisson(this)
MAX_VIEWS = 30
CART_RATE_BUYING = 0.35        # the first view of a buying session is always carted and bought
CART_RATE_BROWSING = 0.08
PURCHASE_RATE = 0.7            # carted items of a buying session that are bought
MULTI_QUANTITY_RATE = (0.1, 0.4)  # share of quantities above one: other items, consumables
REBUY_RATE = 0.85              # each due rebuy of a consumable happens with this chance
REBUY_JITTER_DAYS = 2.0
# Rows (views, carts, purchases, complements, rebuys) per session, measured on the default store;
# it turns events_per_user into a number of sessions.
EVENTS_PER_SESSION = 5.4

VIEW, CART, PURCHASE = 0, 1, 2
BROWSER, ONE_TIME_BUYER, REPEAT_BUYER = 0, 1, 2
EVENT_NAMES = np.array(["view", "cart", "purchase"], dtype=object)
WRITE_CHUNK_ROWS = 1_000_000


@dataclass(frozen=True)
class DemoStore:
    """A generated store and the structure planted in it, for tests and demos to check against."""

    events: pd.DataFrame
    catalog: pd.DataFrame
    complements: list[tuple[str, str]]
    user_groups: dict[str, int]
    group_categories: dict[int, list[str]]
    consumables: list[str]


@dataclass(frozen=True)
class _Items:
    category: np.ndarray      # category index per item
    category_names: list[str]
    popularity: np.ndarray    # Zipf weight within the item's category
    price: np.ndarray
    partner: np.ndarray       # planted complement, -1 for none
    partner_rate: np.ndarray  # chance that buying the item adds its partner
    rebuy_days: np.ndarray    # rebuy interval of consumables, 0 for the rest


@dataclass(frozen=True)
class _Users:
    group: np.ndarray
    kind: np.ndarray          # BROWSER, ONE_TIME_BUYER or REPEAT_BUYER


@dataclass(frozen=True)
class _Sessions:
    user: np.ndarray
    category: np.ndarray      # the category the session browses
    buys: np.ndarray          # whether the session ends in an order
    n_views: np.ndarray
    start: np.ndarray         # seconds since the window start
    checkout: np.ndarray


@dataclass(frozen=True)
class _Rows:
    """Event rows under construction; ``basket`` is the session, or the order of a rebuy."""

    user: np.ndarray
    item: np.ndarray
    kind: np.ndarray
    t: np.ndarray
    quantity: np.ndarray
    basket: np.ndarray

    def take(self, index: np.ndarray, **changes: np.ndarray | int) -> _Rows:
        """The selected rows, with some columns replaced (a scalar is broadcast)."""
        columns = {name: getattr(self, name)[index] for name in self.__dataclass_fields__}
        for name, value in changes.items():
            columns[name] = np.broadcast_to(value, columns[name].shape).astype(np.int64)
        return _Rows(**columns)

    @staticmethod
    def concat(parts: list[_Rows]) -> _Rows:
        return _Rows(**{
            name: np.concatenate([getattr(part, name) for part in parts])
            for name in _Rows.__dataclass_fields__
        })


class _ItemSampler:
    """Draws items of given categories with the popularity a given taste group sees.

    The per-(group, category) cumulative distributions are laid end to end in one sorted key
    array, block ``group * n_categories + category`` spanning keys ``[block, block + 1)``, so one
    ``searchsorted`` serves every draw at once.
    """

    def __init__(self, items: _Items, n_groups: int, rng: np.random.Generator) -> None:
        n_items, n_categories = len(items.category), len(items.category_names)
        self._order = np.argsort(items.category, kind="stable")
        sorted_category = items.category[self._order]
        self._starts = np.searchsorted(sorted_category, np.arange(n_categories))
        self._ends = np.searchsorted(sorted_category, np.arange(n_categories), side="right")
        self._n_items, self._n_categories = n_items, n_categories
        taste = items.popularity[self._order] * np.exp(
            GROUP_TASTE_SPREAD * rng.standard_normal((n_groups, n_items)))
        cumulative = np.cumsum(taste, axis=1)
        before = np.hstack([np.zeros((n_groups, 1)), cumulative])[:, self._starts]
        total = cumulative[:, self._ends - 1] - before
        within = (cumulative - before[:, sorted_category]) / total[:, sorted_category]
        blocks = np.arange(n_groups)[:, None] * n_categories + sorted_category
        self._keys = (blocks + within).ravel()

    def sample(self, group: np.ndarray, category: np.ndarray,
               rng: np.random.Generator) -> np.ndarray:
        block = group * self._n_categories + category
        flat = np.searchsorted(self._keys, block + rng.random(len(block)), side="right")
        # Clipping guards against rounding at a block's upper edge.
        position = np.clip(flat - group * self._n_items,
                           self._starts[category], self._ends[category] - 1)
        return self._order[position]


def generate_demo_store(n_users: int = 2000, n_items: int = 500, seed: int = 0,
                        events_per_user: float = 30.0, days: int = 120,
                        end: str = "2026-01-01") -> DemoStore:
    """Generate a store of about ``n_users * events_per_user`` events over ``days`` days.

    The same arguments always give the same store; the window ends at ``end`` (UTC, exclusive).
    """
    _check_arguments(n_users, n_items, events_per_user, days)
    rng = np.random.default_rng(seed)
    items = _make_items(n_items, rng)
    group_categories = _make_groups(len(items.category_names), rng)
    users = _make_users(n_users, len(group_categories), rng)
    n_sessions = round(n_users * events_per_user / EVENTS_PER_SESSION)
    sessions = _make_sessions(users, group_categories, n_sessions, days * DAY, rng)
    sampler = _ItemSampler(items, len(group_categories), rng)
    views = _browse(sessions, users, sampler, n_items, rng)
    carts, purchases = _funnel(views, sessions, items, rng)
    complements = _add_complements(purchases, items, rng)
    rebuys = _rebuy_consumables(purchases, users, items, len(sessions.user), days * DAY, rng)
    rows = _deduplicate(_Rows.concat([views, carts, purchases, complements, rebuys]), n_items)
    catalog = _catalog_frame(items, rng)
    window_start = pd.Timestamp(end, tz="UTC") - pd.Timedelta(days=days)
    user_ids = _ids("u", n_users)
    return DemoStore(
        events=_events_frame(rows, user_ids, catalog, window_start),
        catalog=catalog,
        complements=_complement_pairs(items, catalog),
        user_groups=dict(zip(user_ids.tolist(), users.group.tolist())),
        group_categories={
            group: [items.category_names[c] for c in categories]
            for group, categories in enumerate(group_categories)
        },
        consumables=catalog["item_id"][items.rebuy_days > 0].tolist(),
    )


def write_demo_store(store: DemoStore, out_dir: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write ``events.csv`` (ISO 8601 UTC timestamps) and ``catalog.csv``; return their paths.

    Events are written in chunks so that the formatted timestamps of a large store never all sit
    in memory at once.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    events_path, catalog_path = out / "events.csv", out / "catalog.csv"
    with open(events_path, "w", encoding="utf-8", newline="") as file:
        for start in range(0, max(len(store.events), 1), WRITE_CHUNK_ROWS):
            chunk = store.events.iloc[start:start + WRITE_CHUNK_ROWS]
            chunk.assign(timestamp=_iso_seconds(chunk["timestamp"])).to_csv(
                file, index=False, header=start == 0, lineterminator="\n")
    store.catalog.to_csv(catalog_path, index=False, lineterminator="\n")
    return events_path, catalog_path


def _iso_seconds(timestamp: pd.Series) -> np.ndarray:
    """``2026-01-01T00:00:00Z`` strings, much faster than ``to_csv(date_format=...)``."""
    seconds = timestamp.dt.tz_localize(None).to_numpy().astype("datetime64[s]")
    return np.char.add(np.datetime_as_string(seconds, unit="s"), "Z")


def _check_arguments(n_users: int, n_items: int, events_per_user: float, days: int) -> None:
    if n_users < 1:
        raise ValueError(f"n_users must be at least 1, got {n_users}")
    if n_items < 4 * MIN_CATEGORY_PAIRS:
        raise ValueError(
            f"n_items must be at least {4 * MIN_CATEGORY_PAIRS} (two per category), got {n_items}")
    if not events_per_user > 0:
        raise ValueError(f"events_per_user must be positive, got {events_per_user}")
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")


def _make_items(n_items: int, rng: np.random.Generator) -> _Items:
    n_pairs = int(np.clip(n_items // (2 * ITEMS_PER_CATEGORY),
                          MIN_CATEGORY_PAIRS, MAX_CATEGORY_PAIRS))
    names = _category_names(n_pairs)
    category = rng.permutation(np.arange(n_items) % len(names))
    rank = _rank_within(category, rng.random(n_items))
    is_accessory = np.arange(len(names)) % 2 == 1
    base_price = np.where(is_accessory, rng.lognormal(np.log(20), 0.5, len(names)),
                          rng.lognormal(np.log(150), 0.6, len(names)))[category]
    price = np.floor(base_price * rng.lognormal(0, 0.35, n_items)) + 0.99
    popularity = (rank + 1.0) ** -ZIPF_EXPONENT
    partner, partner_rate = _plant_complements(category, rank, rng)
    consumable = np.isin(category, [
        i for i, name in enumerate(names) if _base(name) in CONSUMABLE_CATEGORIES])
    rebuy_days = np.where(consumable, rng.integers(14, 46, n_items), 0)
    return _Items(category, names, popularity, price, partner, partner_rate, rebuy_days)


def _category_names(n_pairs: int) -> list[str]:
    names = []
    for i in range(n_pairs):
        round_, pair = divmod(i, len(CATEGORY_PAIRS))
        suffix = f" {round_ + 1}" if round_ else ""
        names.extend(name + suffix for name in CATEGORY_PAIRS[pair])
    return names


def _base(name: str) -> str:
    """A category name without its repeat number."""
    return name.rstrip(" 0123456789")


def _rank_within(category: np.ndarray, tiebreak: np.ndarray) -> np.ndarray:
    """Rank (0 first) of each item inside its category, in ``tiebreak`` order."""
    order = np.lexsort((tiebreak, category))
    sorted_category = category[order]
    starts = np.searchsorted(sorted_category, sorted_category)
    rank = np.empty(len(category), dtype=np.int64)
    rank[order] = np.arange(len(category)) - starts
    return rank


def _plant_complements(category: np.ndarray, rank: np.ndarray,
                       rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Pair best-selling main products with random items of their accessory category."""
    n_items = len(category)
    mains = np.flatnonzero(category % 2 == 0)
    n_pairs = min(max(1, round(COMPLEMENT_SHARE * n_items / 2)), len(mains))
    anchors = np.sort(mains[np.lexsort((rng.random(len(mains)), rank[mains]))[:n_pairs]])
    shuffled = np.lexsort((rng.random(n_items), category))
    starts = np.searchsorted(category[shuffled], np.arange(category.max() + 2))
    accessory = category[anchors] + 1
    slot = starts[accessory] + _rank_within(category[anchors], anchors)
    fits = slot < starts[accessory + 1]
    anchors, partners = anchors[fits], shuffled[slot[fits]]
    partner = np.full(n_items, -1)
    partner_rate = np.zeros(n_items)
    partner[anchors], partner[partners] = partners, anchors
    partner_rate[anchors], partner_rate[partners] = ANCHOR_TO_PARTNER_RATE, PARTNER_TO_ANCHOR_RATE
    return partner, partner_rate


def _make_groups(n_categories: int, rng: np.random.Generator) -> list[list[int]]:
    """One taste group per category pair; about half the groups like one more category."""
    groups = []
    for group in range(n_categories // 2):
        categories = [2 * group, 2 * group + 1]
        if rng.random() < 0.5:
            others = np.setdiff1d(np.arange(n_categories), categories)
            categories.append(int(rng.choice(others)))
        groups.append(categories)
    return groups


def _make_users(n_users: int, n_groups: int, rng: np.random.Generator) -> _Users:
    group = rng.integers(n_groups, size=n_users)
    kind = rng.choice(3, size=n_users, p=USER_TYPE_SHARES)
    return _Users(group, kind)


def _make_sessions(users: _Users, group_categories: list[list[int]], n_sessions: int,
                   window: int, rng: np.random.Generator) -> _Sessions:
    """Sessions spread uniformly over the window; repeat buyers have at least two orders."""
    n_users = len(users.group)
    minimum = np.where(users.kind == REPEAT_BUYER, 2, 1)
    activity = rng.lognormal(0, ACTIVITY_SPREAD, n_users)
    extra = max(n_sessions - minimum.sum(), 0) * activity / activity.sum()
    per_user = minimum + rng.poisson(extra)
    user = np.repeat(np.arange(n_users), per_user)
    rank = np.arange(len(user)) - np.repeat(np.cumsum(per_user) - per_user, per_user)
    ordered = np.repeat(rng.integers(0, per_user), per_user)
    kind = users.kind[user]
    buys = ((kind == ONE_TIME_BUYER) & (rank == ordered)) | ((kind == REPEAT_BUYER) & (
        (rank == ordered) | (rank == (ordered + 1) % per_user[user])
        | (rng.random(len(user)) < EXTRA_BUY_RATE)))
    category = _session_categories(users.group[user], group_categories, rng)
    n_views = 1 + np.minimum(rng.poisson(MEAN_EXTRA_VIEWS, len(user)), MAX_VIEWS - 1)
    start = rng.integers(0, window - 3600, len(user))
    checkout = start + 60 * n_views + rng.integers(30, 240, len(user))
    return _Sessions(user, category, buys, n_views, start, checkout)


def _session_categories(group: np.ndarray, group_categories: list[list[int]],
                        rng: np.random.Generator) -> np.ndarray:
    n_categories = 2 * len(group_categories)
    table = np.array([c + c[:1] * (3 - len(c)) for c in group_categories])
    count = np.array([len(c) for c in group_categories])
    liked = table[group, (rng.random(len(group)) * count[group]).astype(np.int64)]
    anything = rng.integers(n_categories, size=len(group))
    return np.where(rng.random(len(group)) < IN_TASTE_SESSION_RATE, liked, anything)


def _browse(sessions: _Sessions, users: _Users, sampler: _ItemSampler, n_items: int,
            rng: np.random.Generator) -> _Rows:
    """One view row per viewed item, a minute apart; a few views land on any item."""
    session = np.repeat(np.arange(len(sessions.user)), sessions.n_views)
    position = np.arange(len(session)) - np.repeat(
        np.cumsum(sessions.n_views) - sessions.n_views, sessions.n_views)
    user = sessions.user[session]
    item = sampler.sample(users.group[user], sessions.category[session], rng)
    noise = rng.random(len(item)) < NOISE_VIEW_RATE
    item[noise] = rng.integers(n_items, size=int(noise.sum()))
    t = sessions.start[session] + 60 * position + rng.integers(0, 45, len(session))
    ones = np.ones(len(item), dtype=np.int64)
    return _Rows(user, item, VIEW * ones, t, ones, session)


def _funnel(views: _Rows, sessions: _Sessions, items: _Items,
            rng: np.random.Generator) -> tuple[_Rows, _Rows]:
    """Carts and purchases from views; the first view of a buying session is always bought."""
    buys = sessions.buys[views.basket]
    first = np.r_[True, views.basket[1:] != views.basket[:-1]]
    forced = buys & first
    cart_rate = np.where(buys, CART_RATE_BUYING, CART_RATE_BROWSING)
    carted = forced | (rng.random(len(buys)) < cart_rate)
    bought = forced | (buys & carted & (rng.random(len(buys)) < PURCHASE_RATE))
    quantity = _quantities(views.item, items, rng)
    cart_delay = rng.integers(5, 40, int(carted.sum()))
    carts = views.take(carted, kind=CART, t=views.t[carted] + cart_delay, quantity=quantity[carted])
    purchases = views.take(bought, kind=PURCHASE, t=sessions.checkout[views.basket[bought]],
                           quantity=quantity[bought])
    return carts, purchases


def _quantities(item: np.ndarray, items: _Items, rng: np.random.Generator) -> np.ndarray:
    """Mostly one; consumables are more often bought several at a time."""
    other_rate, consumable_rate = MULTI_QUANTITY_RATE
    multi_rate = np.where(items.rebuy_days[item] > 0, consumable_rate, other_rate)
    several = rng.random(len(item)) < multi_rate
    return np.where(several, rng.integers(2, 6, len(item)), 1)


def _add_complements(purchases: _Rows, items: _Items, rng: np.random.Generator) -> _Rows:
    """Viewed, carted and bought partners of purchased items, in the same order."""
    added = np.flatnonzero(rng.random(len(purchases.item)) < items.partner_rate[purchases.item])
    partner = items.partner[purchases.item[added]]
    checkout = purchases.t[added]
    return _Rows.concat([
        purchases.take(added, item=partner, kind=VIEW, t=checkout - 50, quantity=1),
        purchases.take(added, item=partner, kind=CART, t=checkout - 25, quantity=1),
        purchases.take(added, item=partner, kind=PURCHASE, quantity=1),
    ])


def _rebuy_consumables(purchases: _Rows, users: _Users, items: _Items, n_sessions: int,
                       window: int, rng: np.random.Generator) -> _Rows:
    """Repeat buyers rebuy a consumable about every ``rebuy_days`` after its first purchase.

    Each rebuy is its own order (a cart, then a purchase), numbered after the sessions.
    """
    interval = items.rebuy_days[purchases.item] * DAY
    candidate = np.flatnonzero((interval > 0) & (users.kind[purchases.user] == REPEAT_BUYER))
    key = purchases.user[candidate] * len(items.category) + purchases.item[candidate]
    order = np.lexsort((purchases.t[candidate], key))
    first = candidate[order][np.diff(key[order], prepend=-1) != 0]
    due = (window - purchases.t[first]) // interval[first]
    origin = np.repeat(first, due)
    cycle = 1 + np.arange(len(origin)) - np.repeat(np.cumsum(due) - due, due)
    jitter = rng.normal(0, REBUY_JITTER_DAYS * DAY, len(origin)).astype(np.int64)
    t = purchases.t[origin] + cycle * interval[origin] + jitter
    keep = (t < window) & (rng.random(len(origin)) < REBUY_RATE)
    origin, t = origin[keep], t[keep]
    basket = n_sessions + np.arange(len(origin))
    quantity = _quantities(purchases.item[origin], items, rng)
    return _Rows.concat([
        purchases.take(origin, kind=CART, t=t - 90, quantity=quantity, basket=basket),
        purchases.take(origin, kind=PURCHASE, t=t, quantity=quantity, basket=basket),
    ])


def _deduplicate(rows: _Rows, n_items: int) -> _Rows:
    """Keep one cart and one purchase per item and basket (views may repeat); sort by time."""
    funnel = np.flatnonzero(rows.kind != VIEW)
    key = (rows.basket[funnel] * n_items + rows.item[funnel]) * 3 + rows.kind[funnel]
    _, first = np.unique(key, return_index=True)
    keep = np.sort(np.r_[np.flatnonzero(rows.kind == VIEW), funnel[first]])
    return rows.take(keep[np.argsort(rows.t[keep], kind="stable")])


def _ids(prefix: str, n: int) -> np.ndarray:
    width = max(5, len(str(n)))
    return np.array([f"{prefix}{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


def _catalog_frame(items: _Items, rng: np.random.Generator) -> pd.DataFrame:
    n_items = len(items.category)
    item_ids = _ids("p", n_items)
    category = np.array(items.category_names, dtype=object)[items.category]
    brand = np.array(BRANDS, dtype=object)[rng.integers(len(BRANDS), size=n_items)]
    number = _rank_within(items.category, np.arange(n_items)) + 1
    title = [f"{b} {c} #{k}" for b, c, k in zip(brand, category, number)]
    in_stock = np.ones(n_items, dtype=bool)
    out_of_stock = max(1, round(OUT_OF_STOCK_SHARE * n_items))
    in_stock[rng.choice(n_items, out_of_stock, replace=False)] = False
    return pd.DataFrame({
        "item_id": pd.Series(item_ids, dtype=object),
        "title": pd.Series(title, dtype=object),
        "category": pd.Series(category, dtype=object),
        "price": items.price.astype(np.float64),
        "in_stock": in_stock,
        "brand": pd.Series(brand, dtype=object),
        "margin": np.round(rng.uniform(0.05, 0.45, n_items), 2),
        # the demo store serves these pages and generated pictures itself (api/storefront.py)
        "url": pd.Series([f"{DEMO_PRODUCT_PATH}{item}" for item in item_ids], dtype=object),
        "image_url": pd.Series([f"{DEMO_IMAGE_PATH}{item}.svg" for item in item_ids], dtype=object),
    })


def _events_frame(rows: _Rows, user_ids: np.ndarray, catalog: pd.DataFrame,
                  window_start: pd.Timestamp) -> pd.DataFrame:
    item_ids = catalog["item_id"].to_numpy(dtype=object)
    nanoseconds = window_start.value + rows.t * 1_000_000_000
    timestamp = pd.Series(nanoseconds.astype("datetime64[ns]")).dt.tz_localize("UTC")
    return pd.DataFrame({
        "timestamp": timestamp,
        "user_id": pd.Series(user_ids[rows.user], dtype=object),
        "item_id": pd.Series(item_ids[rows.item], dtype=object),
        "event": pd.Series(EVENT_NAMES[rows.kind], dtype=object),
        "quantity": rows.quantity.astype(np.float64),
        "price": catalog["price"].to_numpy()[rows.item],
        "order_id": pd.Series(_order_ids(rows), dtype=object),
    })


def _order_ids(rows: _Rows) -> np.ndarray:
    """Order ids numbered by checkout time; missing (None) on views and carts."""
    purchase = np.flatnonzero(rows.kind == PURCHASE)
    n_baskets = int(rows.basket.max()) + 1
    key = rows.t[purchase] * n_baskets + rows.basket[purchase]
    unique, order = np.unique(key, return_inverse=True)
    names = np.append(_ids("o", len(unique)), None)
    index = np.full(len(rows.t), len(unique))
    index[purchase] = order
    return names[index]


def _complement_pairs(items: _Items, catalog: pd.DataFrame) -> list[tuple[str, str]]:
    """Planted pairs as (main product, partner) item ids."""
    item_ids = catalog["item_id"].to_numpy(dtype=object)
    anchors = np.flatnonzero((items.partner >= 0) & (items.category % 2 == 0))
    return [(item_ids[a], item_ids[items.partner[a]]) for a in anchors]

"""The event store's evidence for live segments, in a few aggregate queries (no table scan beyond
each rule's window, every one served by an index on (type, at))."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import and_, case, distinct, func, or_, select
from sqlalchemy.engine import Connection

from recommender.live_segments import Evidence, LiveEvidence, StoreOrders

from api.events.store import EVENTS, ID_CHUNK, EventStore

E = EVENTS.c
EVIDENCE_COLUMNS = (E.user_id, E.event_id, E.type, E.item_id, E.at, E.category)


@dataclass(frozen=True)
class LiveRules:
    """The thresholds: the service's settings for carts, training's for browsing and first orders."""

    cart_delay_seconds: float
    cart_window_seconds: float
    browse_seconds: float
    browse_min_views: int


def read_evidence(store: EventStore, now: float, rules: LiveRules, data_end: float) -> LiveEvidence:
    with store.connect() as connection:
        return LiveEvidence(now, tuple(abandoned_carts(connection, now, rules)),
                            tuple(browsing(connection, now - rules.browse_seconds, rules.browse_min_views)),
                            orders_since(connection, data_end))


def abandoned_carts(connection: Connection, now: float, rules: LiveRules) -> list[Evidence]:
    """Each customer whose last cart event is older than the delay but inside the window, with no
    purchase after it: that cart event."""
    last_cart = func.max(case((E.type == "cart", E.at)))
    last_purchase = func.max(case((E.type == "purchase", E.at)))
    query = (select(E.user_id, last_cart).where(E.user_id.is_not(None), E.type.in_(("cart", "purchase")),
                                                  E.at >= now - rules.cart_window_seconds, E.at <= now)
             .group_by(E.user_id)
             .having(and_(last_cart <= now - rules.cart_delay_seconds,
                          or_(last_purchase.is_(None), last_purchase < last_cart))))
    carted = dict(connection.execute(query).all())
    return [row for row in _rows(connection, E.type == "cart", carted) if row.at == carted[row.user_id]]


def browsing(connection: Connection, since: float, min_views: int) -> list[Evidence]:
    """Each customer's most viewed category since ``since`` with at least ``min_views`` views and no
    purchase in it: the view that reached the threshold."""
    partition = (E.user_id, E.category)
    ranked = (select(*EVIDENCE_COLUMNS, func.row_number().over(partition_by=partition, order_by=(E.at, E.seq))
                     .label("nth"), func.count().over(partition_by=partition).label("views"))
              .where(E.type == "view", E.user_id.is_not(None), E.category.is_not(None), E.at >= since)
              .subquery())
    crossing = connection.execute(select(ranked).where(ranked.c.nth == min_views)).all()
    bought = set(connection.execute(select(E.user_id, E.category).distinct().where(
        E.type == "purchase", E.user_id.is_not(None), E.category.is_not(None), E.at >= since)).all())
    best: dict[str, tuple[int, float, Evidence]] = {}
    for user, event_id, kind, item, at, category, _nth, views in crossing:
        if (user, category) in bought:
            continue
        if user not in best or (-views, at) < (-best[user][0], best[user][1]):
            best[user] = (views, at, Evidence(user, event_id, kind, item, at, category))
    return [evidence for _, _, evidence in best.values()]


def orders_since(connection: Connection, since: float) -> dict[str, StoreOrders]:
    """Per customer who bought since ``since``: orders, spend, the first purchase and its categories."""
    query = (select(E.user_id, func.count(distinct(E.order_id)), func.sum(E.price * E.quantity), func.min(E.at))
             .where(E.type == "purchase", E.user_id.is_not(None), E.at >= since).group_by(E.user_id))
    totals = {user: (orders, spend or 0.0, first) for user, orders, spend, first in connection.execute(query).all()}
    first_rows, categories = {}, defaultdict(set)
    for row in _rows(connection, and_(E.type == "purchase", E.at >= since), totals):
        if row.category:
            categories[row.user_id].add(row.category)
        if row.at == totals[row.user_id][2] and row.user_id not in first_rows:
            first_rows[row.user_id] = row
    return {user: StoreOrders(int(orders), round(float(spend), 2), first_rows[user],
                              frozenset(categories[user])) for user, (orders, spend, _) in totals.items()}


def _rows(connection: Connection, condition, users: dict) -> list[Evidence]:
    found = []
    ids = sorted(users)
    for start in range(0, len(ids), ID_CHUNK):
        query = select(*EVIDENCE_COLUMNS).where(condition, E.user_id.in_(ids[start:start + ID_CHUNK]))
        found += [Evidence(*row) for row in connection.execute(query.order_by(E.at, E.seq)).all()]
    return found

"""The event-store reads behind the outcome reports: aggregates where a count is all that is needed,
narrow row sets (clicks, conversions) where attribution must look at each one."""
from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
from sqlalchemy import BigInteger, Integer, cast, func, select, text
from sqlalchemy.engine import Connection

from recommender.customers import SECONDS_PER_DAY

from api.events.store import EVENTS, EventStore

SHOWN = ("impression", "click")
CONVERSIONS = ("cart", "purchase")
CLICK_COLUMNS = ("visitor_id", "user_id", "item_id", "at", "placement")
CONVERSION_COLUMNS = ("visitor_id", "user_id", "item_id", "at", "type", "order_id", "price", "quantity")
SHOWN_COLUMNS = ("visitor_id", "user_id", "type", "events")
# The predicate of the partial index ``events_attribution`` (migration 0003), written out as a literal:
# a database uses a partial index only for a query that states its predicate, constants included.
ATTRIBUTED = text("type IN ('click', 'cart', 'purchase')")


def in_parallel(store: EventStore, *reads: Callable[[Connection], pd.DataFrame]) -> list[pd.DataFrame]:
    """Run each read on a connection of its own, at the same time: the drivers leave the GIL while a
    query runs, so a report costs its slowest read rather than their sum."""
    def run(read: Callable[[Connection], pd.DataFrame]) -> pd.DataFrame:
        with store.connect() as connection:
            return read(connection)

    with ThreadPoolExecutor(len(reads)) as pool:
        return list(pool.map(run, reads))


def day_number(connection: Connection):
    """Days since the epoch (UTC) of an event, in the database's own SQL."""
    if connection.dialect.name == "sqlite":
        return cast(EVENTS.c.at / SECONDS_PER_DAY, Integer)  # truncation is the floor: times are positive
    return cast(func.floor(EVENTS.c.at / SECONDS_PER_DAY), BigInteger)


def daily_counts(connection: Connection, since: float, until: float) -> pd.DataFrame:
    """Impressions and clicks per placement and day: ``placement, day, type, events``."""
    day = day_number(connection).label("day")
    query = (select(EVENTS.c.placement, day, EVENTS.c.type, func.count().label("events"))
             .where(EVENTS.c.type.in_(SHOWN), EVENTS.c.at >= since, EVENTS.c.at < until)
             .group_by(EVENTS.c.placement, day, EVENTS.c.type))
    return _frame(connection, query, ("placement", "day", "type", "events"))


def clicks(connection: Connection, since: float, until: float, placement: str | None = None) -> pd.DataFrame:
    query = select(*(EVENTS.c[name] for name in CLICK_COLUMNS)).where(
        EVENTS.c.type == "click", EVENTS.c.at >= since, EVENTS.c.at < until, ATTRIBUTED)
    if placement is not None:
        query = query.where(EVENTS.c.placement == placement)
    return _frame(connection, query, CLICK_COLUMNS)


def conversions(connection: Connection, since: float, until: float) -> pd.DataFrame:
    query = select(*(EVENTS.c[name] for name in CONVERSION_COLUMNS)).where(
        EVENTS.c.type.in_(CONVERSIONS), EVENTS.c.at >= since, EVENTS.c.at < until, ATTRIBUTED)
    return _frame(connection, query, CONVERSION_COLUMNS)


def shown(connection: Connection, placement: str, since: float, until: float) -> pd.DataFrame:
    """How many impressions and clicks of one placement's picks each person had:
    ``visitor_id, user_id, type, events``."""
    who = (EVENTS.c.visitor_id, EVENTS.c.user_id, EVENTS.c.type)
    query = (select(*who, func.count()).where(EVENTS.c.type.in_(SHOWN), EVENTS.c.placement == placement,
                                              EVENTS.c.at >= since, EVENTS.c.at < until).group_by(*who))
    return _frame(connection, query, SHOWN_COLUMNS)


def _frame(connection: Connection, query, columns: tuple[str, ...]) -> pd.DataFrame:
    """The rows as a frame, fetched from the driver's cursor as plain tuples: building SQLAlchemy's
    row objects took most of a report's time (the columns are text and numbers, which need no
    conversion)."""
    result = connection.execute(query)
    try:
        rows = result.cursor.fetchall()
    finally:
        result.close()
    return pd.DataFrame.from_records(rows, columns=list(columns), nrows=len(rows))

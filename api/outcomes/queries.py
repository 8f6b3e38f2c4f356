"""The event-store reads behind the outcome reports: aggregates where a count is all that is needed,
narrow row sets (clicks, conversions) where attribution must look at each one."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import BigInteger, Integer, cast, func, select
from sqlalchemy.engine import Connection

from recommender.customers import SECONDS_PER_DAY

from api.events.store import EVENTS

SHOWN = ("impression", "click")
CONVERSIONS = ("cart", "purchase")
CLICK_COLUMNS = ("visitor_id", "user_id", "item_id", "at", "placement")
CONVERSION_COLUMNS = ("visitor_id", "user_id", "item_id", "at", "type", "order_id", "price", "quantity")
SHOWN_COLUMNS = ("visitor_id", "user_id", "type")


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
    return pd.DataFrame(connection.execute(query).all(), columns=["placement", "day", "type", "events"])


def clicks(connection: Connection, since: float, until: float, placement: str | None = None) -> pd.DataFrame:
    query = select(*(EVENTS.c[name] for name in CLICK_COLUMNS)).where(
        EVENTS.c.type == "click", EVENTS.c.at >= since, EVENTS.c.at < until)
    if placement is not None:
        query = query.where(EVENTS.c.placement == placement)
    return _frame(connection, query, CLICK_COLUMNS)


def conversions(connection: Connection, since: float, until: float) -> pd.DataFrame:
    query = select(*(EVENTS.c[name] for name in CONVERSION_COLUMNS)).where(
        EVENTS.c.type.in_(CONVERSIONS), EVENTS.c.at >= since, EVENTS.c.at < until)
    return _frame(connection, query, CONVERSION_COLUMNS)


def shown(connection: Connection, placement: str, since: float, until: float) -> pd.DataFrame:
    """Who saw (impression) and clicked picks of one placement: ``visitor_id, user_id, type``."""
    query = select(*(EVENTS.c[name] for name in SHOWN_COLUMNS)).where(
        EVENTS.c.type.in_(SHOWN), EVENTS.c.placement == placement, EVENTS.c.at >= since, EVENTS.c.at < until)
    return _frame(connection, query, SHOWN_COLUMNS)


def _frame(connection: Connection, query, columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(connection.execute(query).all(), columns=list(columns))

"""The service's database: one SQLAlchemy engine per URL and one Alembic history for every table.

SQLite (a file in the data folder, WAL journaling) is the embedded default; any SQLAlchemy URL
works, e.g. PostgreSQL for several API hosts. Each store declares its tables on ``Base`` and
calls :func:`migrate` when it opens, so a fresh database and an old one both reach the newest
revision (``api/database/migrations``).
"""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import StaticPool

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MIGRATION_ATTEMPTS = 5
log = logging.getLogger(__name__)


class Base(DeclarativeBase):
    pass


def open_engine(url: str, immediate: bool = False) -> Engine:
    """An engine for ``url``; SQLite files get their folder, WAL journaling and a busy timeout.

    ``immediate``: every SQLite transaction takes the write lock when it begins (``BEGIN
    IMMEDIATE``), so a writer that reads first cannot deadlock with another process's writer."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if not parsed.database or parsed.database == ":memory:":
        return create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
    event.listen(engine, "connect", _sqlite_pragmas)
    if immediate:
        event.listen(engine, "connect", _driver_leaves_transactions_to_us)
        event.listen(engine, "begin", lambda connection: connection.exec_driver_sql("BEGIN IMMEDIATE"))
    return engine


def _driver_leaves_transactions_to_us(connection: Any, _record: Any) -> None:
    connection.isolation_level = None


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the newest revision; another process doing the same at the same time
    makes one attempt fail, and the next finds the work done."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    for attempt in range(1, MIGRATION_ATTEMPTS + 1):
        try:
            with engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
            return
        except SQLAlchemyError:
            if attempt == MIGRATION_ATTEMPTS:
                raise
            log.info("schema migration collided with another process (attempt %d); retrying", attempt)
            time.sleep(0.2 * attempt)

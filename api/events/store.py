"""The event store: every storefront event the service acknowledged, who is who, and who was erased.

Three tables beside the rule store (same database, same Alembic history):

- ``events``: one row per event, keyed by the client's ``event_id`` (a retried event is stored once),
  with the category the served catalog gave its item when it arrived (``NULL`` for an item the model
  does not know yet), so segments can group by category in SQL;
- ``identities``: visitor id -> customer id, written by the first event that carries both. Then the
  visitor's anonymous events join the customer (their ``user_id`` is filled in), and so do its later
  anonymous events as they arrive;
- ``erasures``: ids whose events were deleted on request, and when (see :meth:`EventStore.erase`).

A write is one transaction; SQLite writers take the write lock when they begin (``BEGIN IMMEDIATE``)
and readers use a second engine, so reads never wait for the lock.
"""
from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import BigInteger, Boolean, Float, Integer, String, delete, event, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from api.database import Base, migrate, open_engine
from api.database.audit import Change, record
from api.database.erasures import ErasureRow

SESSION_TYPES = ("view", "cart", "remove_from_cart", "purchase")
EXPORT_COLUMNS = ("seq", "event_id", "type", "visitor_id", "user_id", "item_id", "category", "known_item", "at",
                  "received_at", "order_id", "quantity", "price", "recommendation_id", "placement", "position")
ID_CHUNK = 500  # ids per IN (...) list: well inside every database's parameter limit
ERASABLE = ("user", "visitor")
CHECKPOINT_SECONDS = 1.0
WRITER_CACHE_KIB = 65_536
log = logging.getLogger(__name__)


class EventRow(Base):
    __tablename__ = "events"
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
                                     autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    type: Mapped[str] = mapped_column(String(20))
    visitor_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    user_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    item_id: Mapped[str] = mapped_column(String(256))
    category: Mapped[str | None] = mapped_column(String(256), nullable=True)
    known_item: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[float] = mapped_column(Float)
    received_at: Mapped[float] = mapped_column(Float)
    order_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    quantity: Mapped[float | None] = mapped_column(Float, nullable=True)
    price: Mapped[float | None] = mapped_column(Float, nullable=True)
    recommendation_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    placement: Mapped[str | None] = mapped_column(String(64), nullable=True)
    position: Mapped[int | None] = mapped_column(Integer, nullable=True)


class IdentityRow(Base):
    __tablename__ = "identities"
    visitor_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(256))
    linked_at: Mapped[float] = mapped_column(Float)


EVENTS = EventRow.__table__
IDENTITIES = IdentityRow.__table__
ERASURES = ErasureRow.__table__


@dataclass(frozen=True)
class Appended:
    """What one request's events became: newly stored, or already there (a retry)."""

    stored: int
    duplicates: int


class EventStore:
    """Appends events in transactions, and reads sessions, segments and exports back."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.writer = open_engine(url, immediate=True)
        self.engine = self.writer if _in_memory(url) else open_engine(url)
        migrate(self.engine)
        self._write_sessions = sessionmaker(self.writer, expire_on_commit=False)
        database = make_url(url).database if make_url(url).get_backend_name() == "sqlite" else None
        self._turn_file = f"{database}.write-turn" if database and not _in_memory(url) else None
        self._turn: tuple[int, int] | None = None  # (process id, file descriptor)
        self._checkpointer: int | None = None  # the process whose checkpoint thread runs
        self._thread_turn = threading.Lock()  # a flock is the process's: its threads take turns first
        if self._turn_file is not None:
            event.listen(self.writer, "connect", _writer_pragmas)

    @contextmanager
    def write_turn(self) -> Iterator[None]:
        """Processes writing events to one SQLite file take turns on a lock file first: a blocked
        ``flock`` wakes the moment the holder lets go, where SQLite's busy handler sleeps 1, 2, 5 ms
        and more between tries. (SQLite's own lock still guards the data; this only saves the sleeps.)
        The threads of one process (the group commit's leader, exposure writes) take turns on a
        thread lock first: a ``flock`` is held by the open file, not by the thread that took it."""
        if self._turn_file is None:
            yield
            return
        with self._thread_turn:
            if self._turn is None or self._turn[0] != os.getpid():
                self._turn = (os.getpid(), os.open(self._turn_file, os.O_RDWR | os.O_CREAT, 0o644))
                self._start_checkpoints()
            fcntl.flock(self._turn[1], fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._turn[1], fcntl.LOCK_UN)

    def close(self) -> None:
        self.writer.dispose()
        self.engine.dispose()

    def _start_checkpoints(self) -> None:
        """Copy the write-ahead log into the database in the background, once a second: done by a
        committing request (SQLite's default), a checkpoint with its fsyncs is that request's
        latency (measured: p99 5.8 ms against a p50 of 1.5 ms for one event)."""
        if self._checkpointer == os.getpid():
            return
        self._checkpointer = os.getpid()

        def run() -> None:
            while True:
                time.sleep(CHECKPOINT_SECONDS)
                try:
                    with self.engine.connect() as connection:
                        connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").all()
                except SQLAlchemyError as exc:
                    log.warning("event store checkpoint failed (%s); the next one retries", exc)

        threading.Thread(target=run, name="vitrine-event-checkpoints", daemon=True).start()

    # ---- writes ------------------------------------------------------------------------------
    def append(self, batches: Sequence[list[dict]]) -> list[Appended]:
        """Store several requests' events in one transaction (``EVENT_COLUMNS`` per row, ``seq``
        left out); each request's count of stored events and duplicates, in order.

        One prepared ``INSERT`` per request fills in the customer of a linked visitor and skips an
        ``event_id`` already stored, so the write lock is held for little more than the rows' write."""
        with self.write_turn(), self.writer.begin() as connection:
            _link_visitors(connection, [row for batch in batches for row in batch])
            sql = _insert_sql(connection)
            results = []
            for batch in batches:
                stored = connection.exec_driver_sql(sql, [_values(row) for row in batch]).rowcount
                results.append(Appended(stored, len(batch) - stored))
        return results

    def erase(self, kind: str, subject: str, actor: str) -> int:
        """Delete every event and link of one customer (``kind`` user) or visitor, note the erasure
        and audit it, in one change; the number of events deleted."""
        if kind not in ERASABLE:
            raise ValueError(f"kind must be one of {ERASABLE}, got {kind!r}")
        column = EVENTS.c.user_id if kind == "user" else EVENTS.c.visitor_id
        link = IDENTITIES.c.user_id if kind == "user" else IDENTITIES.c.visitor_id
        with Change(self._write_sessions) as session:
            deleted = session.execute(delete(EVENTS).where(column == subject)).rowcount
            links = session.execute(delete(IDENTITIES).where(link == subject)).rowcount
            session.execute(delete(ERASURES).where(ERASURES.c.kind == kind, ERASURES.c.subject == subject))
            session.execute(ERASURES.insert().values(kind=kind, subject=subject, at=time.time()))
            record(session, actor, "erase", kind, subject, {"events": deleted, "links": links}, None)
        return deleted

    def purge(self, before: float) -> int:
        """Delete the events that happened before ``before`` (epoch seconds): the retention limit."""
        with self.writer.begin() as connection:
            return connection.execute(delete(EVENTS).where(EVENTS.c.at < before)).rowcount

    # ---- reads -------------------------------------------------------------------------------
    def recent(self, since: float, visitor_id: str | None = None, user_id: str | None = None,
               limit: int = 200) -> list[tuple[str, str, float]]:
        """``(item_id, type, at)`` of a person's session events since ``since``, oldest first: the
        visitor's own, and the customer's (the one named, or the one the visitor logged in as).

        Asked on every personalized request, so it is one prepared statement on a pooled driver
        connection (through SQLAlchemy's expression language it cost 0.65 ms a request)."""
        sql = _recent_sql(self.engine.dialect.paramstyle, visitor_id is not None, user_id is not None)
        who = [value for value in (visitor_id, user_id) if value is not None]
        if user_id is None:
            who.append(visitor_id)  # the customer the visitor logged in as
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(sql, (*who, since, limit))
            rows = cursor.fetchall()
            cursor.close()
        finally:
            connection.close()
        return [tuple(row) for row in reversed(rows)]

    def user_of(self, visitor_id: str) -> str | None:
        with self.engine.connect() as connection:
            return connection.scalar(select(IDENTITIES.c.user_id).where(IDENTITIES.c.visitor_id == visitor_id))

    def count(self, **equal: str) -> int:
        """Events whose columns equal the given values (all events without any)."""
        query = select(func.count()).select_from(EVENTS).where(*(EVENTS.c[name] == value
                                                                 for name, value in equal.items()))
        with self.engine.connect() as connection:
            return int(connection.scalar(query))

    def erasures(self) -> dict[tuple[str, str], float]:
        """(kind, subject) -> when it was erased."""
        with self.engine.connect() as connection:
            return {(kind, subject): at for kind, subject, at in connection.execute(select(ERASURES)).all()}

    def rows(self, since: float | None = None, until: float | None = None,
             chunk: int = 50_000) -> Iterator[list[tuple]]:
        """Every stored event in time order (``EXPORT_COLUMNS``), ``chunk`` rows at a time."""
        query = select(*(EVENTS.c[name] for name in EXPORT_COLUMNS)).order_by(EVENTS.c.at, EVENTS.c.seq)
        if since is not None:
            query = query.where(EVENTS.c.at >= since)
        if until is not None:
            query = query.where(EVENTS.c.at < until)
        with self.engine.connect() as connection:
            result = connection.execution_options(stream_results=True).execute(query)
            while part := result.fetchmany(chunk):
                yield [tuple(row) for row in part]

    def connect(self) -> Connection:
        """A read connection, for the aggregate queries of live segments and freshness."""
        return self.engine.connect()


def _writer_pragmas(connection, _record) -> None:
    """No checkpoint on commit (a background thread does it), and a page cache that holds the
    indexes' upper levels of a large table (SQLite's default is 2 MiB)."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.execute(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")
    cursor.close()


def _link_visitors(connection: Connection, rows: list[dict]) -> None:
    """Record the visitor -> customer links the rows carry and give the visitor's stored anonymous
    events to the customer (the insert then fills in the customer of the visitor's new ones)."""
    links = {row["visitor_id"]: row["user_id"] for row in rows if row["visitor_id"] and row["user_id"]}
    if not links:
        return
    now = time.time()
    statement = dialect_module(connection).insert(IDENTITIES)
    statement = statement.on_conflict_do_update(
        index_elements=["visitor_id"], set_={"user_id": statement.excluded.user_id, "linked_at": now})
    connection.execute(statement, [{"visitor_id": v, "user_id": u, "linked_at": now} for v, u in links.items()])
    for visitor, user in links.items():
        connection.execute(update(EVENTS).where(EVENTS.c.visitor_id == visitor, EVENTS.c.user_id.is_(None))
                           .values(user_id=user))


INSERT_COLUMNS = tuple(name for name in EXPORT_COLUMNS if name != "seq")


def _values(row: dict) -> tuple:
    """The insert's parameters: every column, and after ``user_id`` the visitor id to look up their
    customer with when the row names none."""
    values = []
    for name in INSERT_COLUMNS:
        values.append(row[name])
        if name == "user_id":
            values.append(row["visitor_id"])
    return tuple(values)


def _placeholder(paramstyle: str) -> str:
    """The driver's parameter mark: SQLite's ``?`` or psycopg's ``%s``."""
    return "?" if paramstyle == "qmark" else "%s"


@lru_cache(maxsize=8)
def _recent_sql(paramstyle: str, visitor: bool, user: bool) -> str:
    mark = _placeholder(paramstyle)
    if visitor and user:
        who = f"(visitor_id = {mark} OR user_id = {mark})"
    elif visitor:
        who = f"(visitor_id = {mark} OR user_id = (SELECT user_id FROM identities WHERE visitor_id = {mark}))"
    else:
        who = f"user_id = {mark}"
    kinds = ", ".join(f"'{kind}'" for kind in SESSION_TYPES)
    return (f"SELECT item_id, type, at FROM events WHERE {who} AND at >= {mark} AND type IN ({kinds}) "
            f"ORDER BY at DESC, seq DESC LIMIT {mark}")


def _insert_sql(connection: Connection) -> str:
    mark = _placeholder(connection.dialect.paramstyle)
    values = [f"COALESCE({mark}, (SELECT user_id FROM identities WHERE visitor_id = {mark}))" if name == "user_id"
              else mark for name in INSERT_COLUMNS]
    return (f"INSERT INTO events ({', '.join(INSERT_COLUMNS)}) VALUES ({', '.join(values)}) "
            "ON CONFLICT (event_id) DO NOTHING")


def dialect_module(connection: Connection):
    name = connection.dialect.name
    if name == "sqlite":
        return sqlite
    if name == "postgresql":
        return postgresql
    raise ValueError(f"the event store runs on SQLite or PostgreSQL, not {name}")


def _in_memory(url: str) -> bool:
    return url.startswith("sqlite") and (url.rstrip("/").endswith(":memory:") or url.rstrip("/") == "sqlite:")


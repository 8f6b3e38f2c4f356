"""The event store: retries stored once, visitors joining customers, sessions, erasure, retention."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from api.events.store import EventStore

NOW = time.time()


def event(event_id: str, kind: str = "view", visitor: str | None = "v1", user: str | None = None,
          item: str = "p1", at: float = NOW, **extra) -> dict:
    return {"event_id": event_id, "type": kind, "visitor_id": visitor, "user_id": user, "item_id": item,
            "category": "Coffee", "known_item": True, "at": at, "received_at": at, "order_id": None,
            "quantity": 1.0, "price": None, "recommendation_id": None, "placement": None, "position": None,
            **extra}


@pytest.fixture
def store(database_url) -> EventStore:
    opened = EventStore(database_url)
    yield opened
    opened.close()


def test_a_retried_event_is_stored_once(store):
    first, second = store.append([[event("a"), event("b")], [event("b"), event("c")]])
    assert (first.stored, first.duplicates, second.stored, second.duplicates) == (2, 0, 1, 1)
    assert store.append([[event("a")]])[0].duplicates == 1
    assert store.count() == 3


def test_a_login_gives_the_visitors_events_to_the_customer(store):
    store.append([[event("a", item="p1"), event("b", item="p2")]])
    store.append([[event("c", visitor="v1", user="u9", item="p3")]])
    store.append([[event("d", item="p4")]])  # anonymous again, same browser
    assert store.count(user_id="u9") == 4 and store.user_of("v1") == "u9"
    assert [item for item, _, _ in store.recent(NOW - 60, user_id="u9")] == ["p1", "p2", "p3", "p4"]
    assert [item for item, _, _ in store.recent(NOW - 60, visitor_id="v1")] == ["p1", "p2", "p3", "p4"]


def test_a_session_is_the_recent_events_oldest_first(store):
    store.append([[event("old", item="p0", at=NOW - 3600), event("a", item="p1", at=NOW - 20),
                   event("b", item="p2", at=NOW - 10), event("imp", kind="impression", item="p5"),
                   event("other", visitor="v2", item="p9")]])
    assert store.recent(NOW - 1800, visitor_id="v1") == [("p1", "view", NOW - 20), ("p2", "view", NOW - 10)]


def test_erasing_a_customer_leaves_no_row_of_them(store):
    store.append([[event("a", visitor="v1"), event("b", visitor="v1", user="u9"), event("c", visitor="v2")]])
    assert store.erase("user", "u9", "admin") == 2
    with store.connect() as connection:
        for table, column in (("events", "user_id"), ("events", "visitor_id"), ("identities", "user_id"),
                              ("identities", "visitor_id")):
            left = connection.execute(text(f"SELECT count(*) FROM {table} WHERE {column} IN ('u9', 'v1')")).scalar()
            assert left == 0, (table, column)
        audit = connection.execute(text("SELECT action, entity, entity_id FROM audit_log")).all()
    assert store.count() == 1 and audit == [("erase", "user", "u9")]
    assert ("user", "u9") in store.erasures()


def test_erasing_a_visitor(store):
    store.append([[event("a", visitor="v1"), event("b", visitor="v2")]])
    assert store.erase("visitor", "v1", "admin") == 1 and store.count(visitor_id="v1") == 0


def test_purge_keeps_the_retention_window(store):
    store.append([[event("old", at=NOW - 40 * 86400), event("new")]])
    assert store.purge(NOW - 30 * 86400) == 1
    assert [row[1] for part in store.rows() for row in part] == ["new"]


def test_rows_come_in_time_order_in_chunks(store):
    store.append([[event(f"e{i}", at=NOW - i) for i in range(5)]])
    parts = list(store.rows(chunk=2))
    assert [len(part) for part in parts] == [2, 2, 1]
    assert [row[1] for part in parts for row in part] == ["e4", "e3", "e2", "e1", "e0"]

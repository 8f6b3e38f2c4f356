"""What every store shares: the audit log (who changed what, when, before and after) and the one
change counter workers poll to notice any change.

A change is one transaction that bumps the counter as its first statement (which takes the write
lock before anything is read: SQLite's write lock, PostgreSQL's lock on the one counter row), writes
the change and its audit entry, and commits or rolls back whole.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, Integer, String, update
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from api.database import Base


class AuditRow(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)

    def to_dict(self) -> dict:
        return {"id": self.id, "at": self.at, "actor": self.actor, "action": self.action, "entity": self.entity,
                "entity_id": self.entity_id, "before": self.before, "after": self.after}


class VersionRow(Base):
    __tablename__ = "store_version"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


def bump_version(session: Session) -> None:
    """The change's first statement: takes the write lock and tells every worker something moved."""
    session.execute(update(VersionRow).where(VersionRow.id == 1).values(version=VersionRow.version + 1))


def record(session: Session, actor: str, action: str, entity: str, entity_id: str | None, before: Any,
           after: Any) -> None:
    session.add(AuditRow(at=now_text(), actor=actor[:200], action=action, entity=entity, entity_id=entity_id,
                         before=before, after=after))


def now_text() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class Change:
    """A write transaction that bumps the version counter first; rolled back whole on any error.

    The bump is the transaction's first statement, so it takes the write lock before anything is
    read: SQLite's write lock, PostgreSQL's lock on the one counter row. Changes are serialized and
    each one reads what the one before it committed, so concurrent writers to one rule, placement
    or item lose nothing and audit the state they really changed.
    """

    def __init__(self, sessions: sessionmaker) -> None:
        self.session: Session = sessions()

    def __enter__(self) -> Session:
        self.session.begin()
        bump_version(self.session)
        return self.session

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        try:
            if kind is None:
                self.session.commit()
            else:
                self.session.rollback()
        finally:
            self.session.close()

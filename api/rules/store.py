"""The durable store of merchant rules, placement settings and catalog updates (SQLAlchemy), and
the snapshot every worker answers through (which also names the erased customers).

SQLite (a file in the data folder) is the embedded default; any SQLAlchemy URL works, e.g.
PostgreSQL for several API hosts. Opening a store brings its schema to the newest Alembic revision
(``api/database/migrations``). Callers validate a change before handing it here; each change is then one
transaction that writes the change, an audit entry (who, when, before, after) and a bumped version
counter, so a failed write leaves everything as it was and every worker can notice a change by
reading one integer.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy import JSON, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from api.database import Base, migrate, open_engine
from api.database.audit import AuditRow, Change, VersionRow, now_text, record
from api.database.erasures import ErasureRow
from api.database.experiments import ExperimentRow


STORE_FIELDS = ("id", "created_at", "updated_at", "published", "draft")  # set by the store: ignored in bodies


class RuleRow(Base):
    """A rule: ``definition`` is what serves once ``published_at`` is set (a rule made as a draft in
    the console has none yet, and serves nothing); ``draft`` holds a published rule's pending changes."""

    __tablename__ = "rules"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[str] = mapped_column(String(40))
    published_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    draft: Mapped[dict | None] = mapped_column(JSON, nullable=True)

    def to_dict(self) -> dict:
        return {"id": self.id, **self.definition, "created_at": self.created_at, "updated_at": self.updated_at}

    def with_draft(self) -> dict:
        """The stored rule with ``published`` (does it serve?) and ``draft`` (its pending definition)."""
        return {**self.to_dict(), "published": self.published_at is not None, "draft": self.draft}


class PlacementRow(Base):
    __tablename__ = "placements"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    settings: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[str] = mapped_column(String(40))


class CatalogItemRow(Base):
    __tablename__ = "catalog_items"
    item_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    attributes: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[str] = mapped_column(String(40))


@dataclass(frozen=True)
class Snapshot:
    """Everything the re-ranker needs, read in one transaction."""

    version: int
    rules: list[dict]
    placements: dict[str, dict]
    items: dict[str, dict]
    erased: dict[str, float]  # model user id -> when their events were erased (epoch seconds)
    experiments: list[dict]  # the running experiments


class RuleStore:
    """Rules, placement settings and catalog updates, each change audited and versioned."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = open_engine(url)
        migrate(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    # ---- reads -------------------------------------------------------------------------------
    def version(self) -> int:
        """The change counter: one cheap query, so workers can poll it."""
        with self._sessions() as session:
            return session.scalar(select(VersionRow.version).where(VersionRow.id == 1)) or 0

    def snapshot(self) -> Snapshot:
        with self._sessions() as session, session.begin():
            version = session.scalar(select(VersionRow.version).where(VersionRow.id == 1)) or 0
            rules = [row.to_dict() for row in session.scalars(_published(select(RuleRow).order_by(RuleRow.id)))]
            placements = {row.name: row.settings for row in session.scalars(select(PlacementRow))}
            items = {row.item_id: row.attributes for row in session.scalars(select(CatalogItemRow))}
            erased = {row.model_user: row.at for row in session.scalars(select(ErasureRow))}
            experiments = [row.to_dict() for row in session.scalars(
                select(ExperimentRow).where(ExperimentRow.status == "running").order_by(ExperimentRow.id))]
        return Snapshot(version, rules, placements, items, erased, experiments)

    def rules(self) -> list[dict]:
        """The published rules (what serves and what ``/v1/rules`` lists)."""
        with self._sessions() as session:
            return [row.to_dict() for row in session.scalars(_published(select(RuleRow).order_by(RuleRow.id)))]

    def rule(self, rule_id: int) -> dict | None:
        """A published rule, or ``None``."""
        with self._sessions() as session:
            row = session.get(RuleRow, rule_id)
            return row.to_dict() if row is not None and row.published_at is not None else None

    def rules_with_drafts(self) -> list[dict]:
        """Every rule, drafts too, each with ``published`` and ``draft`` (``RuleRow.with_draft``)."""
        with self._sessions() as session:
            return [row.with_draft() for row in session.scalars(select(RuleRow).order_by(RuleRow.id))]

    def rule_with_draft(self, rule_id: int) -> dict | None:
        with self._sessions() as session:
            row = session.get(RuleRow, rule_id)
            return row.with_draft() if row else None

    def placements(self) -> dict[str, dict]:
        with self._sessions() as session:
            return {row.name: row.settings for row in session.scalars(select(PlacementRow).order_by(PlacementRow.name))}

    def item(self, item_id: str) -> dict | None:
        with self._sessions() as session:
            row = session.get(CatalogItemRow, item_id)
            return row.attributes if row else None

    def audit(self, limit: int = 100, before_id: int | None = None, entity: str | None = None) -> list[dict]:
        """Newest entries first; ``before_id`` pages back from an entry."""
        query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
        if before_id is not None:
            query = query.where(AuditRow.id < before_id)
        if entity is not None:
            query = query.where(AuditRow.entity == entity)
        with self._sessions() as session:
            return [row.to_dict() for row in session.scalars(query)]

    # ---- writes ------------------------------------------------------------------------------
    def add_rule(self, definition: dict, actor: str) -> dict:
        with self._change() as session:
            now = now_text()
            row = RuleRow(name=definition["name"], definition=definition, created_at=now, updated_at=now,
                          published_at=now)
            session.add(row)
            session.flush()
            record(session, actor, "create", "rule", str(row.id), None, row.to_dict())
            return row.to_dict()

    def replace_rule(self, rule_id: int, definition: dict, actor: str) -> dict | None:
        with self._change() as session:
            row = _published_row(session, rule_id)
            if row is None:
                return None
            before = row.to_dict()
            changed = definition != row.definition
            row.name, row.definition, row.updated_at = definition["name"], definition, now_text()
            if changed:
                record(session, actor, "update", "rule", str(rule_id), before, row.to_dict())
            return row.to_dict()

    def patch_rule(self, rule_id: int, changes: dict, check: Callable[[dict], dict], actor: str) -> dict | None:
        """Merge ``changes`` into the stored definition and store what ``check`` makes of the result
        (it raises on a bad rule), all inside the write lock: no concurrent patch is lost."""
        with self._change() as session:
            row = _published_row(session, rule_id)
            if row is None:
                return None
            before = row.to_dict()
            definition = check({**row.definition, **changes})
            changed = definition != row.definition
            row.name, row.definition, row.updated_at = definition["name"], definition, now_text()
            if changed:
                record(session, actor, "update", "rule", str(rule_id), before, row.to_dict())
            return row.to_dict()

    def delete_rule(self, rule_id: int, actor: str, drafts: bool = False) -> dict | None:
        """Delete a published rule (or, with ``drafts``, any rule); returns it as it was."""
        with self._change() as session:
            row = session.get(RuleRow, rule_id) if drafts else _published_row(session, rule_id)
            if row is None:
                return None
            before = row.with_draft()
            session.delete(row)
            record(session, actor, "delete", "rule", str(rule_id), before, None)
            return before

    # ---- drafts (the console's way of changing rules) ------------------------------------------
    def save_draft(self, rule_id: int | None, definition: dict, actor: str) -> dict | None:
        """Store ``definition`` as a new draft rule (``rule_id`` None), as an unpublished rule's
        definition, or as a published rule's pending changes (it keeps serving as it was)."""
        with self._change() as session:
            now = now_text()
            if rule_id is None:
                row = RuleRow(name=definition["name"], definition=definition, created_at=now, updated_at=now)
                session.add(row)
                session.flush()
                record(session, actor, "draft", "rule", str(row.id), None, row.with_draft())
                return row.with_draft()
            row = session.get(RuleRow, rule_id)
            if row is None:
                return None
            before = row.with_draft()
            if row.published_at is None:
                row.name, row.definition = definition["name"], definition
            else:
                row.draft = None if definition == row.definition else definition
            row.updated_at = now
            if row.with_draft() != {**before, "updated_at": now}:
                record(session, actor, "draft", "rule", str(rule_id), before, row.with_draft())
            return row.with_draft()

    def publish(self, rule_id: int, definition: dict, actor: str, action: str = "publish") -> dict | None:
        """Make ``definition`` (the draft, checked again by the caller, or an earlier version for
        ``action="revert"``) the rule's served definition; a deleted rule comes back under its id."""
        with self._change() as session:
            row = session.get(RuleRow, rule_id)
            now = now_text()
            before = row.with_draft() if row is not None else None
            if row is None:
                if action != "revert":
                    return None
                row = RuleRow(id=rule_id, name=definition["name"], definition=definition, created_at=now,
                              updated_at=now)
                session.add(row)
            row.name, row.definition, row.draft = definition["name"], definition, None
            row.updated_at = row.published_at = now
            record(session, actor, action, "rule", str(rule_id), before, row.with_draft())
            return row.with_draft()

    def discard_draft(self, rule_id: int, actor: str) -> dict | None:
        """Drop a published rule's pending changes."""
        with self._change() as session:
            row = _published_row(session, rule_id)
            if row is None or row.draft is None:
                return None
            before = row.with_draft()
            row.draft, row.updated_at = None, now_text()
            record(session, actor, "discard", "rule", str(rule_id), before, row.with_draft())
            return row.with_draft()

    def put_placement(self, name: str, settings: dict, actor: str) -> dict:
        with self._change() as session:
            row = session.get(PlacementRow, name)
            before = row.settings if row else None
            if row is None:
                row = PlacementRow(name=name, settings=settings, updated_at=now_text())
                session.add(row)
            else:
                row.settings, row.updated_at = settings, now_text()
            if settings != before:
                record(session, actor, "update", "placement", name, before, settings)
            return settings

    def update_items(self, updates: dict[str, dict], actor: str) -> dict[str, dict]:
        """Merge ``updates`` (item id -> {column: value}) into the stored attributes; returns the
        items' attributes after the change."""
        with self._change() as session:
            rows = {row.item_id: row for row in session.scalars(
                select(CatalogItemRow).where(CatalogItemRow.item_id.in_(list(updates))))} if updates else {}
            before, after, now = {}, {}, now_text()
            for item_id, attributes in updates.items():
                row = rows.get(item_id)
                before[item_id] = row.attributes if row else None
                merged = {**(row.attributes if row else {}), **attributes}
                if row is None:
                    session.add(CatalogItemRow(item_id=item_id, attributes=merged, updated_at=now))
                else:
                    row.attributes, row.updated_at = merged, now
                after[item_id] = merged
            changed = [item_id for item_id in updates if after[item_id] != before[item_id]]
            if changed:
                entity_id = changed[0] if len(changed) == 1 else f"{len(changed)} items"
                record(session, actor, "update", "catalog", entity_id, {i: before[i] for i in changed},
                       {i: after[i] for i in changed})
            return after

    def _change(self) -> Change:
        return Change(self._sessions)


def _published(query):
    return query.where(RuleRow.published_at.is_not(None))


def _published_row(session, rule_id: int) -> RuleRow | None:
    row = session.get(RuleRow, rule_id)
    return row if row is not None and row.published_at is not None else None


def rule_definition(stored: dict) -> dict:
    """A stored rule as the store answers it, without the store's own fields: its definition."""
    return {k: v for k, v in stored.items() if k not in STORE_FIELDS}

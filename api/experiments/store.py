"""Experiments: their designs and states (each change audited and versioned like the rules, so every
worker notices a start or stop), and the exposure log.

Starting checks, inside the change's write lock, that no other experiment runs on the placement;
stopping can promote a variant, which writes the variant's settings as the placement's own in the
same transaction, so an experiment never ends with its winner half applied.
"""
from __future__ import annotations

import secrets
import time
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from recommender.experiments import Experiment, stored_experiment, variant_settings
from recommender.rules import parse_settings
from recommender.rules.definitions import DEFAULT_PLACEMENT

from api.database.audit import Change, now_text, record
from api.database.experiments import EXPOSURES, ExperimentRow
from api.events.store import EventStore, dialect_module
from api.rules.store import PlacementRow, RuleStore


class ExperimentConflict(Exception):
    """A change the experiment's state does not allow; ``field`` names what to fix."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.field = message, field


class ExperimentStore:
    def __init__(self, rules: RuleStore, events: EventStore) -> None:
        self.events = events
        self._sessions = sessionmaker(rules.engine, expire_on_commit=False)

    # ---- reads -------------------------------------------------------------------------------
    def list(self) -> list[dict]:
        with self._sessions() as session:
            return [row.to_dict() for row in session.scalars(select(ExperimentRow).order_by(ExperimentRow.id.desc()))]

    def get(self, experiment_id: int) -> dict | None:
        with self._sessions() as session:
            row = session.get(ExperimentRow, experiment_id)
            return row.to_dict() if row else None

    def exposures(self, experiment_id: int) -> list[tuple[str, str, float]]:
        """``(unit, variant, first exposed at)`` of everyone the experiment reached."""
        query = select(EXPOSURES.c.unit, EXPOSURES.c.variant, EXPOSURES.c.at).where(
            EXPOSURES.c.experiment_id == experiment_id)
        with self.events.connect() as connection:
            return [tuple(row) for row in connection.execute(query)]

    def exposure_counts(self, experiment_id: int) -> dict[str, int]:
        query = (select(EXPOSURES.c.variant, func.count()).where(EXPOSURES.c.experiment_id == experiment_id)
                 .group_by(EXPOSURES.c.variant))
        with self.events.connect() as connection:
            return {variant: int(count) for variant, count in connection.execute(query)}

    # ---- writes ------------------------------------------------------------------------------
    def create(self, experiment: Experiment, actor: str) -> dict:
        with Change(self._sessions) as session:
            row = ExperimentRow(name=experiment.name, placement=experiment.placement, status="draft",
                                design=experiment.to_dict(), salt=secrets.token_hex(8), created_at=now_text())
            session.add(row)
            session.flush()
            record(session, actor, "create", "experiment", str(row.id), None, row.to_dict())
            return row.to_dict()

    def start(self, experiment_id: int, actor: str) -> dict | None:
        with Change(self._sessions) as session:
            row = session.get(ExperimentRow, experiment_id)
            if row is None:
                return None
            if row.status != "draft":
                raise ExperimentConflict(f"experiment {experiment_id} is {row.status}; only a draft can start", "status")
            other = session.scalar(select(ExperimentRow.id).where(ExperimentRow.status == "running",
                                                                  ExperimentRow.placement == row.placement))
            if other is not None:
                raise ExperimentConflict(f"experiment {other} already runs on placement {row.placement!r}; stop it "
                                         "first (one experiment per placement)", "placement")
            before = row.to_dict()
            row.status, row.started_at = "running", time.time()
            record(session, actor, "start", "experiment", str(row.id), before, row.to_dict())
            return row.to_dict()

    def stop(self, experiment_id: int, actor: str, promote: str | None, note: dict) -> dict | None:
        """Stop; ``promote`` names the variant whose settings become the placement's own."""
        with Change(self._sessions) as session:
            row = session.get(ExperimentRow, experiment_id)
            if row is None:
                return None
            if row.status != "running":
                raise ExperimentConflict(f"experiment {experiment_id} is {row.status}; only a running one can stop",
                                         "status")
            before = row.to_dict()
            row.status, row.stopped_at, row.winner, row.stop_note = "stopped", time.time(), promote, note
            if promote is not None:
                _promote(session, row, promote, actor)
            record(session, actor, "stop", "experiment", str(row.id), before, row.to_dict())
            return row.to_dict()

    def expose(self, batches: Sequence[list[dict]]) -> list[int]:
        """Note exposures (``experiment_id``, ``unit``, ``variant``, ``at``), several requests' in one
        transaction (a group commit's ``commit``); a unit already noted keeps its first."""
        with self.events.write_turn(), self.events.writer.begin() as connection:
            statement = dialect_module(connection).insert(EXPOSURES).on_conflict_do_nothing()
            connection.execute(statement, [row for batch in batches for row in batch])
        return [len(batch) for batch in batches]


def _promote(session: Session, row: ExperimentRow, variant_name: str, actor: str) -> None:
    variant = next((v for v in stored_experiment(row.design).variants if v.name == variant_name), None)
    if variant is None:
        raise ExperimentConflict(f"experiment {row.id} has no variant {variant_name!r}", "promote")
    placement = session.get(PlacementRow, row.placement)
    fallback = session.get(PlacementRow, DEFAULT_PLACEMENT)
    base = parse_settings(placement.settings if placement else fallback.settings if fallback else {})
    settings = variant_settings(base, variant).to_dict()
    before = placement.settings if placement else None
    if placement is None:
        session.add(PlacementRow(name=row.placement, settings=settings, updated_at=now_text()))
    else:
        placement.settings, placement.updated_at = settings, now_text()
    if settings != before:
        record(session, actor, "update", "placement", row.placement, before, settings)

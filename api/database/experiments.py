"""The experiments tables: each experiment's design and state, and who was exposed to which variant.

``experiments`` is read by the rule store's snapshot (the running ones), so every worker assigns
visitors once it notices a change; ``exposures`` holds one row per experiment and unit (visitor or
customer id), written the first time an answer of the experiment's placement reaches them.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from api.database import Base

STATUSES = ("draft", "running", "stopped")


class ExperimentRow(Base):
    __tablename__ = "experiments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    placement: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    design: Mapped[dict] = mapped_column(JSON)
    salt: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    stopped_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    winner: Mapped[str | None] = mapped_column(String(32), nullable=True)
    stop_note: Mapped[Any] = mapped_column(JSON, nullable=True)

    def to_dict(self) -> dict:
        return {"id": self.id, **self.design, "status": self.status, "salt": self.salt,
                "created_at": self.created_at, "started_at": self.started_at, "stopped_at": self.stopped_at,
                "winner": self.winner, "stop_note": self.stop_note}


class ExposureRow(Base):
    __tablename__ = "exposures"
    experiment_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit: Mapped[str] = mapped_column(String(256), primary_key=True)
    variant: Mapped[str] = mapped_column(String(32))
    at: Mapped[float] = mapped_column(Float)


EXPOSURES = ExposureRow.__table__

"""The erasure list: whose events were deleted on request, and when.

Written by the event store (``EventStore.erase``) in the same change as the deletion; read by the
rule store's snapshot, so every worker stops answering from what a model version learned about an
erased customer once it notices the change, and by training, which leaves their older rows out.
Only the id stays, which is what keeps it erased.
"""
from __future__ import annotations

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from api.database import Base

VISITOR_USER_PREFIX = "visitor:"  # the customer id a model trained on the event log gives an anonymous visitor


class ErasureRow(Base):
    __tablename__ = "erasures"
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    subject: Mapped[str] = mapped_column(String(256), primary_key=True)
    at: Mapped[float] = mapped_column(Float)

    @property
    def model_user(self) -> str:
        return model_user(self.kind, self.subject)


def model_user(kind: str, subject: str) -> str:
    """The id a model version knows an erased subject by."""
    return subject if kind == "user" else VISITOR_USER_PREFIX + subject

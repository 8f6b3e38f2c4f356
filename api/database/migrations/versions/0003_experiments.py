"""Experiments and their exposures, and an index for the outcome aggregates.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ATTRIBUTED = "type IN ('click', 'cart', 'purchase')"  # as api.outcomes.queries.ATTRIBUTED states it


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("placement", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("design", sa.JSON, nullable=False),
        sa.Column("salt", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("started_at", sa.Float, nullable=True),
        sa.Column("stopped_at", sa.Float, nullable=True),
        sa.Column("winner", sa.String(32), nullable=True),
        sa.Column("stop_note", sa.JSON, nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("experiments_status", "experiments", ["status", "placement"])
    op.create_table(
        "exposures",
        sa.Column("experiment_id", sa.Integer, primary_key=True),
        sa.Column("unit", sa.String(256), primary_key=True),
        sa.Column("variant", sa.String(32), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
    )
    # the outcome aggregates (impressions and clicks per placement and day) read this index alone
    op.create_index("events_outcomes", "events", ["type", "at", "placement"])
    # attribution reads clicks and conversions from this one alone: it holds only those rows, so the
    # views and impressions that make most of the events cost it nothing when they are written
    op.create_index("events_attribution", "events", ["type", "at", "visitor_id", "user_id", "item_id", "placement",
                                                     "order_id", "price", "quantity"],
                    sqlite_where=sa.text(ATTRIBUTED), postgresql_where=sa.text(ATTRIBUTED))


def downgrade() -> None:
    op.drop_index("events_attribution", "events")
    op.drop_index("events_outcomes", "events")
    op.drop_table("exposures")
    op.drop_table("experiments")

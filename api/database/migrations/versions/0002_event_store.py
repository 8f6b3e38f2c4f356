"""The event store: storefront events, visitor-to-customer links and erasures.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite's rowid needs INTEGER


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("seq", SEQUENCE, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(64), nullable=False, unique=True),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("visitor_id", sa.String(256), nullable=True),
        sa.Column("user_id", sa.String(256), nullable=True),
        sa.Column("item_id", sa.String(256), nullable=False),
        sa.Column("category", sa.String(256), nullable=True),
        sa.Column("known_item", sa.Boolean, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("received_at", sa.Float, nullable=False),
        sa.Column("order_id", sa.String(256), nullable=True),
        sa.Column("quantity", sa.Float, nullable=True),
        sa.Column("price", sa.Float, nullable=True),
        sa.Column("recommendation_id", sa.String(64), nullable=True),
        sa.Column("placement", sa.String(64), nullable=True),
        sa.Column("position", sa.Integer, nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("events_visitor", "events", ["visitor_id", "at"])
    op.create_index("events_user", "events", ["user_id", "at"])
    op.create_index("events_type", "events", ["type", "at"])
    op.create_index("events_at", "events", ["at"])
    op.create_table(
        "identities",
        sa.Column("visitor_id", sa.String(256), primary_key=True),
        sa.Column("user_id", sa.String(256), nullable=False),
        sa.Column("linked_at", sa.Float, nullable=False),
    )
    op.create_index("identities_user", "identities", ["user_id"])
    op.create_table(
        "erasures",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("subject", sa.String(256), primary_key=True),
        sa.Column("at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    for table in ("erasures", "identities", "events"):
        op.drop_table(table)

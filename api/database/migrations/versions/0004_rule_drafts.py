"""Rule drafts: a rule made in the console is a draft until published, and a published rule can
carry unpublished changes.

``published_at`` is null for a rule never published (serving ignores it); ``draft`` holds the
pending definition of a published rule. Rules stored before this revision were live: they count as
published when they were last changed.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rules") as batch:
        batch.add_column(sa.Column("published_at", sa.String(40), nullable=True))
        batch.add_column(sa.Column("draft", sa.JSON, nullable=True))
    op.execute("UPDATE rules SET published_at = updated_at")


def downgrade() -> None:
    with op.batch_alter_table("rules") as batch:
        batch.drop_column("draft")
        batch.drop_column("published_at")

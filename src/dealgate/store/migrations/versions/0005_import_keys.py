"""Keys of imported source rows, so a re-run (or a run after a crash) imports nothing twice.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from dealgate.store.types import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("interactions") as batch:
        batch.add_column(sa.Column("source_key", sa.String(300)))
    op.create_index("ix_interactions_source_key", "interactions", ["source_key"])
    op.create_table(
        "import_keys",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("import_keys")
    op.drop_index("ix_interactions_source_key", "interactions")
    with op.batch_alter_table("interactions") as batch:
        batch.drop_column("source_key")

"""Each process load keeps where the stages it left out went, so a review of a past day can
judge a deal that stood in one of them by today's process, and who loaded it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Null for loads made before: they could not leave out a stage deals stood in.
    op.add_column("processes", sa.Column("moves", sa.JSON, nullable=True))
    op.add_column("processes", sa.Column("loaded_by", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("processes") as batch:
        batch.drop_column("loaded_by")
        batch.drop_column("moves")

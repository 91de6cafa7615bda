"""Projections for set-based review: the commitment that exited each stage, the last override.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from dealgate.store.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stage_exits",
        sa.Column(
            "deal_id", sa.Integer, sa.ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("stage", sa.String(100), primary_key=True),
        sa.Column("commitment", sa.Integer, nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
    )
    with op.batch_alter_table("deals") as batch:
        batch.add_column(sa.Column("override_reason", sa.Text))
    op.create_index("ix_commitments_deal_party", "commitments", ["deal_id", "party"])
    op.create_index("ix_interactions_deal_on", "interactions", ["deal_id", "on_date", "number"])


def downgrade() -> None:
    op.drop_index("ix_interactions_deal_on", "interactions")
    op.drop_index("ix_commitments_deal_party", "commitments")
    with op.batch_alter_table("deals") as batch:
        batch.drop_column("override_reason")
    op.drop_table("stage_exits")

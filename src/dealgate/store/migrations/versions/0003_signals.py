"""Review signals kept beside each deal, so the pipeline review reads one row per deal.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from dealgate.store.types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = (
    ("last_buyer_obtained_at", UTCDateTime),
    ("highest_rung", sa.Integer),
    ("open_due_min", sa.Date),
    ("last_lost_at", UTCDateTime),
    ("last_seller_created_at", UTCDateTime),
    ("last_buyer_created_at", UTCDateTime),
    ("newest_commitment", sa.Integer),
    ("newest_rung", sa.Integer),
    ("streak_since", sa.Date),
)


def upgrade() -> None:
    with op.batch_alter_table("deals") as batch:
        for name, type_ in COLUMNS:
            batch.add_column(sa.Column(name, type_))
    from dealgate.store.signals_sql import refresh_signals

    refresh_signals(op.get_bind())  # deals stored before this migration get theirs now


def downgrade() -> None:
    with op.batch_alter_table("deals") as batch:
        for name, _ in COLUMNS:
            batch.drop_column(name)

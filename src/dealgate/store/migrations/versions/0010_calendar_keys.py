"""A calendar address per user: a secret that reads their calendar feeds and nothing else,
so a calendar app subscribes without holding the API token (which can write).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("calendar_key_hash", sa.String(64)))
    op.create_index("ux_users_calendar_key_hash", "users", ["calendar_key_hash"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_users_calendar_key_hash", "users")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("calendar_key_hash")

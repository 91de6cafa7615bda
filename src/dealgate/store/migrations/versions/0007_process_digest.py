"""Processes carry the SHA-256 of their source, so a deal's read names its process in 64
characters instead of carrying the whole source (a third of PostgreSQL's work per read).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable in the schema: SQLite would have to rebuild the table (which stages and
    # kinds point at) to make it NOT NULL; every load writes it and this fills the rest.
    op.add_column("processes", sa.Column("digest", sa.String(64), nullable=True))
    processes = sa.table(
        "processes", sa.column("id", sa.Integer), sa.column("source"), sa.column("digest")
    )
    conn = op.get_bind()
    for row in conn.execute(sa.select(processes.c.id, processes.c.source)).all():
        conn.execute(
            processes.update()
            .where(processes.c.id == row.id)
            .values(digest=hashlib.sha256(row.source.encode()).hexdigest())
        )


def downgrade() -> None:
    with op.batch_alter_table("processes") as batch:
        batch.drop_column("digest")

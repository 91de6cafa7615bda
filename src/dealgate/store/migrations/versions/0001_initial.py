"""Initial schema: process, deals with their committee, commitments, interactions, events.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from dealgate.store.types import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "processes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("loaded_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "stages",
        sa.Column("process_id", sa.Integer, sa.ForeignKey("processes.id"), primary_key=True),
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("stall_after_days", sa.Integer),
        sa.Column("expected_rung", sa.Integer),
        sa.Column("accepts_earlier", sa.Boolean, nullable=False),
    )
    op.create_table(
        "kinds",
        sa.Column("process_id", sa.Integer, sa.ForeignKey("processes.id"), primary_key=True),
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("rung_level", sa.Integer, nullable=False),
    )
    op.create_table(
        "deals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("account", sa.String(200), nullable=False),
        sa.Column("owner", sa.String(100), nullable=False),
        sa.Column("stage", sa.String(100), nullable=False),
        sa.Column("amount", sa.Numeric(16, 2)),
        sa.Column("close_date", sa.Date),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("stage_entered_at", UTCDateTime, nullable=False),
        sa.Column("close_reason", sa.Text),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("external_id", sa.String(200)),
        sa.UniqueConstraint("external_id", name="uq_deals_external_id"),
    )
    op.create_index("ix_deals_owner_stage", "deals", ["owner", "stage"])
    op.create_index("ix_deals_stage", "deals", ["stage"])
    op.create_table(
        "stakeholders",
        sa.Column(
            "deal_id", sa.Integer, sa.ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(30), nullable=False),
        sa.Column("title", sa.String(200)),
        sa.Column("notes", sa.Text),
    )
    op.create_table(
        "interactions",
        sa.Column(
            "deal_id", sa.Integer, sa.ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("on_date", sa.Date, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("client_declined", sa.Boolean, nullable=False),
    )
    op.create_table(
        "commitments",
        sa.Column(
            "deal_id", sa.Integer, sa.ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("party", sa.String(10), nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("kind", sa.String(100)),
        sa.Column("rung_level", sa.Integer),
        sa.Column("person", sa.String(200)),
        sa.Column("due", sa.Date),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("obtained_at", UTCDateTime),
        sa.Column("kept_on", sa.Date),
        sa.Column("lost_at", UTCDateTime),
        sa.Column("interaction", sa.Integer),
        sa.Column("source", sa.Text),
        sa.ForeignKeyConstraint(
            ["deal_id", "interaction"],
            ["interactions.deal_id", "interactions.number"],
            name="fk_commitments_interaction",
        ),
    )
    op.create_table(
        "notes",
        sa.Column(
            "deal_id", sa.Integer, sa.ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("deal_id", sa.Integer, sa.ForeignKey("deals.id", ondelete="CASCADE")),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("type", sa.String(60), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
    )
    op.create_index("ix_events_deal", "events", ["deal_id", "id"])


def downgrade() -> None:
    for index, table in (("ix_events_deal", "events"),):
        op.drop_index(index, table)
    for table in (
        "events",
        "notes",
        "commitments",
        "interactions",
        "stakeholders",
    ):
        op.drop_table(table)
    op.drop_index("ix_deals_stage", "deals")
    op.drop_index("ix_deals_owner_stage", "deals")
    for table in ("deals", "kinds", "stages", "processes"):
        op.drop_table(table)

"""Table definitions, kept apart from the domain classes. Migrations create them; these
describe them for queries (a test holds the two equal)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from dealgate.store.types import UTCDateTime

metadata = MetaData()

processes = Table(
    "processes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("source", Text, nullable=False),
    Column("loaded_at", UTCDateTime, nullable=False),
    # SHA-256 of the source: what a deal's read carries to name its process (migration 0007).
    Column("digest", String(64), nullable=True),
    # Each stage of the process before that this one left out -> the stage it went to (0012).
    Column("moves", JSON, nullable=True),
    Column("loaded_by", String(100), nullable=True),  # null for loads made before 0012
)

stages = Table(
    "stages",
    metadata,
    Column("process_id", Integer, ForeignKey("processes.id"), primary_key=True),
    Column("key", String(100), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("stall_after_days", Integer),
    Column("expected_rung", Integer),
    Column("accepts_earlier", Boolean, nullable=False),
)

kinds = Table(
    "kinds",
    metadata,
    Column("process_id", Integer, ForeignKey("processes.id"), primary_key=True),
    Column("key", String(100), primary_key=True),
    Column("rung_level", Integer, nullable=False),
)

deals = Table(
    "deals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("account", String(200), nullable=False),
    Column("owner", String(100), nullable=False),
    Column("stage", String(100), nullable=False),
    Column("amount", Numeric(16, 2)),
    Column("close_date", Date),
    Column("created_at", UTCDateTime, nullable=False),
    Column("stage_entered_at", UTCDateTime, nullable=False),
    Column("close_reason", Text),
    Column("version", Integer, nullable=False),
    Column("external_id", String(200)),
    Column("override_reason", Text),
    # Review signals (domain/review.py DealSignals), current on every write.
    Column("last_buyer_obtained_at", UTCDateTime),
    Column("highest_rung", Integer),
    Column("open_due_min", Date),
    Column("last_lost_at", UTCDateTime),
    Column("last_seller_created_at", UTCDateTime),
    Column("last_buyer_created_at", UTCDateTime),
    Column("newest_commitment", Integer),
    Column("newest_rung", Integer),
    Column("streak_since", Date),
    # The deal's stakeholders, commitments, interactions, notes and stage events as one JSON
    # document, written with the deal by the repository, so that reading a deal is one row
    # (the rows' tables stay the record). NULL: rows written in bulk since; read from the
    # tables until `deal_document.fill_documents` writes it.
    Column("children", Text),
    UniqueConstraint("external_id", name="uq_deals_external_id"),
    Index("ix_deals_owner_stage", "owner", "stage"),
    Index("ix_deals_stage", "stage"),
)

# A deal's own columns, without the document of its rows that only its read takes.
deal_columns = tuple(c for c in deals.columns if c.name != "children")
# What every list of deals shows first (the board, the review, the confirm queue), in order.
deal_headline = tuple(
    deals.c[name] for name in ("id", "name", "account", "owner", "stage", "amount")
)

stakeholders = Table(
    "stakeholders",
    metadata,
    Column("deal_id", Integer, ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("role", String(30), nullable=False),
    Column("title", String(200)),
    Column("notes", Text),
)

interactions = Table(
    "interactions",
    metadata,
    Column("deal_id", Integer, ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("on_date", Date, nullable=False),
    Column("summary", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("client_declined", Boolean, nullable=False),
    Column("source_key", String(300)),  # the source row an imported interaction came from
    Index("ix_interactions_deal_on", "deal_id", "on_date", "number"),
    Index("ix_interactions_source_key", "source_key"),
)

# Projection of stage-move events: which commitment exited which stage (for set-based review).
stage_exits = Table(
    "stage_exits",
    metadata,
    Column("deal_id", Integer, ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True),
    Column("stage", String(100), primary_key=True),
    Column("commitment", Integer, nullable=False),
    Column("at", UTCDateTime, nullable=False),
)

commitments = Table(
    "commitments",
    metadata,
    Column("deal_id", Integer, ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("party", String(10), nullable=False),
    Column("action", Text, nullable=False),
    Column("kind", String(100)),
    Column("rung_level", Integer),
    Column("person", String(200)),
    Column("due", Date),
    Column("status", String(20), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("obtained_at", UTCDateTime),
    Column("kept_on", Date),
    Column("lost_at", UTCDateTime),
    Column("interaction", Integer),
    Column("source", Text),
    ForeignKeyConstraint(
        ["deal_id", "interaction"],
        ["interactions.deal_id", "interactions.number"],
        name="fk_commitments_interaction",
    ),
    # Status last: the review asks per deal whether a buyer commitment of some status exists.
    Index("ix_commitments_deal_party_status", "deal_id", "party", "status"),
)

notes = Table(
    "notes",
    metadata,
    Column("deal_id", Integer, ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("kind", String(30), nullable=False),
    Column("text", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(100), nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("deal_id", Integer, ForeignKey("deals.id", ondelete="CASCADE")),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("type", String(60), nullable=False),
    Column("payload", JSON, nullable=False),
    Index("ix_events_deal", "deal_id", "id"),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("team", String(100)),
    Column("token_hash", String(64), unique=True),
    Column("password_hash", Text),
    Column("created_at", UTCDateTime, nullable=False),
    # The secret of the user's calendar address: it reads their calendar feeds, nothing else.
    Column("calendar_key_hash", String(64)),
    Index("ux_users_calendar_key_hash", "calendar_key_hash", unique=True),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("address", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_login_failures_pair", "name", "address", "at"),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("url", Text, nullable=False),
    Column("events", Text, nullable=False),
    Column("secret", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("webhook_id", Integer, ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False),
    Column("event", String(60), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("last_status_code", Integer),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime),
    Index("ix_deliveries_due", "status", "next_attempt_at"),
)

# Which overdue commitments a `commitment.overdue` webhook has already been told about.
overdue_notices = Table(
    "overdue_notices",
    metadata,
    Column("deal_id", Integer, ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
)

import_keys = Table(
    "import_keys",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("at", UTCDateTime, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_name", String(100), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

"""analytics: one record per conversation for the metrics, hourly and daily rollups of them for the
dashboard, and the refresh job's cursor

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 23:41:05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tandem.core.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics_contacts",
        sa.Column("conversation_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("started_at", tandem.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("intent", sa.String(length=80), nullable=False),
        sa.Column("team", sa.String(length=40), nullable=False),
        sa.Column("resolved_by", sa.String(length=20), nullable=True),
        sa.Column("abandoned_in", sa.String(length=10), nullable=True),
        sa.Column("resolved_at", tandem.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("human_involved", sa.Boolean(), nullable=False),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("escalation_trigger", sa.String(length=40), nullable=True),
        sa.Column("escalation_reason", sa.String(length=60), nullable=True),
        sa.Column("first_signal_at", tandem.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", tandem.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("first_human_at", tandem.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("first_response_at", tandem.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("handle_seconds", sa.Float(), nullable=True),
        sa.Column("csat", sa.SmallInteger(), nullable=True),
        sa.Column("nps", sa.SmallInteger(), nullable=True),
        sa.Column("assisted", sa.Boolean(), nullable=False),
        sa.Column("next_started_at", tandem.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_analytics_contacts")),
    )
    with op.batch_alter_table("analytics_contacts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_analytics_contacts_customer_started", ["customer_id", "started_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_analytics_contacts_started_at"), ["started_at"], unique=False)

    op.create_table(
        "analytics_cursors",
        sa.Column("name", sa.String(length=30), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", tandem.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_analytics_cursors")),
    )
    op.create_table(
        "analytics_rollups",
        sa.Column("grain", sa.String(length=5), nullable=False),
        sa.Column("bucket", tandem.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("intent", sa.String(length=80), nullable=False),
        sa.Column("team", sa.String(length=40), nullable=False),
        sa.Column("conversations", sa.BigInteger(), nullable=False),
        sa.Column("tally", tandem.core.db.JsonType, nullable=False),
        sa.Column("reasons", tandem.core.db.JsonType, nullable=True),
        sa.PrimaryKeyConstraint(
            "grain", "bucket", "channel", "locale", "intent", "team", name=op.f("pk_analytics_rollups")
        ),
    )
    with op.batch_alter_table("analytics_rollups", schema=None) as batch_op:
        batch_op.create_index("ix_analytics_rollups_grain_bucket", ["grain", "bucket"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("analytics_rollups", schema=None) as batch_op:
        batch_op.drop_index("ix_analytics_rollups_grain_bucket")

    op.drop_table("analytics_rollups")
    op.drop_table("analytics_cursors")
    with op.batch_alter_table("analytics_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_analytics_contacts_started_at"))
        batch_op.drop_index("ix_analytics_contacts_customer_started")

    op.drop_table("analytics_contacts")

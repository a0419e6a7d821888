"""routing: agent profiles, queue entries, handoff packets, escalation overrides, SLA breaches

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tandem.core.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine:  # type: ignore[type-arg]
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _big_id() -> sa.types.TypeEngine:  # type: ignore[type-arg]
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "routing_agents",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.SmallInteger(), nullable=False),
        sa.Column("skills", _json(), nullable=False),
        sa.Column("languages", _json(), nullable=False),
        sa.Column("capacity", sa.SmallInteger(), nullable=False),
        sa.Column("presence", sa.String(length=10), nullable=False),
        sa.Column("presence_changed_at", tandem.core.db.UTCDateTime(), nullable=False),
        sa.Column("last_assigned_at", tandem.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_users.id"],
            name=op.f("fk_routing_agents_staff_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("staff_id", name=op.f("pk_routing_agents")),
    )
    op.create_table(
        "routing_entries",
        sa.Column("id", _big_id(), nullable=False),
        sa.Column("conversation_id", _big_id(), nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("queue", sa.String(length=40), nullable=False),
        sa.Column("tier", sa.SmallInteger(), nullable=False),
        sa.Column("skill", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("trigger", sa.String(length=40), nullable=True),
        sa.Column("enqueued_at", tandem.core.db.UTCDateTime(), nullable=False),
        sa.Column("offered_to", sa.Integer(), nullable=True),
        sa.Column("offered_at", tandem.core.db.UTCDateTime(), nullable=True),
        sa.Column("offer_expires_at", tandem.core.db.UTCDateTime(), nullable=True),
        sa.Column("excluded", _json(), nullable=False),
        sa.Column("follow_up_email", sa.String(length=320), nullable=True),
        sa.Column("assigned_to", sa.Integer(), nullable=True),
        sa.Column("closed_at", tandem.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_routing_entries_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_entries")),
    )
    op.create_index(op.f("ix_routing_entries_conversation_id"), "routing_entries", ["conversation_id"])
    op.create_index("ix_routing_entries_status_queue", "routing_entries", ["status", "queue"])
    op.create_table(
        "handoff_packets",
        sa.Column("id", _big_id(), nullable=False),
        sa.Column("conversation_id", _big_id(), nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.Column("trigger", sa.String(length=40), nullable=True),
        sa.Column("rule", sa.String(length=40), nullable=True),
        sa.Column("packet", _json(), nullable=False),
        sa.Column("created_at", tandem.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_handoff_packets_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_packets")),
        sa.UniqueConstraint("source", name=op.f("uq_handoff_packets_source")),
    )
    op.create_index(op.f("ix_handoff_packets_conversation_id"), "handoff_packets", ["conversation_id"])
    op.create_table(
        "escalation_overrides",
        sa.Column("id", _big_id(), nullable=False),
        sa.Column("conversation_id", _big_id(), nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=True),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("customer_text", sa.Text(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("created_at", tandem.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_escalation_overrides_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_users.id"],
            name=op.f("fk_escalation_overrides_staff_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_overrides")),
        sa.UniqueConstraint("event_id", name=op.f("uq_escalation_overrides_event_id")),
    )
    op.create_index(
        op.f("ix_escalation_overrides_conversation_id"), "escalation_overrides", ["conversation_id"]
    )
    op.create_index(op.f("ix_escalation_overrides_created_at"), "escalation_overrides", ["created_at"])
    op.create_table(
        "sla_breaches",
        sa.Column("id", _big_id(), nullable=False),
        sa.Column("conversation_id", _big_id(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("started_at", tandem.core.db.UTCDateTime(), nullable=False),
        sa.Column("due_at", tandem.core.db.UTCDateTime(), nullable=False),
        sa.Column("breached_at", tandem.core.db.UTCDateTime(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_sla_breaches_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_breaches")),
        sa.UniqueConstraint(
            "conversation_id", "kind", "started_at", name="uq_sla_breaches_conversation_kind_start"
        ),
    )
    op.create_index(op.f("ix_sla_breaches_conversation_id"), "sla_breaches", ["conversation_id"])
    op.create_index(op.f("ix_sla_breaches_breached_at"), "sla_breaches", ["breached_at"])
    with op.batch_alter_table("conversation_outcomes") as batch:
        batch.add_column(sa.Column("waited_seconds", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversation_outcomes") as batch:
        batch.drop_column("waited_seconds")
    op.drop_table("sla_breaches")
    op.drop_table("escalation_overrides")
    op.drop_table("handoff_packets")
    op.drop_table("routing_entries")
    op.drop_table("routing_agents")

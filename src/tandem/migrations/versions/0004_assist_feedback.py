"""assist feedback: accepted, edited and rejected suggestions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 17:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tandem.core.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _big_id() -> sa.types.TypeEngine:  # type: ignore[type-arg]
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "assist_feedback",
        sa.Column("id", _big_id(), nullable=False),
        sa.Column("conversation_id", _big_id(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("suggestion_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("customer_text", sa.Text(), nullable=True),
        sa.Column("suggested_text", sa.Text(), nullable=False),
        sa.Column("final_text", sa.Text(), nullable=True),
        sa.Column("created_at", tandem.core.db.UTCDateTime(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_assist_feedback_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_users.id"],
            name=op.f("fk_assist_feedback_staff_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assist_feedback")),
    )
    op.create_index(op.f("ix_assist_feedback_conversation_id"), "assist_feedback", ["conversation_id"])
    op.create_index(op.f("ix_assist_feedback_created_at"), "assist_feedback", ["created_at"])


def downgrade() -> None:
    op.drop_table("assist_feedback")

"""the learning loop: labelled examples from feedback, and the model registry

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 19:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tandem.core.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _big_id() -> sa.types.TypeEngine:  # type: ignore[type-arg]
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _json() -> sa.types.TypeEngine:  # type: ignore[type-arg]
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "learning_examples",
        sa.Column("id", _big_id(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.Column("event_id", _big_id(), nullable=True),
        sa.Column("conversation_id", _big_id(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("locale", sa.String(length=16), nullable=True),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", tandem.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"],
            name=op.f("fk_learning_examples_conversation_id_conversations"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_users.id"], name=op.f("fk_learning_examples_staff_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_examples")),
        sa.UniqueConstraint("source", name=op.f("uq_learning_examples_source")),
    )  # fmt: skip
    op.create_index(op.f("ix_learning_examples_conversation_id"), "learning_examples", ["conversation_id"])
    op.create_index(op.f("ix_learning_examples_created_at"), "learning_examples", ["created_at"])
    op.create_index(op.f("ix_learning_examples_event_id"), "learning_examples", ["event_id"])
    op.create_table(
        "model_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("backend", sa.String(length=20), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("trigger", sa.String(length=40), nullable=False),
        sa.Column("examples", sa.Integer(), nullable=False),
        sa.Column("feedback_examples", sa.Integer(), nullable=False),
        sa.Column("metrics", _json(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("contributors", _json(), nullable=False),
        sa.Column("created_at", tandem.core.db.UTCDateTime(), nullable=False),
        sa.Column("promoted_at", tandem.core.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_versions")),
    )
    op.create_index(op.f("ix_model_versions_status"), "model_versions", ["status"])


def downgrade() -> None:
    op.drop_table("model_versions")
    op.drop_table("learning_examples")

"""every kind of feedback as labelled examples: what the label means (kind), a target (a reply, an article),
the review of doubtful corrections, and a cursor per feedback source

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 22:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tandem.core.db

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("learning_examples") as batch:
        batch.add_column(sa.Column("target", sa.Text(), nullable=True))
        batch.add_column(sa.Column("review", sa.String(length=12), nullable=True))
        batch.add_column(sa.Column("reviewed_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("reviewed_at", tandem.core.db.UTCDateTime(), nullable=True))
        batch.create_index(batch.f("ix_learning_examples_kind"), ["kind"])
        batch.create_index(batch.f("ix_learning_examples_review"), ["review"])
    # Before 0008 every example was an intent correction from "bot failed here".
    op.execute("UPDATE learning_examples SET kind = 'intent' WHERE kind = 'bot_failed_here'")
    op.create_table(
        "learning_cursors",
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_learning_cursors")),
    )
    # Collections before 0008 read conversation events up to the newest example's event.
    op.execute(
        "INSERT INTO learning_cursors (source, position) "
        "SELECT 'events', MAX(event_id) FROM learning_examples WHERE event_id IS NOT NULL HAVING COUNT(*) > 0"
    )


def downgrade() -> None:
    op.drop_table("learning_cursors")
    op.execute("DELETE FROM learning_examples WHERE kind <> 'intent'")
    op.execute("UPDATE learning_examples SET kind = 'bot_failed_here'")
    with op.batch_alter_table("learning_examples") as batch:
        batch.drop_index(batch.f("ix_learning_examples_review"))
        batch.drop_index(batch.f("ix_learning_examples_kind"))
        batch.drop_column("reviewed_at")
        batch.drop_column("reviewed_by")
        batch.drop_column("review")
        batch.drop_column("target")

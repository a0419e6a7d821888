"""conversations: the customer's e-mail address for follow-ups, moved from the queue entry (where it was
lost once the wait ended) to the conversation, so a person's reply reaches the customer by e-mail

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("follow_up_email", sa.String(length=320), nullable=True))
    # the address a waiting customer left on their latest queue entry
    op.execute(
        """
        UPDATE conversations SET follow_up_email = (
            SELECT e.follow_up_email FROM routing_entries e
            WHERE e.conversation_id = conversations.id AND e.follow_up_email IS NOT NULL
            ORDER BY e.id DESC LIMIT 1
        )
        WHERE EXISTS (
            SELECT 1 FROM routing_entries e
            WHERE e.conversation_id = conversations.id AND e.follow_up_email IS NOT NULL
        )
        """
    )
    with op.batch_alter_table("routing_entries") as batch:
        batch.drop_column("follow_up_email")


def downgrade() -> None:
    with op.batch_alter_table("routing_entries") as batch:
        batch.add_column(sa.Column("follow_up_email", sa.String(length=320), nullable=True))
    op.execute(
        """
        UPDATE routing_entries SET follow_up_email = (
            SELECT c.follow_up_email FROM conversations c WHERE c.id = routing_entries.conversation_id
        )
        WHERE status IN ('waiting', 'offered')
        """
    )
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("follow_up_email")

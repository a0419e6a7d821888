"""routing entries: whether the waiting customer still has the chat open (abandonment)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tandem.core.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("routing_entries") as batch:
        batch.add_column(sa.Column("customer_seen_at", tandem.core.db.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("customer_away_since", tandem.core.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("routing_entries") as batch:
        batch.drop_column("customer_away_since")
        batch.drop_column("customer_seen_at")

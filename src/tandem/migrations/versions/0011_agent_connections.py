"""routing agents: presence follows the console's live connections (the presence chosen, whether it follows
the connections, whether one is open, when one was last seen)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 18:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tandem.core.db

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("routing_agents") as batch:
        batch.add_column(sa.Column("chosen_presence", sa.String(length=10), nullable=True))
        batch.add_column(
            sa.Column("follows_connections", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("connected", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("last_seen_at", tandem.core.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("routing_agents") as batch:
        batch.drop_column("last_seen_at")
        batch.drop_column("connected")
        batch.drop_column("follows_connections")
        batch.drop_column("chosen_presence")

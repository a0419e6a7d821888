"""Alembic environment: runs on SQLite and PostgreSQL through the same async engines as the app."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from tandem.migrations.metadata import target_metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _autogenerate_main() -> None:
    engine = create_async_engine(config.get_main_option("sqlalchemy.url") or "")
    async with engine.connect() as conn:
        await conn.run_sync(_run)
        await conn.commit()
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Tandem migrations run online only: use 'tandem db upgrade'.")
_connection = config.attributes.get("connection")
if _connection is not None:
    _run(_connection)
else:  # developers: alembic revision --autogenerate, with sqlalchemy.url set
    asyncio.run(_autogenerate_main())

"""The Alembic migrations produce exactly the schema the models describe, on both databases."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from tandem.bootstrap import Container
from tandem.core import migrate
from tandem.migrations.metadata import target_metadata

pytestmark = pytest.mark.integration


async def test_migrated_schema_matches_the_models(container: Container) -> None:
    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, target_metadata))

    async with container.database.read_engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == []


async def test_schema_is_at_the_newest_revision(container: Container) -> None:
    assert await migrate.current_revision(container.database) == migrate.head_revision()


async def test_messages_are_unique_per_conversation_seq_and_client_id(container: Container) -> None:
    def unique_sets(connection: Connection) -> list[list[str]]:
        inspector = inspect(connection)
        constraints = [c["column_names"] for c in inspector.get_unique_constraints("messages")]
        indexes = [i["column_names"] for i in inspector.get_indexes("messages") if i["unique"]]
        return [list(columns) for columns in constraints + indexes]

    async with container.database.read_engine.connect() as conn:
        uniques = await conn.run_sync(unique_sets)
    assert ["conversation_id", "seq"] in uniques
    assert ["conversation_id", "client_message_id"] in uniques


async def test_upgrade_twice_is_a_no_op(container: Container) -> None:
    await migrate.upgrade(container.database)
    assert await migrate.current_revision(container.database) == migrate.head_revision()

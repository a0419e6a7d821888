"""The only place in analytics that builds SQL: contact records, rollups and the refresh cursor."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.analytics.models import ContactRecord, RefreshCursor, Rollup

DIMENSIONS = ("channel", "locale", "intent", "team")
REFRESH_LOCK_KEY = 0x7A6E_0002  # pg_advisory_xact_lock key (routing's dispatch holds 0x7A6E_0001)
CONTACT_COLUMNS = tuple(column.name for column in ContactRecord.__table__.columns)
# Core inserts of plain rows: the ORM's bulk path is about 20 times slower for a million records.
CONTACTS: Table = ContactRecord.__table__  # type: ignore[assignment]
ROLLUPS: Table = Rollup.__table__  # type: ignore[assignment]


async def cursor(session: AsyncSession, name: str, *, dialect: str) -> int:
    """The cursor, with this transaction holding the refresh's lock: in PostgreSQL an advisory lock (the
    cursor row may not exist yet), in SQLite the single writer. Two instances never refresh at once."""
    if dialect == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": REFRESH_LOCK_KEY})
    statement = select(RefreshCursor.position).where(RefreshCursor.name == name)
    return int(await session.scalar(statement) or 0)


async def set_cursor(session: AsyncSession, name: str, position: int, at: datetime) -> None:
    found = await session.get(RefreshCursor, name)
    if found is None:
        session.add(RefreshCursor(name=name, position=position, updated_at=at))
    else:
        found.position, found.updated_at = position, at
    await session.flush()


async def cursor_row(session: AsyncSession, name: str) -> RefreshCursor | None:
    return await session.get(RefreshCursor, name)


async def replace_contacts(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    ids = [row["conversation_id"] for row in rows]
    for start in range(0, len(ids), 500):
        await session.execute(
            delete(ContactRecord).where(ContactRecord.conversation_id.in_(ids[start : start + 500]))
        )
    await insert_contacts(session, rows)


async def insert_contacts(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 2_000):
        await session.execute(insert(CONTACTS), list(rows[start : start + 2_000]))


async def contact_days(session: AsyncSession, conversation_ids: Sequence[int]) -> list[datetime]:
    statement = select(ContactRecord.started_at).where(
        ContactRecord.conversation_id.in_(list(conversation_ids))
    )
    return list((await session.scalars(statement)).all())


async def contacts_between(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    *,
    batch: int = 10_000,
    filters: dict[str, str] | None = None,
) -> AsyncIterator[Any]:
    """Contact rows started in [start, end) (with these channel, locale, intent or team values), oldest
    first, streamed in batches."""
    statement = (
        select(*ContactRecord.__table__.columns)
        .where(ContactRecord.started_at >= start, ContactRecord.started_at < end)
        .where(*(getattr(ContactRecord, name) == value for name, value in (filters or {}).items()))
        .order_by(ContactRecord.started_at)
        .execution_options(yield_per=batch)
    )
    result = await session.stream(statement)
    async for row in result:
        yield row


async def contact_span(session: AsyncSession) -> tuple[datetime | None, datetime | None, int]:
    row = (
        await session.execute(
            select(func.min(ContactRecord.started_at), func.max(ContactRecord.started_at), func.count())
        )
    ).one()
    return row[0], row[1], int(row[2])


async def replace_rollups(
    session: AsyncSession, start: datetime, end: datetime, rows: Sequence[dict[str, Any]]
) -> None:
    """Every rollup (both grains) of [start, end) replaced by ``rows``."""
    await session.execute(delete(Rollup).where(Rollup.bucket >= start, Rollup.bucket < end))
    for first in range(0, len(rows), 2_000):
        await session.execute(insert(ROLLUPS), list(rows[first : first + 2_000]))


async def rollup_rows(
    session: AsyncSession, *, grain: str, start: datetime, end: datetime, filters: dict[str, str]
) -> list[Any]:
    """(bucket, channel, locale, intent, team, tally, reasons) of one grain in [start, end), filtered."""
    table = ROLLUPS.c
    statement = select(
        table.bucket, table.channel, table.locale, table.intent, table.team, table.tally, table.reasons
    ).where(table.grain == grain, table.bucket >= start, table.bucket < end)
    for name, value in filters.items():
        statement = statement.where(table[name] == value)
    # Core on the session's connection: tens of thousands of rows skip the ORM's result processing.
    connection = await session.connection()
    return list((await connection.execute(statement)).all())


async def dimension_values(session: AsyncSession, since: datetime) -> dict[str, set[str]]:
    """Every channel, locale, intent and team seen in the daily rollups since ``since``."""
    statement = (
        select(Rollup.channel, Rollup.locale, Rollup.intent, Rollup.team)
        .where(Rollup.grain == "day", Rollup.bucket >= since)
        .distinct()
    )
    found: dict[str, set[str]] = {name: set() for name in DIMENSIONS}
    for row in (await session.execute(statement)).all():
        for name, value in zip(DIMENSIONS, row, strict=True):
            found[name].add(value)
    return found


async def delete_contacts(session: AsyncSession) -> None:
    await session.execute(delete(ContactRecord))


async def count_rollups(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Rollup)) or 0)

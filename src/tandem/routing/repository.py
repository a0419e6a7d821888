"""The only place in routing that builds SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.routing.models import AgentProfile, EscalationOverride, HandoffPacket, QueueEntry, SlaBreach

OPEN = ("waiting", "offered")
DISPATCH_LOCK_KEY = 0x7A6E_0001  # pg_advisory_xact_lock key: one dispatcher at a time across instances


async def lock_dispatch(session: AsyncSession, dialect: str) -> None:
    """Serialise dispatch across processes (PostgreSQL); SQLite has one writer anyway."""
    if dialect == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": DISPATCH_LOCK_KEY})


async def list_profiles(session: AsyncSession) -> list[AgentProfile]:
    return list((await session.scalars(select(AgentProfile))).all())


async def ensure_profiles(session: AsyncSession, *, dialect: str, rows: list[dict[str, Any]]) -> None:
    """Insert the missing profiles; a concurrent request inserting the same ones is not an error."""
    if not rows:
        return
    module = postgresql if dialect == "postgresql" else sqlite
    await session.execute(module.insert(AgentProfile).values(rows).on_conflict_do_nothing())


async def lock_profile(session: AsyncSession, staff_id: int) -> AgentProfile | None:
    statement = select(AgentProfile).where(AgentProfile.staff_id == staff_id).with_for_update()
    return await session.scalar(statement)


async def get_profile(session: AsyncSession, staff_id: int) -> AgentProfile | None:
    return await session.get(AgentProfile, staff_id)


async def open_entries(
    session: AsyncSession, *, queue: str | None = None, limit: int = 20_000
) -> list[QueueEntry]:
    statement = (
        select(QueueEntry)
        .where(QueueEntry.status.in_(OPEN))
        .order_by(QueueEntry.enqueued_at, QueueEntry.id)
        .limit(limit)
    )
    if queue is not None:
        statement = statement.where(QueueEntry.queue == queue)
    return list((await session.scalars(statement)).all())


async def open_entries_of(session: AsyncSession, conversation_id: int) -> list[QueueEntry]:
    statement = select(QueueEntry).where(
        QueueEntry.conversation_id == conversation_id, QueueEntry.status.in_(OPEN)
    )
    return list((await session.scalars(statement)).all())


async def open_entry(session: AsyncSession, conversation_id: int, *, lock: bool = False) -> QueueEntry | None:
    statement = (
        select(QueueEntry)
        .where(QueueEntry.conversation_id == conversation_id, QueueEntry.status.in_(OPEN))
        .order_by(QueueEntry.id.desc())
        .limit(1)
    )
    if lock:
        statement = statement.with_for_update()
    return await session.scalar(statement)


async def latest_entries(session: AsyncSession, conversation_ids: Sequence[int]) -> dict[int, QueueEntry]:
    if not conversation_ids:
        return {}
    statement = (
        select(QueueEntry)
        .where(QueueEntry.conversation_id.in_(list(conversation_ids)))
        .order_by(QueueEntry.id)
    )
    latest: dict[int, QueueEntry] = {}
    for entry in (await session.scalars(statement)).all():
        latest[entry.conversation_id] = entry
    return latest


async def offers_per_agent(session: AsyncSession) -> dict[int, int]:
    statement = (
        select(QueueEntry.offered_to, func.count())
        .where(QueueEntry.status == "offered", QueueEntry.offered_to.is_not(None))
        .group_by(QueueEntry.offered_to)
    )
    rows = (await session.execute(statement)).all()
    return {int(staff_id): int(count) for staff_id, count in rows if staff_id is not None}


async def offers_for(session: AsyncSession, staff_id: int) -> list[QueueEntry]:
    statement = (
        select(QueueEntry)
        .where(QueueEntry.status == "offered", QueueEntry.offered_to == staff_id)
        .order_by(QueueEntry.offered_at)
    )
    return list((await session.scalars(statement)).all())


async def expired_offers(session: AsyncSession, now: datetime) -> list[QueueEntry]:
    statement = select(QueueEntry).where(QueueEntry.status == "offered", QueueEntry.offer_expires_at <= now)
    return list((await session.scalars(statement)).all())


async def latest_packet(session: AsyncSession, conversation_id: int) -> HandoffPacket | None:
    statement = (
        select(HandoffPacket)
        .where(HandoffPacket.conversation_id == conversation_id)
        .order_by(HandoffPacket.id.desc())
        .limit(1)
    )
    return await session.scalar(statement)


async def packet_by_source(session: AsyncSession, source: str) -> HandoffPacket | None:
    return await session.scalar(select(HandoffPacket).where(HandoffPacket.source == source))


async def override_for(session: AsyncSession, event_id: int) -> EscalationOverride | None:
    return await session.scalar(select(EscalationOverride).where(EscalationOverride.event_id == event_id))


async def overrides_since(session: AsyncSession, since: datetime) -> list[EscalationOverride]:
    statement = select(EscalationOverride).where(EscalationOverride.created_at >= since)
    return list((await session.scalars(statement)).all())


async def insert_breach(session: AsyncSession, *, dialect: str, values: dict[str, Any]) -> bool:
    """True when this breach is new (one per conversation, kind and start)."""
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(SlaBreach).values(**values).on_conflict_do_nothing().returning(SlaBreach.id)
    return (await session.execute(statement)).first() is not None


async def breach_keys(
    session: AsyncSession, conversation_ids: Sequence[int]
) -> set[tuple[int, str, datetime]]:
    if not conversation_ids:
        return set()
    statement = select(SlaBreach.conversation_id, SlaBreach.kind, SlaBreach.started_at).where(
        SlaBreach.conversation_id.in_(list(set(conversation_ids)))
    )
    return {
        (row.conversation_id, row.kind, row.started_at) for row in (await session.execute(statement)).all()
    }


async def breaches_since(session: AsyncSession, since: datetime) -> list[SlaBreach]:
    statement = select(SlaBreach).where(SlaBreach.breached_at >= since).order_by(SlaBreach.breached_at.desc())
    return list((await session.scalars(statement)).all())


async def overrides_after(session: AsyncSession, *, after_id: int, limit: int) -> list[EscalationOverride]:
    statement = (
        select(EscalationOverride)
        .where(EscalationOverride.id > after_id)
        .order_by(EscalationOverride.id)
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())

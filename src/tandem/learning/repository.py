"""The only place in learning that builds SQL."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.learning.models import ModelVersion, TrainingExample


async def last_event_id(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.max(TrainingExample.event_id))) or 0)


async def known_sources(session: AsyncSession, sources: list[str]) -> set[str]:
    if not sources:
        return set()
    statement = select(TrainingExample.source).where(TrainingExample.source.in_(sources))
    return set((await session.scalars(statement)).all())


async def usable_examples(session: AsyncSession) -> list[TrainingExample]:
    """Active examples whose customer consented, oldest first."""
    statement = (
        select(TrainingExample)
        .where(TrainingExample.active.is_(True), TrainingExample.consent.is_(True))
        .order_by(TrainingExample.id)
    )
    return list((await session.scalars(statement)).all())


async def champion(session: AsyncSession) -> ModelVersion | None:
    return await session.scalar(select(ModelVersion).where(ModelVersion.status == "champion"))


async def get_version(session: AsyncSession, version: int) -> ModelVersion | None:
    return await session.get(ModelVersion, version)


async def list_versions(session: AsyncSession, *, limit: int) -> list[ModelVersion]:
    statement = select(ModelVersion).order_by(ModelVersion.id.desc()).limit(limit)
    return list((await session.scalars(statement)).all())


async def next_version(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.max(ModelVersion.id))) or 0) + 1


async def retire_champion(session: AsyncSession) -> None:
    await session.execute(
        update(ModelVersion).where(ModelVersion.status == "champion").values(status="retired")
    )


async def corrections_per_staff(session: AsyncSession) -> dict[int, int]:
    statement = (
        select(TrainingExample.staff_id, func.count())
        .where(
            TrainingExample.staff_id.is_not(None),
            TrainingExample.consent.is_(True),
            TrainingExample.active.is_(True),
        )
        .group_by(TrainingExample.staff_id)
    )
    rows = (await session.execute(statement)).all()
    return {int(staff): int(count) for staff, count in rows if staff is not None}

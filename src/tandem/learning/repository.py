"""The only place in learning that builds SQL."""

from __future__ import annotations

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.learning.models import FeedbackCursor, ModelVersion, TrainingExample


async def cursor(session: AsyncSession, source: str) -> int:
    return int(
        await session.scalar(select(FeedbackCursor.position).where(FeedbackCursor.source == source)) or 0
    )


async def advance(session: AsyncSession, source: str, position: int) -> None:
    row = await session.get(FeedbackCursor, source)
    if row is None:
        session.add(FeedbackCursor(source=source, position=position))
    elif position > row.position:
        row.position = position


async def max_example_id(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.max(TrainingExample.id))) or 0)


async def known_sources(session: AsyncSession, sources: list[str]) -> set[str]:
    if not sources:
        return set()
    statement = select(TrainingExample.source).where(TrainingExample.source.in_(sources))
    return set((await session.scalars(statement)).all())


async def usable_examples(session: AsyncSession, *, kind: str) -> list[TrainingExample]:
    """Active examples of a kind whose customer consented and no reviewer rejected or holds, oldest first."""
    statement = (
        select(TrainingExample)
        .where(
            TrainingExample.kind == kind,
            TrainingExample.active.is_(True),
            TrainingExample.consent.is_(True),
            or_(TrainingExample.review.is_(None), TrainingExample.review == "approved"),
        )
        .order_by(TrainingExample.id)
    )
    return list((await session.scalars(statement)).all())


async def hold_for_review(session: AsyncSession, ids: list[int]) -> None:
    if ids:
        await session.execute(
            update(TrainingExample)
            .where(TrainingExample.id.in_(ids), TrainingExample.review.is_(None))
            .values(review="held")
        )


async def get_example(session: AsyncSession, example_id: int) -> TrainingExample | None:
    return await session.get(TrainingExample, example_id)


async def list_examples(
    session: AsyncSession, *, kind: str | None, review: str | None, after_id: int, limit: int
) -> list[TrainingExample]:
    statement = select(TrainingExample).where(TrainingExample.id > after_id)
    if kind is not None:
        statement = statement.where(TrainingExample.kind == kind)
    if review is not None:
        statement = statement.where(TrainingExample.review == review)
    statement = statement.order_by(TrainingExample.id).limit(limit)
    return list((await session.scalars(statement)).all())


async def examples_per_kind(session: AsyncSession) -> dict[str, int]:
    statement = select(TrainingExample.kind, func.count()).group_by(TrainingExample.kind)
    return {str(kind): int(count) for kind, count in (await session.execute(statement)).all()}


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
            TrainingExample.kind.in_(("intent", "article")),
            TrainingExample.consent.is_(True),
            TrainingExample.active.is_(True),
        )
        .group_by(TrainingExample.staff_id)
    )
    rows = (await session.execute(statement)).all()
    return {int(staff): int(count) for staff, count in rows if staff is not None}


async def held_count(session: AsyncSession) -> int:
    """Corrections waiting for a person's review."""
    statement = select(func.count()).select_from(TrainingExample).where(TrainingExample.review == "held")
    return int(await session.scalar(statement) or 0)

"""The only place in accounts that builds SQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.accounts.models import ApiToken, StaffUser


async def get_staff(session: AsyncSession, staff_id: int) -> StaffUser | None:
    return await session.get(StaffUser, staff_id)


async def get_staff_by_email(session: AsyncSession, email: str) -> StaffUser | None:
    return await session.scalar(select(StaffUser).where(func.lower(StaffUser.email) == email.lower()))


async def list_staff(session: AsyncSession) -> list[StaffUser]:
    return list((await session.scalars(select(StaffUser).order_by(StaffUser.id))).all())


async def count_staff(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(StaffUser)) or 0)


async def find_live_token(
    session: AsyncSession, token_hash: str, now: datetime
) -> tuple[ApiToken, StaffUser] | None:
    row = (
        await session.execute(
            select(ApiToken, StaffUser)
            .join(StaffUser, StaffUser.id == ApiToken.staff_id)
            .where(
                ApiToken.token_hash == token_hash,
                ApiToken.revoked_at.is_(None),
                ApiToken.expires_at > now,
                StaffUser.active.is_(True),
            )
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def revoke_tokens(session: AsyncSession, *, staff_id: int, now: datetime) -> None:
    await session.execute(
        update(ApiToken)
        .where(ApiToken.staff_id == staff_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def revoke_token(session: AsyncSession, *, token_hash: str, now: datetime) -> None:
    await session.execute(update(ApiToken).where(ApiToken.token_hash == token_hash).values(revoked_at=now))

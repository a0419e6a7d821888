"""Queries of the demo store: the only module here that builds SQL.

Orders are always loaded with their lines (selectinload) because every caller shows them; relationships
raise on lazy load, so a forgotten option fails loudly in tests instead of issuing N+1 queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from tandem.store.models import StoreAccount, StoreOrder, StorePromoCode


async def count_accounts(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(StoreAccount)) or 0)


async def get_account_by_email(session: AsyncSession, *, email: str) -> StoreAccount | None:
    stmt = select(StoreAccount).where(func.lower(StoreAccount.email) == email.strip().lower())
    return (await session.scalars(stmt)).first()


async def get_account_by_code(session: AsyncSession, *, account_code: str) -> StoreAccount | None:
    stmt = select(StoreAccount).where(func.upper(StoreAccount.account_code) == account_code.strip().upper())
    return (await session.scalars(stmt)).first()


async def list_accounts_by_phone_digits(
    session: AsyncSession, *, digits: str, suffix: bool
) -> Sequence[StoreAccount]:
    """Exact digit match, or (``suffix``) accounts whose number ends with ``digits`` (a national format)."""
    column = StoreAccount.phone_digits
    condition = column.endswith(digits, autoescape=True) if suffix else column == digits
    return (await session.scalars(select(StoreAccount).where(condition).limit(2))).all()


async def get_account(session: AsyncSession, *, account_id: int) -> StoreAccount | None:
    return await session.get(StoreAccount, account_id)


async def get_order_by_number(
    session: AsyncSession, *, number: str, for_update: bool = False
) -> StoreOrder | None:
    """The order with ``number`` (exact, upper-case "ORD-12345"), with its lines."""
    stmt = select(StoreOrder).where(StoreOrder.number == number).options(selectinload(StoreOrder.lines))
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


async def list_recent_orders(session: AsyncSession, *, account_id: int, limit: int) -> Sequence[StoreOrder]:
    """Newest first; ties on the date broken by id so the order is stable."""
    stmt = (
        select(StoreOrder)
        .where(StoreOrder.account_id == account_id)
        .options(selectinload(StoreOrder.lines))
        .order_by(StoreOrder.placed_on.desc(), StoreOrder.id.desc())
        .limit(limit)
    )
    return (await session.scalars(stmt)).all()


async def sum_order_totals(session: AsyncSession, *, account_id: int, statuses: Sequence[str]) -> Decimal:
    stmt = select(func.coalesce(func.sum(StoreOrder.total), 0)).where(
        StoreOrder.account_id == account_id, StoreOrder.status.in_(statuses)
    )
    return Decimal(str(await session.scalar(stmt) or 0))


async def get_promo_code(session: AsyncSession, *, code: str) -> StorePromoCode | None:
    stmt = select(StorePromoCode).where(func.upper(StorePromoCode.code) == code.strip().upper())
    return (await session.scalars(stmt)).first()


async def list_promo_codes(
    session: AsyncSession, *, valid_on: date | None = None
) -> Sequence[StorePromoCode]:
    stmt = select(StorePromoCode).order_by(StorePromoCode.code)
    if valid_on is not None:
        stmt = stmt.where(StorePromoCode.valid_until >= valid_on)
    return (await session.scalars(stmt)).all()

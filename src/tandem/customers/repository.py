"""The only place in customers that builds SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.customers.models import Customer, CustomerIdentity


async def get_customer(session: AsyncSession, customer_id: int) -> Customer | None:
    return await session.get(Customer, customer_id)


async def display_names(session: AsyncSession, customer_ids: list[int]) -> dict[int, str | None]:
    return await _column_by_id(session, Customer.display_name, customer_ids)


async def training_consents(session: AsyncSession, customer_ids: list[int]) -> dict[int, bool | None]:
    return await _column_by_id(session, Customer.training_consent, customer_ids)


async def _column_by_id(session: AsyncSession, column: Any, customer_ids: list[int]) -> dict[int, Any]:
    """customer id → one column, in chunks (databases cap the parameters of one statement)."""
    found: dict[int, Any] = {}
    ids = sorted(set(customer_ids))
    for start in range(0, len(ids), 1000):
        statement = select(Customer.id, column).where(Customer.id.in_(ids[start : start + 1000]))
        found.update({int(row[0]): row[1] for row in (await session.execute(statement)).all()})
    return found


async def get_by_widget_token(session: AsyncSession, token_hash: str) -> Customer | None:
    return await session.scalar(select(Customer).where(Customer.widget_token_hash == token_hash))


async def find_verified(session: AsyncSession, pairs: list[tuple[str, str]]) -> list[CustomerIdentity]:
    if not pairs:
        return []
    statement = select(CustomerIdentity).where(
        CustomerIdentity.verified.is_(True),
        or_(*[(CustomerIdentity.kind == kind) & (CustomerIdentity.value == value) for kind, value in pairs]),
    )
    return list((await session.scalars(statement)).all())


async def list_identities(session: AsyncSession, customer_id: int) -> list[CustomerIdentity]:
    statement = (
        select(CustomerIdentity)
        .where(CustomerIdentity.customer_id == customer_id)
        .order_by(CustomerIdentity.id)
    )
    return list((await session.scalars(statement)).all())


async def identity_exists(session: AsyncSession, *, customer_id: int, kind: str, value: str) -> bool:
    statement = select(CustomerIdentity.id).where(
        CustomerIdentity.customer_id == customer_id,
        tuple_(CustomerIdentity.kind, CustomerIdentity.value) == (kind, value),
    )
    return (await session.scalar(statement)) is not None

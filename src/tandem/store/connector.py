"""The demo store as a ``CrmConnector``: what Tandem uses when no real CRM is configured."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.core.clock import Clock, SystemClock
from tandem.customers.crm import CrmLookup, CustomerProfile, OrderSummary
from tandem.store import service


class DemoStoreConnector:
    """Reads Loom & Lantern's accounts and orders; each call opens and closes its own read session.

    ``sessions`` is an ``async_sessionmaker`` (or any callable returning an ``AsyncSession``), so the
    connector can use Tandem's read engine and never waits behind writers.
    """

    def __init__(
        self,
        sessions: Callable[[], AsyncSession],
        *,
        clock: Clock | None = None,
        writer: Callable[[], AbstractAsyncContextManager[AsyncSession]] | None = None,
    ) -> None:
        self._sessions = sessions
        self._clock = clock or SystemClock()
        self._writer = writer

    async def find_profile(self, lookup: CrmLookup) -> CustomerProfile | None:
        async with self._sessions() as session:
            return await service.find_profile(session, lookup=lookup, fetched_at=self._clock.now())

    async def find_order(self, order_number: str) -> OrderSummary | None:
        async with self._sessions() as session:
            return await service.get_order(session, order_number=order_number)

    async def change_shipping_address(self, order_number: str, new_address: str) -> OrderSummary:
        """The bot's address-change flow, after it checked the policy; the store re-checks under a lock."""
        if self._writer is None:
            raise RuntimeError("this connector was built read-only")
        async with self._writer() as session:
            return await service.change_shipping_address(
                session, order_number=order_number, new_address=new_address
            )

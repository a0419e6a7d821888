"""The CRM connector protocol: how Tandem reads what the business knows about a customer.

The bot's flows, the handoff packet and agent assist all read customer context through this protocol, so
a Shopify, Salesforce or in-house connector can replace the built-in demo store without touching them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True)
class CrmLookup:
    """What we know that could identify the customer. Any field may be None."""

    email: str | None = None
    phone: str | None = None
    external_id: str | None = None
    order_number: str | None = None


@dataclass(frozen=True)
class OrderLine:
    sku: str
    name: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class OrderSummary:
    number: str
    placed_on: date
    status: str  # placed | packed | shipped | delivered | returned | cancelled
    total: Decimal
    currency: str
    lines: tuple[OrderLine, ...] = ()
    carrier: str | None = None
    tracking_number: str | None = None
    delivered_on: date | None = None
    shipping_address: str | None = None


@dataclass(frozen=True)
class CustomerProfile:
    external_id: str
    name: str
    email: str | None
    phone: str | None
    membership: str  # guest | bronze | silver | gold
    premium_subscription: bool
    customer_since: date | None
    lifetime_value: Decimal
    orders: tuple[OrderSummary, ...] = field(default_factory=tuple)
    notes: tuple[str, ...] = ()
    fetched_at: datetime | None = None


class CrmConnector(Protocol):
    async def find_profile(self, lookup: CrmLookup) -> CustomerProfile | None:
        """The profile for the first field of ``lookup`` that matches, with recent orders (newest first)."""
        ...

    async def find_order(self, order_number: str) -> OrderSummary | None: ...

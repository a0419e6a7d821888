"""Use cases of the demo store: what the bot and agents ask of the commerce backend.

Services never commit; the caller owns the transaction. Results are the ``tandem.customers.crm`` dataclasses
(or small dataclasses here) so no ORM object escapes the session.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.customers.crm import CrmLookup, CustomerProfile, OrderLine, OrderSummary
from tandem.store import policies, repository
from tandem.store.errors import AddressChangeRefusedError, InvalidAddressError, OrderNotFoundError
from tandem.store.models import StoreAccount, StoreOrder

RECENT_ORDERS = 10
# Statuses whose totals the customer actually paid and kept.
_VALUE_STATUSES = ("placed", "packed", "shipped", "delivered")
_ORDER_NUMBER = re.compile(r"^(?:ORD)?[\s#:\-_]*(\d{4,7})$")
_MIN_SUFFIX_DIGITS = 7


def normalize_order_number(raw: str) -> str | None:
    """``"ord-10001"``, ``"ORD 10001"``, ``"#10001"`` and ``"10001"`` all become ``"ORD-10001"``."""
    match = _ORDER_NUMBER.match(raw.strip().upper())
    return f"ORD-{match.group(1)}" if match else None


def to_order_summary(order: StoreOrder) -> OrderSummary:
    return OrderSummary(
        number=order.number,
        placed_on=order.placed_on,
        status=order.status,
        total=order.total,
        currency=order.currency,
        lines=tuple(
            OrderLine(sku=line.sku, name=line.name, quantity=line.quantity, unit_price=line.unit_price)
            for line in order.lines
        ),
        carrier=order.carrier,
        tracking_number=order.tracking_number,
        delivered_on=order.delivered_on,
        shipping_address=order.shipping_address,
    )


def _notes(account: StoreAccount) -> tuple[str, ...]:
    notes = [
        f"Account {account.account_code}, username {account.username}.",
        f"Address on file: {account.address_line}.",
    ]
    if account.premium_subscription:
        renews = account.premium_renews_on.isoformat() if account.premium_renews_on else "unknown"
        notes.append(f"Premium subscriber; renews on {renews}.")
    if account.store_credit > 0:
        notes.append(f"Store credit balance: {account.store_credit}.")
    return tuple(notes)


async def _account_for_lookup(session: AsyncSession, lookup: CrmLookup) -> StoreAccount | None:
    """The account for the first field of ``lookup`` that matches, in the order email, phone, id, order."""
    if lookup.email and lookup.email.strip():
        account = await repository.get_account_by_email(session, email=lookup.email)
        if account is not None:
            return account
    if lookup.phone:
        account = await _account_by_phone(session, lookup.phone)
        if account is not None:
            return account
    if lookup.external_id and lookup.external_id.strip():
        account = await repository.get_account_by_code(session, account_code=lookup.external_id)
        if account is not None:
            return account
    if lookup.order_number:
        number = normalize_order_number(lookup.order_number)
        order = await repository.get_order_by_number(session, number=number) if number else None
        if order is not None:
            return await repository.get_account(session, account_id=order.account_id)
    return None


async def _account_by_phone(session: AsyncSession, phone: str) -> StoreAccount | None:
    """Digits-only comparison; a national number ("07700 900001") matches when exactly one account ends so."""
    digits = "".join(ch for ch in phone.replace("(0)", "") if ch.isdigit())  # "+44 (0) 7700 ..."
    if len(digits) < _MIN_SUFFIX_DIGITS:
        return None
    exact = await repository.list_accounts_by_phone_digits(session, digits=digits, suffix=False)
    if exact:
        return exact[0]
    national = digits.lstrip("0")
    if len(national) < _MIN_SUFFIX_DIGITS:
        return None
    found = await repository.list_accounts_by_phone_digits(session, digits=national, suffix=True)
    return found[0] if len(found) == 1 else None


async def find_profile(
    session: AsyncSession,
    *,
    lookup: CrmLookup,
    fetched_at: datetime | None = None,
    order_limit: int = RECENT_ORDERS,
) -> CustomerProfile | None:
    """The customer's profile with their most recent orders (newest first), or None if nobody matches."""
    account = await _account_for_lookup(session, lookup)
    if account is None:
        return None
    orders = await repository.list_recent_orders(session, account_id=account.id, limit=order_limit)
    lifetime = await repository.sum_order_totals(session, account_id=account.id, statuses=_VALUE_STATUSES)
    return CustomerProfile(
        external_id=account.account_code,
        name=account.full_name,
        email=account.email,
        phone=account.phone,
        membership=account.membership,
        premium_subscription=account.premium_subscription,
        customer_since=account.customer_since,
        lifetime_value=lifetime.quantize(Decimal("0.01")),
        orders=tuple(to_order_summary(o) for o in orders),
        notes=_notes(account),
        fetched_at=fetched_at,
    )


async def get_order(session: AsyncSession, *, order_number: str) -> OrderSummary | None:
    number = normalize_order_number(order_number)
    order = await repository.get_order_by_number(session, number=number) if number else None
    return to_order_summary(order) if order is not None else None


@dataclass(frozen=True)
class OrderStatus:
    order: OrderSummary
    account_code: str
    membership: str
    summary: str  # one sentence a customer can be told
    delivery: policies.DeliveryCheck
    returns: policies.ReturnDecision


async def get_order_status(session: AsyncSession, *, order_number: str, today: date) -> OrderStatus | None:
    """Where an order is, whether it is late, and whether it could be returned today."""
    number = normalize_order_number(order_number)
    order = await repository.get_order_by_number(session, number=number) if number else None
    if order is None:
        return None
    account = await repository.get_account(session, account_id=order.account_id)
    membership = account.membership if account else "guest"
    summary = to_order_summary(order)
    return OrderStatus(
        order=summary,
        account_code=account.account_code if account else "",
        membership=membership,
        summary=policies.describe_status(summary),
        delivery=policies.delivery_check(summary, today=today),
        returns=policies.return_eligibility(summary, membership=membership, today=today),
    )


async def change_shipping_address(
    session: AsyncSession, *, order_number: str, new_address: str
) -> OrderSummary:
    """Point an order that has not shipped yet at a new address; flushes, the caller commits."""
    address = " ".join(new_address.split())
    if len(address) < 8:
        raise InvalidAddressError("The new address looks incomplete.", order_number=order_number)
    number = normalize_order_number(order_number)
    order = await repository.get_order_by_number(session, number=number, for_update=True) if number else None
    if order is None:
        raise OrderNotFoundError(order_number=order_number)
    decision = policies.address_change_allowed(to_order_summary(order))
    if not decision.allowed:
        raise AddressChangeRefusedError(
            order_number=order.number, status=order.status, reason=decision.reason
        )
    order.shipping_address = address
    await session.flush()
    return to_order_summary(order)


@dataclass(frozen=True)
class PromoOffer:
    code: str
    percent_off: int
    valid_until: date
    min_membership: str
    description: str


async def list_promo_codes(session: AsyncSession, *, membership: str, today: date) -> list[PromoOffer]:
    """The codes a customer of ``membership`` can use today, best discount first."""
    offers = []
    for promo in await repository.list_promo_codes(session, valid_on=today):
        terms = policies.PromoTerms(promo.code, promo.percent_off, promo.valid_until, promo.min_membership)
        if policies.promo_code_applies(terms, membership=membership, today=today).applies:
            offers.append(
                PromoOffer(
                    promo.code, promo.percent_off, promo.valid_until, promo.min_membership, promo.description
                )
            )
    return sorted(offers, key=lambda o: (-o.percent_off, o.code))


async def check_promo_code(
    session: AsyncSession, *, code: str, membership: str, today: date
) -> policies.PromoDecision:
    """Why a code the customer typed does or does not work."""
    promo = await repository.get_promo_code(session, code=code)
    terms = (
        policies.PromoTerms(promo.code, promo.percent_off, promo.valid_until, promo.min_membership)
        if promo is not None
        else None
    )
    return policies.promo_code_applies(terms, membership=membership, today=today, code=code)

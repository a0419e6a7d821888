"""What customers read has its dates, amounts and numbers in their own conventions (Babel), never ISO
dates or bare amounts: "delivered on May 3, 2026" / "el 3 de mayo de 2026", "€129.00" / "129,00 €"."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from tandem.bot.flows import DemoStoreFlows, describe_order, describe_return
from tandem.bot.messages import Money, format_value, known_keys, say, status_name
from tandem.bot.nlu.entities import extract_entities
from tandem.bot.types import BotTurn
from tandem.customers.crm import CrmLookup, CustomerProfile, OrderSummary
from tandem.store import policies

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DELIVERED = date(2026, 5, 3)
TODAY = date(2026, 5, 10)


def _order(status: str = "delivered", **changes: object) -> OrderSummary:
    values: dict[str, object] = {
        "number": "ORD-12345", "placed_on": date(2026, 4, 28), "status": status, "total": Decimal("1129.50"),
        "currency": "EUR", "carrier": "DHL", "tracking_number": "TRK1", "delivered_on": DELIVERED,
    }  # fmt: skip
    values.update(changes)
    return OrderSummary(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("locale", "day", "euros", "dollars", "count"),
    [
        ("en", "May 3, 2026", "€1,129.50", "$49.00", "10,000"),
        ("en-GB", "3 May 2026", "€1,129.50", "US$49.00", "10,000"),
        ("es", "3 de mayo de 2026", "1.129,50\xa0€", "49,00\xa0US$", "10.000"),
        ("fr", "3 mai 2026", "1\u202f129,50\xa0€", "49,00\xa0$US", "10\u202f000"),
        ("de", "3. Mai 2026", "1.129,50\xa0€", "49,00\xa0$", "10.000"),
        ("it", "May 3, 2026", "€1,129.50", "$49.00", "10,000"),  # not served: English throughout
    ],
)
def test_values_are_formatted_for_the_customer_locale(
    locale: str, day: str, euros: str, dollars: str, count: str
) -> None:
    assert format_value(DELIVERED, locale) == day
    assert format_value(Money(Decimal("1129.5"), "EUR"), locale) == euros
    assert format_value(Money(Decimal("49"), "usd"), locale) == dollars
    assert format_value(10_000, locale) == count
    assert format_value("ORD-10002", locale) == "ORD-10002"  # text is left alone


def test_order_facts_read_naturally_in_each_language() -> None:
    assert describe_order(_order(), "en") == "Order ORD-12345 was delivered on May 3, 2026."
    assert describe_order(_order(), "es") == "El pedido ORD-12345 se entregó el 3 de mayo de 2026."
    decision = policies.return_eligibility(_order(), membership="silver", today=TODAY)
    german = describe_return(_order(), decision, "silver", "de")
    assert "am 3. Mai 2026 zugestellt" in german and "(bis zum 30. Oktober 2026)" in german
    assert not ISO_DATE.search(german)


class _Crm:
    def __init__(self, order: OrderSummary) -> None:
        self.order = order

    async def find_profile(self, lookup: CrmLookup) -> CustomerProfile | None:
        return CustomerProfile(
            external_id="LL-1", name="Maya", email="maya@example.com", phone=None, membership="silver",
            premium_subscription=False, customer_since=None, lifetime_value=Decimal("0"),
        )  # fmt: skip

    async def find_order(self, order_number: str) -> OrderSummary | None:
        return self.order if order_number == self.order.number else None


async def _flow(flow: str, order: OrderSummary, locale: str) -> str:
    text = "ORD-12345 maya@example.com"
    turn = BotTurn(conversation_id=1, locale=locale, text=text, seq=1)
    step = await DemoStoreFlows(_Crm(order)).run(
        flow, turn=turn, locale=locale, entities=extract_entities(text), state={}, today=TODAY
    )
    return step.text


async def test_a_refund_names_its_amount_with_the_currency() -> None:
    returned = _order("returned")
    assert "the refund of €1,129.50 within 2 business days" in await _flow("refund_status", returned, "en")
    assert "Wir erstatten 1.129,50\xa0€ innerhalb" in await _flow("refund_status", returned, "de")


async def test_no_flow_shows_an_iso_date_or_an_english_status() -> None:
    late = _order("shipped", delivered_on=None, placed_on=date(2026, 4, 1))
    for locale in ("en", "es", "fr", "de"):
        for flow, order in (("order_status", late), ("return", _order()), ("refund_status", _order())):
            said = await _flow(flow, order, locale)
            assert not ISO_DATE.search(said), (flow, locale, said)
    spanish = await _flow("address_change", _order("cancelled"), "es")
    assert "está cancelado" in spanish and "cancelled" not in spanish
    assert status_name("cancelled", "fr") == "annulée" and status_name("lost", "fr") == "lost"


def test_every_message_renders_in_every_language_with_typed_values() -> None:
    values = {
        "order": "ORD-1", "date": DELIVERED, "deadline": DELIVERED, "days": 180, "level": "Silver",
        "carrier": "DHL", "tracking": "T1", "status": "delivered", "email": "a@b.example", "address": "1 Row",
        "reason": "Yes.", "first": "a", "second": "b", "answer": "x", "title": "y",
        "amount": Money(Decimal("5"), "EUR"),
    }  # fmt: skip
    for key in known_keys():
        for locale in ("en", "es", "fr", "de", "es-MX"):
            assert say(key, locale, **values)

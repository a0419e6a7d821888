"""Entities found in customer messages, and things that look like them but are not."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tandem.bot.nlu.entities import extract_entities

TODAY = date(2026, 11, 27)


def test_order_numbers_in_many_spellings() -> None:
    for text in (
        "where is ORD-10042?",
        "order #10042",
        "my order 10042",
        "ord10042 please",
        "pedido ORD 10042",
    ):
        assert extract_entities(text).order_numbers == ("ORD-10042",), text


def test_a_bare_number_is_not_an_order_without_order_context() -> None:
    assert extract_entities("I have 12345 reasons to smile").order_numbers == ()
    assert extract_entities("it's 10042", expecting_order=True).order_numbers == ("ORD-10042",)


def test_emails_phones_amounts_and_dates() -> None:
    found = extract_entities(
        "mail jo.doe+shop@example.com or call +44 20 7946 0958; I paid €45,50 on 12/03/2026, delivered yesterday",
        today=TODAY,
    )
    assert found.emails == ("jo.doe+shop@example.com",)
    assert found.phones == ("+442079460958",)
    assert found.amounts[0].value == Decimal("45.50") and found.amounts[0].currency == "EUR"
    assert date(2026, 3, 12) in found.dates and date(2026, 11, 26) in found.dates


def test_impossible_dates_and_short_numbers_are_ignored() -> None:
    found = extract_entities("on 31/02/2026 I called 12345")
    assert found.dates == () and found.phones == ()


def test_huge_input_is_cut_not_crashed() -> None:
    assert extract_entities("ORD-10042 " * 5000).order_numbers == ("ORD-10042",)

"""The starter responder's rules, each in both directions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tandem.bot.components.starter import FALLBACK, HUMAN_REQUEST, StarterResponder
from tandem.bot.types import BotTurn, TurnMessage
from tandem.customers.crm import CrmLookup, CustomerProfile, OrderSummary


class FakeCrm:
    async def find_profile(self, lookup: CrmLookup) -> CustomerProfile | None:
        if lookup.order_number != "ORD-12345":
            return None
        return CustomerProfile(
            external_id="LL-1",
            name="Maya",
            email="maya@example.com",
            phone=None,
            membership="gold",
            premium_subscription=False,
            customer_since=None,
            lifetime_value=Decimal("0"),
        )

    async def find_order(self, order_number: str) -> OrderSummary | None:
        if order_number != "ORD-12345":
            return None
        return OrderSummary(
            number="ORD-12345",
            placed_on=date(2026, 1, 2),
            status="shipped",
            total=Decimal("40"),
            currency="EUR",
            carrier="DHL",
            tracking_number="TRK1",
        )


def _turn(text: str, history: tuple[TurnMessage, ...] = ()) -> BotTurn:
    return BotTurn(conversation_id=1, locale="en", text=text, seq=len(history) + 1, history=history)


@pytest.mark.parametrize(
    "text",
    [
        "I want to talk to a human",
        "can I speak with an agent please",
        "AGENT",
        "connect me to a real person",
        "quiero hablar con un agente",
        "je voudrais parler à un conseiller",
        "Ich möchte mit einem Mitarbeiter sprechen",
        "put me through to a manager",
    ],
)
def test_explicit_requests_for_a_person_are_recognised(text: str) -> None:
    assert HUMAN_REQUEST.search(text)


@pytest.mark.parametrize(
    "text",
    [
        "my travel agent booked the wrong size",
        "is this jacket made by humans or machines?",
        "the delivery person left it at the door",
        "I am a personal shopper, can I order in bulk?",
        "what's the manager's special this week?",
    ],
)
def test_ordinary_questions_with_those_words_are_not_requests(text: str) -> None:
    assert not HUMAN_REQUEST.search(text)


async def test_order_status_needs_the_e_mail_on_the_order() -> None:
    reply = await StarterResponder(FakeCrm()).respond(_turn("where is order 12345?"))
    assert reply.text is not None and "e-mail" in reply.text and "TRK1" not in reply.text
    assert reply.trace["decision"] == "order_needs_email" and not reply.handoff


async def test_order_is_answered_once_the_e_mail_matches() -> None:
    history = (TurnMessage("customer", "where is order 12345?", 1), TurnMessage("bot", "please send", 2))
    reply = await StarterResponder(FakeCrm()).respond(_turn("it's Maya@Example.com", history))
    assert reply.text is not None and "DHL" in reply.text and "TRK1" in reply.text
    assert reply.trace["decision"] == "order_status"


async def test_someone_elses_e_mail_does_not_unlock_the_order() -> None:
    reply = await StarterResponder(FakeCrm()).respond(_turn("ORD-12345 thief@example.net"))
    assert reply.text is not None and "TRK1" not in reply.text
    assert reply.trace["decision"] == "order_needs_email"


async def test_unknown_order_number_is_said_plainly() -> None:
    reply = await StarterResponder(FakeCrm()).respond(_turn("ORD-99999"))
    assert reply.text is not None and "couldn't find" in reply.text and not reply.handoff


async def test_explicit_request_hands_off_as_a_customer_request() -> None:
    reply = await StarterResponder(FakeCrm()).respond(_turn("talk to a person"))
    assert reply.handoff and reply.text is None and reply.handoff_trigger == "customer_request"


async def test_third_misunderstanding_in_a_row_hands_off() -> None:
    history = (
        TurnMessage("customer", "blorp", 1),
        TurnMessage("bot", FALLBACK, 2),
        TurnMessage("customer", "zzz", 3),
        TurnMessage("bot", FALLBACK, 4),
    )
    reply = await StarterResponder(FakeCrm()).respond(_turn("qwerty", history))
    assert reply.handoff and reply.handoff_trigger == "bot_rule"


async def test_one_misunderstanding_only_asks_again() -> None:
    reply = await StarterResponder(FakeCrm()).respond(_turn("blorp"))
    assert reply.text == FALLBACK and not reply.handoff


async def test_a_successful_answer_resets_the_misunderstanding_count() -> None:
    history = (
        TurnMessage("bot", FALLBACK, 2),
        TurnMessage("bot", "Order ORD-1 is on its way.", 4),
        TurnMessage("bot", FALLBACK, 6),
    )
    reply = await StarterResponder(FakeCrm()).respond(_turn("qwerty", history))
    assert not reply.handoff

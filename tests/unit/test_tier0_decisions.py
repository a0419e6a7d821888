"""The Tier-0 decision with a scripted intent model: when it answers, asks, clarifies or steps aside."""

from __future__ import annotations

import pytest

from tandem.bot.pipeline import Tier0Responder
from tandem.bot.testing import scripted_tier0
from tandem.bot.types import BotReply, BotTurn, TurnMessage
from tandem.kb.schemas import ArticleOut

ARTICLE = ArticleOut(
    id=1,
    slug="shipping-costs",
    locale="en",
    title="Shipping costs",
    body="Standard shipping costs 8.00 and is free from 75.00.\n\nExpress costs 15.00.",
    tags=["shipping"],
    intents=["shipping_cost"],
    status="published",
)
TABLE = {
    "how much is shipping": [("shipping_cost", 0.9), ("delivery_time", 0.05)],
    "shipping or delivery?": [("shipping_cost", 0.45), ("delivery_time", 0.4)],
    "hello": [("greeting", 0.95)],
    "blorp": [("shipping_cost", 0.1)],
}


@pytest.fixture(scope="module")
def responder() -> Tier0Responder:
    return scripted_tier0(TABLE, [ARTICLE])


async def _say(responder: Tier0Responder, text: str, history: tuple[TurnMessage, ...] = ()) -> BotReply:
    return await responder.respond(
        BotTurn(conversation_id=1, locale="en", text=text, seq=len(history) + 1, history=history)
    )


def _bot(reply: BotReply, seq: int) -> TurnMessage:
    return TurnMessage("bot", reply.text or "", seq, reply.trace)


async def test_a_confident_intent_with_its_article_is_answered_and_cited(responder: Tier0Responder) -> None:
    reply = await _say(responder, "how much is shipping")
    assert reply.text and "8.00" in reply.text and "Shipping costs" in reply.text
    assert reply.trace["decision"] == "article" and reply.trace["article"]["slug"] == "shipping-costs"
    assert {"language", "intent", "sentiment", "frustration", "articles", "timings_ms"} <= reply.trace.keys()


async def test_close_intents_get_one_clarifying_question_not_two(responder: Tier0Responder) -> None:
    first = await _say(responder, "shipping or delivery?")
    assert first.trace["decision"] == "clarify" and "shipping cost" in (first.text or "")
    second = await _say(
        responder,
        "shipping or delivery?",
        (TurnMessage("customer", "shipping or delivery?", 1), _bot(first, 2)),
    )
    assert second.trace["decision"] != "clarify"


async def test_out_of_scope_is_not_guessed(responder: Tier0Responder) -> None:
    reply = await _say(responder, "blorp")
    assert reply.trace["decision"] == "out_of_scope" and not reply.handoff


async def test_the_third_failure_in_a_row_hands_over(responder: Tier0Responder) -> None:
    history: tuple[TurnMessage, ...] = ()
    replies = []
    for turn in range(3):
        reply = await _say(responder, "blorp", history)
        replies.append(reply)
        history = (*history, TurnMessage("customer", "blorp", 2 * turn + 1), _bot(reply, 2 * turn + 2))
    assert [r.handoff for r in replies] == [False, False, True]
    assert replies[-1].handoff_trigger == "bot_failure"
    assert replies[-1].trace["escalation"]["rule"] == "failed_attempts"


async def test_a_success_resets_the_failure_count(responder: Tier0Responder) -> None:
    fail = await _say(responder, "blorp")
    ok = await _say(responder, "hello")
    history = (
        TurnMessage("customer", "blorp", 1),
        _bot(fail, 2),
        TurnMessage("customer", "blorp", 3),
        _bot(fail, 4),
        TurnMessage("customer", "hello", 5),
        _bot(ok, 6),
    )
    assert not (await _say(responder, "blorp", history)).handoff


@pytest.mark.parametrize(
    "text", ["", "   ", "🙂🙂🙂", "\x00\x01\x02\x03", "x" * 10_000, "Привет, где мой заказ? 注文はどこ"]
)
async def test_odd_input_gets_a_sensible_answer(responder: Tier0Responder, text: str) -> None:
    reply = await _say(responder, text)
    assert reply.handoff or reply.text


async def test_asking_for_a_person_always_works(responder: Tier0Responder) -> None:
    reply = await _say(responder, "talk to an agent")
    assert reply.handoff and reply.handoff_trigger == "customer_request" and reply.text is None

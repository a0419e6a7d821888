"""The Tier-0 pipeline of the demo store through the real services: flows read and change the store,
knowledge answers cite articles, and every request for a person or sensitive topic goes to a person."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tandem.bench.replay import ReplayCase, load_cases, replay_case
from tandem.bootstrap import Container
from tandem.bot.nlu import signals

FIXTURES = Path(__file__).parent.parent / "fixtures"
ASSETS = Path(signals.__file__).parent / "assets"


@pytest.fixture
def demo_container(demo_container: Container) -> Container:
    """The replay runs every bot turn itself; the job queue must not run them too."""
    demo_container.uow.relay = None
    return demo_container


async def _replay(container: Container, *turns: str, locale: str = "en") -> list[dict[str, Any]]:
    result = await replay_case(container, ReplayCase("t", turns, locale))
    return result.turns


async def test_order_status_needs_the_order_email(demo_container: Container) -> None:
    turns = await _replay(demo_container, "where is my order ORD-10004?", "tom@example.com")
    assert "e-mail" in turns[0]["reply"]
    assert "ORD-10004 has been received" in turns[1]["reply"]
    assert turns[1]["decision"] == "flow:order_status"


async def test_a_bare_number_answers_the_question_for_an_order_number(demo_container: Container) -> None:
    turns = await _replay(demo_container, "where is my order?", "10004", "tom@example.com")
    assert "order number" in turns[0]["reply"] and "e-mail" in turns[1]["reply"]
    assert "ORD-10004 has been received" in turns[2]["reply"]


async def test_a_wrong_email_does_not_reveal_the_order(demo_container: Container) -> None:
    turns = await _replay(demo_container, "status of ORD-10004 please", "someone@else.example")
    assert "couldn't match order ORD-10004" in turns[1]["reply"] and "received" not in turns[1]["reply"]


async def test_unknown_and_foreign_orders_get_the_same_answer_and_guessing_ends_with_a_person(
    demo_container: Container,
) -> None:
    known = await _replay(demo_container, "where is ORD-10004?")
    unknown = await _replay(demo_container, "where is ORD-99999?")
    assert known[0]["reply"].replace("10004", "X") == unknown[0]["reply"].replace("99999", "X")
    result = await replay_case(
        demo_container,
        ReplayCase(
            "probe", ("where is ORD-10004?", "me@x.example", "ORD-10005 then", "ORD-10001?", "ORD-10002?")
        ),
    )
    assert result.handoff_turn is not None and result.rule == "failed_attempts"


async def test_return_eligibility_follows_the_membership_window(demo_container: Container) -> None:
    turns = await _replay(demo_container, "I want to return order ORD-10005, my email is lucia@example.net")
    assert "Good news" in turns[0]["reply"] and "180-day" in turns[0]["reply"]


async def test_asking_the_same_order_twice_is_progress_not_a_loop(demo_container: Container) -> None:
    result = await replay_case(
        demo_container, ReplayCase("l", ("where is my order?", "ORD-99999", "ORD-10004", "tom@example.com"))
    )
    assert result.handoff_turn is None
    assert "ORD-10004 has been received" in result.turns[3]["reply"]


async def test_refund_status_says_no_return_has_arrived_yet(demo_container: Container) -> None:
    turns = await _replay(demo_container, "where is my refund for ORD-10003", "maya@example.com")
    assert turns[1]["decision"] == "flow:refund_status"
    assert "not received a return for order ORD-10003" in turns[1]["reply"]


async def test_saying_it_did_not_help_counts_as_a_failure_not_as_anger(demo_container: Container) -> None:
    result = await replay_case(
        demo_container,
        ReplayCase("u", ("my promo code doesn't work", "that didn't help", "that didn't help either")),
    )
    assert result.turns[1]["decision"] != "handoff"
    assert result.handoff_turn == 3 and result.rule == "failed_attempts"


async def test_address_change_before_shipping_updates_the_order(demo_container: Container) -> None:
    turns = await _replay(
        demo_container,
        "I need to change the delivery address for ORD-10004",
        "tom@example.com",
        "12 Weaver's Lane, 97201 Portland",
        "yes",
    )
    assert "new delivery address" in turns[1]["reply"]
    assert "Reply yes to confirm" in turns[2]["reply"]
    assert "Done" in turns[3]["reply"]
    order = await demo_container.crm.find_order("ORD-10004")
    assert order is not None and order.shipping_address == "12 Weaver's Lane, 97201 Portland"
    await demo_container.crm.change_shipping_address(
        "ORD-10004", "1 Lantern Row, 97201 Portland"
    )  # shared demo


async def test_a_question_or_a_postcode_is_not_taken_for_the_new_address(demo_container: Container) -> None:
    turns = await _replay(
        demo_container,
        "change the delivery address of ORD-10004",
        "tom@example.com",
        "Sorry, is it too late? I ordered 2 days ago",
        "12 Oxford Road, 10115 Berlin",
        "no",
    )
    assert "Reply yes" not in turns[2]["reply"]
    assert "ORD-10004" in turns[3]["reply"] and "Oxford Road" in turns[3]["reply"]  # not order ORD-10115
    assert "keeps its current address" in turns[4]["reply"]
    order = await demo_container.crm.find_order("ORD-10004")
    assert order is not None and "Oxford" not in (order.shipping_address or "")


async def test_address_change_after_shipping_is_refused_with_the_reason(demo_container: Container) -> None:
    turns = await _replay(
        demo_container, "change the address of ORD-10001 to 5 Flax Mews", "maya@example.com"
    )
    assert "already with the carrier" in turns[1]["reply"]


async def test_password_reset_asks_for_the_account_email(demo_container: Container) -> None:
    turns = await _replay(demo_container, "I forgot my password", "maya@example.com")
    assert "e-mail address" in turns[0]["reply"] and "Forgot password" in turns[1]["reply"]


async def test_policy_questions_are_answered_from_an_article(demo_container: Container) -> None:
    turns = await _replay(demo_container, "how much does standard shipping cost?")
    assert turns[0]["decision"] == "article", turns[0]["trace"]
    assert "help article" in turns[0]["reply"]


async def test_the_trace_is_stored_with_the_bot_message(demo_container: Container) -> None:
    turns = await _replay(demo_container, "hello")
    trace = turns[0]["trace"]
    assert (
        trace["intent"]["intent"] == "greeting"
        and "timings_ms" in trace
        and trace["language"]["code"] == "en"
    )


@pytest.mark.parametrize("language", ["en", "es", "fr", "de"])
async def test_a_request_for_a_person_hands_over_at_that_turn(
    demo_container: Container, language: str
) -> None:
    requests = json.loads((ASSETS / "human_requests.json").read_text(encoding="utf-8"))[language]
    result = await replay_case(demo_container, ReplayCase("h", ("hello", requests[3]), language))
    assert result.handoff_turn == 2 and result.rule == "explicit_request"


async def test_the_smoke_transcripts_hand_over_where_expected(demo_container: Container) -> None:
    expected = {
        json.loads(line)["id"]: json.loads(line)["expect_handoff_turn"]
        for line in (FIXTURES / "replay_smoke.jsonl").read_text(encoding="utf-8").splitlines()
    }
    wrong = {}
    for case in load_cases(FIXTURES / "replay_smoke.jsonl"):
        result = await replay_case(demo_container, case)
        if result.handoff_turn != expected[case.id]:
            wrong[case.id] = (expected[case.id], result.handoff_turn, result.reason)
    assert wrong == {}


async def test_an_unsupported_language_is_answered_then_handed_over(demo_container: Container) -> None:
    result = await replay_case(
        demo_container,
        ReplayCase(
            "it",
            ("buongiorno, dov'è il mio ordine? non è ancora arrivato", "per favore, mi aiuti con l'ordine"),
        ),
    )
    assert "English, Spanish, French and German" in result.turns[0]["reply"]
    assert result.handoff_turn == 2


async def test_flow_answers_speak_the_customer_language(demo_container: Container) -> None:
    spanish = await _replay(
        demo_container, "¿dónde está mi pedido ORD-10004?", "tom@example.com", locale="es"
    )
    assert "Hemos recibido el pedido ORD-10004" in spanish[1]["reply"]
    german = await _replay(
        demo_container, "Ich möchte Bestellung ORD-10005 zurückschicken", "lucia@example.net", locale="de"
    )
    assert "Gute Nachricht" in german[1]["reply"] and "180-tägigen" in german[1]["reply"]


# --- first messages that must go to a person (tests/fixtures/replay_handoffs.jsonl) ------------------------

HANDOFF_CASES = FIXTURES / "replay_handoffs.jsonl"


def _handoff_expectations() -> dict[str, dict[str, Any]]:
    lines = HANDOFF_CASES.read_text(encoding="utf-8").splitlines()
    return {raw["id"]: raw for raw in (json.loads(line) for line in lines if line.strip())}


async def _wrong_first_turn_handoffs(container: Container) -> dict[str, dict[str, Any]]:
    expected = _handoff_expectations()
    wrong: dict[str, dict[str, Any]] = {}
    for case in load_cases(HANDOFF_CASES):
        result = await replay_case(container, case)
        trace = result.turns[0].get("trace", {}) if result.turns else {}
        escalation = trace.get("escalation") or {}
        got = (result.handoff_turn, escalation.get("trigger"), escalation.get("evidence", {}).get("topic"))
        want = tuple(
            expected[case.id].get(key) for key in ("expect_handoff_turn", "expect_trigger", "expect_topic")
        )
        if got != want:
            wrong[case.id] = {
                "text": case.turns[0],
                "expected": want,
                "got": got,
                "decision": trace.get("decision"),
                "signals": trace.get("signals"),
            }
    return wrong


def test_the_handoff_fixture_covers_every_language_and_sensitive_topic() -> None:
    cases = list(_handoff_expectations().values())
    assert all(len(case["turns"]) == 1 and case["expect_handoff_turn"] == 1 for case in cases)
    for language in ("en", "es", "fr", "de"):
        requests = [c for c in cases if c["locale"] == language and c["expect_trigger"] == "customer_request"]
        assert len(requests) >= 8, language
        topics = {c["expect_topic"] for c in cases if c["locale"] == language and "expect_topic" in c}
        assert topics == set(signals.SENSITIVE_TOPICS), language
    assert {c["expect_trigger"] for c in cases} == {"customer_request", "sensitive_topic"}


async def test_first_message_requests_and_sensitive_topics_hand_over_with_their_trigger(
    demo_container: Container,
) -> None:
    assert await _wrong_first_turn_handoffs(demo_container) == {}

"""A conversation's contact record from its facts: an agent's intent correction wins over the bot's guess,
the first frustration signal before the handoff starts the escalation clock, where a customer left, the
handling time, and the escalation reason agents tagged (replaced, then removed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tandem.analytics.service import contact_from
from tandem.conversation.schemas import OutcomeOut
from tandem.conversation.service import ConversationFacts

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def facts(outcome: dict[str, Any], *, events: list[Any] = (), traces: list[Any] = ()) -> ConversationFacts:  # type: ignore[assignment]
    base = {
        "conversation_id": 7, "resolved_by": None, "resolved_by_staff_id": None, "human_involved": False,
        "escalated": False, "escalation_trigger": None, "escalation_reason": None, "escalated_at": None,
        "first_human_at": None, "resolved_at": None, "reopen_count": 0, "csat": None, "nps": None,
    }  # fmt: skip
    return ConversationFacts(
        conversation_id=7, customer_id=3, channel="web", locale="en", started_at=T0,
        outcome=OutcomeOut(**{**base, **outcome}), events=list(events), bot_traces=list(traces),
        first_agent_reply_at=None, next_started_at=None, previous_id=None,
    )  # fmt: skip


def trace(
    intent: str | None, *, frustration: float = 0.0, signals: list[str] | None = None, oos: bool = False
) -> Any:
    found: dict[str, Any] = {"frustration": frustration, "signals": signals or []}
    if intent is not None:
        found["intent"] = {"intent": intent, "out_of_scope": oos}
    return found


def test_the_bot_s_first_in_scope_intent_unless_an_agent_corrected_it() -> None:
    guessed = facts(
        {},
        traces=[(at(1), trace("hello", oos=True)), (at(5), trace("order_status")), (at(9), trace("thanks"))],
    )
    assert contact_from(guessed, team=None, assisted=False).intent == "order_status"
    corrected = facts({}, events=[("intent_corrected", None, {"correct_intent": "missing_package"}, at(60))],
                      traces=[(at(5), trace("order_status"))])  # fmt: skip
    assert contact_from(corrected, team=None, assisted=False).intent == "missing_package"


def test_the_first_signal_before_the_handoff_starts_the_escalation_clock() -> None:
    escalated = {"escalated": True, "escalated_at": at(30), "escalation_trigger": "sentiment"}
    found = facts(escalated, traces=[(at(5), trace("refund_status")), (at(20), trace(None, frustration=0.7)),
                                     (at(40), trace(None, signals=["angry"]))])  # fmt: skip
    assert contact_from(found, team="returns", assisted=False).first_signal_at == at(20)
    late = facts(escalated, traces=[(at(40), trace(None, signals=["asked for a person: human"]))])
    assert contact_from(late, team=None, assisted=False).first_signal_at is None  # after the handoff: not it


def test_where_a_customer_left_and_how_long_a_person_handled_it() -> None:
    left_queue = facts({"resolved_by": "abandoned", "escalated": True, "resolved_at": at(90)},
                       events=[("resolve", "waiting", {"abandoned": True}, at(90))])  # fmt: skip
    assert contact_from(left_queue, team=None, assisted=False).abandoned_in == "queue"
    left_bot = facts(
        {"resolved_by": "abandoned", "resolved_at": at(90)},
        events=[("resolve", "bot", {"abandoned": True}, at(90))],
    )
    assert contact_from(left_bot, team=None, assisted=False).abandoned_in == "bot"
    handled = facts(
        {"resolved_by": "human", "human_involved": True, "first_human_at": at(100), "resolved_at": at(460)}
    )
    contact = contact_from(handled, team="orders", assisted=True)
    assert contact.handle_seconds == 360 and contact.assisted and contact.team == "orders"
    assert contact_from(facts({}), team=None, assisted=True).assisted is False  # nobody handled it


def test_the_reason_agents_tagged_replaced_then_removed() -> None:
    first = {"add": ["reason:missing_knowledge"], "remove": []}
    replaced = {"add": ["vip", "reason:needs_action"], "remove": ["reason:missing_knowledge"]}
    tagged = [("tagged", None, first, at(10)), ("tagged", None, replaced, at(20))]
    assert (
        contact_from(facts({}, events=tagged), team=None, assisted=False).escalation_reason == "needs_action"
    )
    removed = [*tagged, ("tagged", None, {"add": [], "remove": ["reason:needs_action"]}, at(30))]
    assert contact_from(facts({}, events=removed), team=None, assisted=False).escalation_reason is None

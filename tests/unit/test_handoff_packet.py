"""The handoff packet: the summary an agent reads in ten seconds, the customer's profile, the whole
transcript and a first reply in the customer's language; and transfers that never lose any of it."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.customers.crm import CustomerProfile, OrderSummary
from tandem.routing.handoff import TranscriptLine, build_packet, carry_over, render_note, suggested_reply

ORDER = "ORD-10042"
ARTICLE = "Tracking your order"
GOAL = f"Hi, where is my order {ORDER}? It should have arrived last week."

ESCALATION: dict[str, Any] = {
    "rule": "frustration",
    "trigger": "sentiment",
    "reason": "The customer is getting frustrated",
    "evidence": {"score": 0.82, "trend": "rising"},
    "threshold": 0.6,
}

PROFILE = CustomerProfile(
    external_id="C-7781",
    name="Maria Lopez",
    email="maria@example.com",
    phone="+34 600 000 000",
    membership="gold",
    premium_subscription=True,
    customer_since=date(2019, 3, 14),
    lifetime_value=Decimal("1834.50"),
    orders=(
        OrderSummary(
            number=ORDER,
            placed_on=date(2024, 5, 2),
            status="shipped",
            total=Decimal("89.90"),
            currency="EUR",
            carrier="DHL",
            tracking_number="JD0140000123",
        ),
        OrderSummary(
            number="ORD-09977",
            placed_on=date(2024, 3, 18),
            status="delivered",
            total=Decimal("24.00"),
            currency="EUR",
        ),
    ),
    notes=("Prefers e-mail",),
)


def _bot(seq: int, body: str, in_reply_to: int, **trace: Any) -> TranscriptLine:
    return TranscriptLine(
        seq=seq,
        author="bot",
        body=body,
        at=f"2024-05-10T10:00:{seq:02d}",
        trace={**trace, "in_reply_to": in_reply_to},
    )


def _customer(seq: int, body: str) -> TranscriptLine:
    return TranscriptLine(
        seq=seq, author="customer", body=body, at=f"2024-05-10T10:00:{seq:02d}", author_name="Maria"
    )


TRANSCRIPT = [
    _customer(1, GOAL),
    _bot(
        2,
        f"{ARTICLE}: you can follow your parcel with the tracking link in your shipping e-mail.",
        1,
        decision="article",
        outcome="answered",
        article={"slug": "tracking-your-order", "locale": "en", "title": ARTICLE, "match": 0.71},
        intent={"intent": "order_status", "confidence": 0.91},
        entities={"order_numbers": [ORDER]},
        frustration=0.2,
    ),
    _customer(3, "That didn't help at all, the link says nothing."),
    _bot(
        4,
        "Sorry that didn't help. Could you tell me a bit more?",
        3,
        decision="unhelpful",
        outcome="unhelpful",
        intent={"intent": "bot_unhelpful", "confidence": 0.88},
        entities={"order_numbers": []},
        frustration=0.55,
    ),
    _customer(5, f"This is ridiculous, I just want to know where {ORDER} is!"),
    _bot(
        6,
        "I'm passing you to a colleague.",
        5,
        decision="handoff",
        outcome="handoff",
        intent={"intent": "order_status", "confidence": 0.77},
        entities={"order_numbers": [ORDER]},
        frustration=0.82,
        escalation=ESCALATION,
    ),
]

# how each language names the order and says that the assistant's answer failed
LANGUAGE_WORDS = {
    "en": (f"(order {ORDER})", "didn't sort it out", "Hi Maria"),
    "es": (f"(pedido {ORDER})", "no lo resolvieron", "Hola Maria"),
    "fr": (f"(commande {ORDER})", "n'ont pas suffi", "Bonjour Maria"),
    "de": (f"(Bestellung {ORDER})", "nicht weitergeholfen", "Hallo Maria"),
}


def _packet(
    locale: str = "en",
    *,
    transcript: list[TranscriptLine] | None = None,
    profile: CustomerProfile | None = PROFILE,
) -> dict[str, Any]:
    return build_packet(
        transcript=TRANSCRIPT if transcript is None else transcript,
        trigger="sentiment",
        reason=ESCALATION["reason"],
        escalation=ESCALATION,
        customer_name="Maria",
        profile=profile,
        locale=locale,
        queue="support-en",
    )


# --- the summary -----------------------------------------------------------------------------------------


def test_summary_tells_the_story() -> None:
    summary = _packet()["summary"]

    assert summary["goal"] == GOAL
    assert summary["intent"] == {"intent": "order_status", "confidence": pytest.approx(0.77)}
    assert summary["entities"] == {"order_numbers": [ORDER]}

    tried = summary["bot_tried"]
    assert [(s["seq"], s["decision"], s["outcome"], s["article"]) for s in tried] == [
        (2, "article", "answered", ARTICLE),
        (4, "unhelpful", "unhelpful", None),
        (6, "handoff", "handoff", None),
    ]
    assert [s["seq"] for s in summary["failed"]] == [4]
    assert summary["failed"][0]["outcome"] == "unhelpful"
    assert summary["articles_offered"] == [ARTICLE]

    sentiment = summary["sentiment"]
    assert sentiment["trend"] == [0.2, 0.55, 0.82, 0.82]  # three bot turns, then the escalation's score
    assert sentiment["direction"] == "rising"

    assert summary["trigger"] == "sentiment"
    assert summary["rule"] == "frustration"
    assert summary["reason"] == ESCALATION["reason"]
    assert summary["threshold"] == 0.6
    assert summary["evidence"] == ESCALATION["evidence"]
    assert summary["customer_messages"] == 3
    assert summary["queue"] == "support-en"


def test_customer_profile_and_recent_orders() -> None:
    customer = _packet()["customer"]
    assert customer["name"] == "Maria Lopez"
    assert customer["known_to_crm"] is True
    assert customer["external_id"] == "C-7781"
    assert customer["email"] == "maria@example.com"
    assert customer["membership"] == "gold"
    assert customer["premium_subscription"] is True
    assert customer["customer_since"] == "2019-03-14"
    assert customer["lifetime_value"] == "1834.50"
    assert [o["number"] for o in customer["orders"]] == [ORDER, "ORD-09977"]
    assert customer["orders"][0] == {
        "number": ORDER,
        "placed_on": "2024-05-02",
        "status": "shipped",
        "total": "89.90 EUR",
        "tracking_number": "JD0140000123",
    }
    assert customer["notes"] == ["Prefers e-mail"]


def test_without_a_profile_the_customer_is_just_a_name() -> None:
    packet = _packet(profile=None)
    assert packet["customer"] == {"name": "Maria", "known_to_crm": False}
    assert packet["suggested_reply"].startswith("Hi Maria,")


def test_the_whole_transcript_is_kept() -> None:
    transcript = _packet()["transcript"]
    assert [(line["seq"], line["author"], line["body"]) for line in transcript] == [
        (line.seq, line.author, line.body) for line in TRANSCRIPT
    ]
    assert transcript[0] == {
        "seq": 1,
        "author": "customer",
        "author_name": "Maria",
        "body": GOAL,
        "at": "2024-05-10T10:00:01",
    }
    assert "trace" not in transcript[1]  # the bot's internals stay out of the agent's transcript
    assert _packet()["transfers"] == []


@pytest.mark.parametrize("locale", ["en", "es", "fr", "de", "es-MX", "FR"])
def test_suggested_reply_in_the_customers_language(locale: str) -> None:
    names_order, admits_failure, greeting = LANGUAGE_WORDS[locale.split("-")[0].lower()]
    reply = _packet(locale)["suggested_reply"]
    assert reply.startswith(greeting)
    assert names_order in reply
    assert admits_failure in reply
    assert "Lopez" not in reply  # first name only
    for other, (other_order, *_) in LANGUAGE_WORDS.items():
        if other != locale.split("-")[0].lower():
            assert other_order not in reply


def test_unknown_language_falls_back_to_english() -> None:
    assert _packet("pt-BR")["suggested_reply"] == _packet("en")["suggested_reply"]


def test_suggested_reply_without_failures_does_not_admit_one() -> None:
    answered = [{"outcome": "answered"}]
    reply = suggested_reply(
        locale="en", name=None, intent="order_status", order=None, tried=answered, trigger=None
    )
    assert reply.startswith("Hi, thanks for waiting")
    assert "already went through" in reply
    assert "didn't sort it out" not in reply
    assert "(order" not in reply

    sensitive = suggested_reply(
        locale="de", name="Jonas Weber", intent=None, order=None, tried=[], trigger="sensitive_topic"
    )
    assert sensitive.startswith("Hallo Jonas,")
    assert "persönlich" in sensitive


def test_note_is_short_and_carries_trigger_and_reply() -> None:
    packet = _packet()
    note = packet["note"]
    assert note == render_note(packet)
    assert len(note) < 1200, len(note)
    first = note.splitlines()[0]
    assert first.startswith("Handoff: The customer is getting frustrated")
    assert "0.82" in first and "0.60" in first and "[frustration]" in first
    assert f'Goal: "{GOAL}"' in note
    assert ORDER in note
    assert ARTICLE in note
    assert "rising" in note
    assert "Maria Lopez" in note and "gold member" in note
    assert note.rstrip().endswith(f"Suggested first reply: {packet['suggested_reply']}")


def test_customer_asking_for_a_person_at_once() -> None:
    """The customer clicked "talk to an agent" before the bot said anything."""
    transcript = [_customer(1, "I'd like to talk to a person about my account please")]
    packet = build_packet(
        transcript=transcript,
        trigger="customer_request",
        reason=None,
        escalation=None,
        customer_name="Sam Taylor",
        profile=None,
        locale="en",
    )
    summary = packet["summary"]
    assert summary["bot_tried"] == []
    assert summary["failed"] == []
    assert summary["articles_offered"] == []
    assert summary["intent"] is None
    assert summary["entities"] == {}
    assert summary["sentiment"] == {"trend": [], "direction": "unknown"}
    assert summary["goal"] == "I'd like to talk to a person about my account please"
    note = packet["note"]
    assert "Bot tried: nothing yet" in note
    assert note.splitlines()[0] == "Handoff: customer request [customer_request]"
    assert packet["suggested_reply"].startswith("Hi Sam,")
    assert "You don't need to repeat anything" in packet["suggested_reply"]
    assert note.endswith(packet["suggested_reply"])


def test_empty_transcript() -> None:
    packet = build_packet(
        transcript=[],
        trigger="customer_request",
        reason=None,
        escalation=None,
        customer_name=None,
        profile=None,
        locale="fr",
    )
    assert packet["summary"]["goal"] is None
    assert packet["transcript"] == []
    assert "Bot tried: nothing yet" in packet["note"]
    assert packet["suggested_reply"].startswith("Bonjour, merci")


# --- transfers -------------------------------------------------------------------------------------------


def test_transfer_example() -> None:
    packet = _packet()
    moved = carry_over(packet, transfer={"by": "Alex", "to": "Billing", "note": "refund question"})
    assert moved["transfers"] == [{"by": "Alex", "to": "Billing", "note": "refund question"}]
    assert "Transferred by Alex to Billing: refund question" in moved["note"]
    assert packet["transfers"] == []  # the earlier packet is not changed
    assert "Transferred" not in packet["note"]


_text = st.text(max_size=30)
_value = st.one_of(st.none(), _text, st.integers(), st.booleans())
transfers_st = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "by": _value,
            "to": _value,
            "note": _value,
            "reason": _value,
            "at": _text,
            "queue_id": st.integers(),
        },
    ),
    st.dictionaries(_text, _value, max_size=4),
)


def _transfer_line(transfer: dict[str, Any]) -> str:
    return (
        f"Transferred by {transfer.get('by') or 'a colleague'} to {transfer.get('to')}: "
        f"{transfer.get('note') or transfer.get('reason') or 'no note'}"
    )


@settings(max_examples=150, deadline=None, database=None)
@given(
    st.lists(transfers_st, min_size=1, max_size=6),
    st.sampled_from(["en", "es", "fr", "de"]),
    st.booleans(),
)
def test_a_transfer_never_loses_the_packet(
    transfers: list[dict[str, Any]], locale: str, with_profile: bool
) -> None:
    original = _packet(locale, profile=PROFILE if with_profile else None)
    snapshot = copy.deepcopy(original)
    sent = copy.deepcopy(transfers)

    packet = original
    for transfer in transfers:
        packet = carry_over(packet, transfer=transfer)

    assert packet["summary"] == snapshot["summary"]
    assert packet["customer"] == snapshot["customer"]
    assert packet["transcript"] == snapshot["transcript"]
    assert packet["suggested_reply"] == snapshot["suggested_reply"]
    assert packet["transfers"] == sent
    assert original == snapshot  # carrying over never changes the earlier packet
    assert transfers == sent  # nor the transfers handed in

    note = packet["note"]
    assert note == render_note(packet)
    assert _transfer_line(transfers[-1]) in note
    assert str(transfers[-1].get("to")) in note
    assert note.endswith(f"Suggested first reply: {snapshot['suggested_reply']}")
    assert note.splitlines()[0] == snapshot["note"].splitlines()[0]  # the trigger is still on top


def test_the_answer_a_running_flow_asked_for_does_not_change_the_goal() -> None:
    transcript = [
        _customer(1, f"Where is my order {ORDER}?"),
        _bot(
            2,
            "What e-mail address did you use for the order?",
            1,
            decision="flow:order_status",
            flow={"name": "order_status", "awaiting": "email"},
            intent={"intent": "order_status", "confidence": 0.93},
        ),
        _customer(3, "maya@example.com"),
        _bot(
            4,
            "I'm passing you to a colleague.",
            3,
            decision="flow:order_status",
            flow={"name": "order_status", "awaiting": None},
            intent={"intent": "recover_username", "confidence": 0.35},  # the classifier's guess for an e-mail
        ),
    ]
    packet = _packet(transcript=transcript)
    assert packet["summary"]["intent"] == {"intent": "order_status", "confidence": 0.93}
    assert "order status" in packet["suggested_reply"]

"""Agent assist, the pure part: past replies that fit, never leak, and learn; next best actions from the
store's policies; coaching tips."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from tandem.assist import engine
from tandem.customers.crm import CustomerProfile, OrderSummary

TODAY = date(2026, 11, 27)


def _profile(*orders: OrderSummary, membership: str = "silver", premium: bool = False) -> CustomerProfile:
    return CustomerProfile(
        external_id="C1",
        name="Tom Jones",
        email="tom@example.com",
        phone=None,
        membership=membership,
        premium_subscription=premium,
        customer_since=None,
        lifetime_value=Decimal("100"),
        orders=orders,
    )


def _order(
    number: str, status: str, *, delivered_days_ago: int | None = None, tracking: str | None = None
) -> OrderSummary:
    delivered = TODAY - timedelta(days=delivered_days_ago) if delivered_days_ago is not None else None
    return OrderSummary(
        number=number,
        placed_on=TODAY - timedelta(days=(delivered_days_ago or 0) + 3),
        status=status,
        total=Decimal("54.00"),
        currency="EUR",
        delivered_on=delivered,
        tracking_number=tracking,
        carrier="DHL",
    )


def test_a_past_reply_never_carries_the_other_customers_order_email_or_name() -> None:
    reply = "Hi Maya, ORD-10002 left the warehouse; the label went to maya@example.com."
    fitted = engine.fit_to_customer(reply, name="Tom Jones", order="ORD-20001")
    assert fitted == "Hi Tom, ORD-20001 left the warehouse; the label went to [e-mail]."
    anonymous = engine.fit_to_customer(reply, name=None, order=None)
    assert "Maya" not in anonymous and "ORD-10002" not in anonymous and "[order number]" in anonymous


def test_similar_messages_find_their_replies_and_learned_ones_rank_higher() -> None:
    history = [
        engine.PastReply("where is my parcel", "It is on its way."),
        engine.PastReply("how do I return a lamp", "Returns are free within 90 days."),
        engine.PastReply("where is my parcel now", "Here is the tracking link.", learned=True),
    ]
    found = engine.similar_replies("where is my parcel?", history)
    assert [item.reply for item, _ in found][:2] == ["Here is the tracking link.", "It is on its way."]
    assert engine.similar_replies("completely unrelated words", history) == []
    assert engine.similar_replies("", history) == []


def test_a_bare_long_order_number_from_another_shop_is_scrubbed_too() -> None:
    fitted = engine.fit_to_customer("Hi Ana, order 113542617735902 is cancelled.", name="Tom", order=None)
    assert fitted == "Hi Tom, order [order number] is cancelled."


def test_a_card_or_phone_number_is_never_taken_for_an_order_and_never_passed_on() -> None:
    assert engine.order_numbers("my card 4111111111111111 was charged for order 3707955617") == ["3707955617"]
    fitted = engine.fit_to_customer(
        "Hi Ana, I refunded order 3707955617 to card 4111 1111 1111 1111; call +44 20 7946 0958.",
        name="Tom",
        order="ORD-20001",
    )
    assert fitted == "Hi Tom, I refunded order ORD-20001 to card [number]; call [number]."


def test_the_reply_the_team_sends_most_to_such_messages_beats_a_one_off_nearer_match() -> None:
    usual = "Hi Ana, you can track it under Account > Orders."
    history = [engine.PastReply(f"where is my parcel {n}", usual.replace("Ana", f"C{n}")) for n in range(5)]
    history.append(engine.PastReply("where is my parcel", "Hi Bo, I'll call the courier myself."))
    found = engine.similar_replies("where is my parcel", history)
    assert next(item.reply for item, _ in found).endswith("you can track it under Account > Orders.")
    assert found[0][1] == 1.0 and len(found) == 2  # five replies to five customers are one candidate


def test_the_index_searches_its_last_snapshot_and_never_the_conversations_own_reply() -> None:
    index = engine.ReplyIndex(capacity=3)
    index.add([engine.PastReply("can I pay with paypal", "Yes, PayPal works.", conversation_id=1)])
    assert index.stale and index.search("pay with paypal?") == []  # added, not yet built
    index.rebuild()
    assert not index.stale
    assert [p.reply for p, _ in index.search("pay with paypal?")] == ["Yes, PayPal works."]
    assert index.search("pay with paypal?", exclude_conversation=1) == []
    index.add(
        [engine.PastReply(f"paypal question {n}", f"Answer {n}.", conversation_id=10 + n) for n in range(3)]
    )
    assert [p.reply for p, _ in index.search("pay with paypal?")] == ["Yes, PayPal works."]  # old snapshot
    index.rebuild()
    assert len(index) == 3  # the oldest pair made room
    assert "Yes, PayPal works." not in [p.reply for p, _ in index.search("pay with paypal", limit=5)]


def test_messages_without_a_single_word_do_not_break_the_index() -> None:
    index = engine.ReplyIndex()
    index.add([engine.PastReply("?", "Could you tell me more?"), engine.PastReply("👍", "Glad to help!")])
    index.rebuild()
    assert index.search("where is my parcel") == []


def test_next_best_action_follows_the_return_policy_and_the_order() -> None:
    inside = _profile(_order("ORD-1", "delivered", delivered_days_ago=10))
    assert engine.next_best_action("return_item", inside, today=TODAY).startswith("Offer a return: ORD-1")
    outside = _profile(_order("ORD-2", "delivered", delivered_days_ago=200), membership="guest")
    assert engine.next_best_action("return_item", outside, today=TODAY).startswith(
        "Explain the return policy"
    )
    shipped = _profile(_order("ORD-3", "shipped", tracking="TRK123"))
    assert "TRK123" in (engine.next_best_action("order_status", shipped, today=TODAY) or "")
    assert "missing-parcel claim" in (
        engine.next_best_action(
            "missing_package", _profile(_order("ORD-4", "delivered", delivered_days_ago=1)), today=TODAY
        )
        or ""
    )
    assert engine.next_best_action("cancel_subscription", _profile(premium=True), today=TODAY)
    assert engine.next_best_action("greeting", inside, today=TODAY) is None
    assert engine.next_best_action("return_item", None, today=TODAY) is None


def test_coaching_tips_for_upset_customers_and_sensitive_topics_only() -> None:
    assert "Acknowledge" in (engine.coaching_tip(trigger="sentiment", topic=None, direction=None) or "")
    assert "card number" in (
        engine.coaching_tip(trigger="sensitive_topic", topic="fraud", direction=None) or ""
    )
    assert engine.coaching_tip(trigger="customer_request", topic=None, direction="steady") is None


def test_ranking_drops_weak_and_duplicate_suggestions() -> None:
    same = engine.Suggestion("a", "article", "text", "x", 0.9)
    duplicate = engine.Suggestion("b", "past_reply", "text", "y", 0.8)
    weak = engine.Suggestion("c", "article", "other", "z", 0.05)
    assert engine.rank([weak, duplicate, same]) == [same]

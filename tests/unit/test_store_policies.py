from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tandem.customers.crm import OrderSummary
from tandem.store import policies
from tandem.store.policies import PromoTerms, promo_code_applies, return_eligibility

TODAY = date(2026, 3, 16)  # a Monday


def _order(status: str = "delivered", *, delivered_days_ago: int | None = 10) -> OrderSummary:
    delivered = TODAY - timedelta(days=delivered_days_ago) if delivered_days_ago is not None else None
    return OrderSummary(
        number="ORD-12345",
        placed_on=TODAY - timedelta(days=200),
        status=status,
        total=Decimal("50.00"),
        currency="EUR",
        delivered_on=delivered,
    )


@pytest.mark.parametrize("membership", ["guest", "bronze", "silver", "gold"])
def test_return_inside_90_days_is_allowed_for_every_level(membership: str) -> None:
    decision = return_eligibility(_order(delivered_days_ago=89), membership=membership, today=TODAY)
    assert decision.eligible
    assert "ORD-12345" in decision.reason


def test_return_window_includes_the_90th_day() -> None:
    assert return_eligibility(_order(delivered_days_ago=90), membership="bronze", today=TODAY).eligible
    late = return_eligibility(_order(delivered_days_ago=91), membership="bronze", today=TODAY)
    assert not late.eligible
    assert late.rule == "window_passed"
    assert late.deadline == TODAY - timedelta(days=1)


@pytest.mark.parametrize("membership", ["guest", "bronze"])
def test_return_after_90_days_is_refused_for_guest_and_bronze(membership: str) -> None:
    decision = return_eligibility(_order(delivered_days_ago=120), membership=membership, today=TODAY)
    assert not decision.eligible
    assert decision.window_days == 90
    assert "closed" in decision.reason


def test_silver_members_have_180_days() -> None:
    assert return_eligibility(_order(delivered_days_ago=120), membership="silver", today=TODAY).eligible
    assert return_eligibility(_order(delivered_days_ago=180), membership="silver", today=TODAY).eligible
    assert not return_eligibility(_order(delivered_days_ago=181), membership="silver", today=TODAY).eligible


def test_gold_members_can_return_at_any_time() -> None:
    decision = return_eligibility(_order(delivered_days_ago=1000), membership="Gold", today=TODAY)
    assert decision.eligible
    assert decision.rule == "gold_unlimited"
    assert decision.deadline is None


def test_unknown_membership_is_treated_as_guest() -> None:
    decision = return_eligibility(_order(delivered_days_ago=120), membership="platinum", today=TODAY)
    assert not decision.eligible
    assert "guest" in decision.reason


@pytest.mark.parametrize("status", ["placed", "packed", "shipped"])
def test_orders_not_yet_delivered_cannot_be_returned(status: str) -> None:
    decision = return_eligibility(_order(status, delivered_days_ago=None), membership="gold", today=TODAY)
    assert not decision.eligible
    assert decision.rule == "not_delivered"


def test_returned_and_cancelled_orders_cannot_be_returned() -> None:
    returned = return_eligibility(_order("returned"), membership="gold", today=TODAY)
    never_sent = _order("cancelled", delivered_days_ago=None)
    cancelled = return_eligibility(never_sent, membership="gold", today=TODAY)
    assert (returned.eligible, returned.rule) == (False, "already_returned")
    assert (cancelled.eligible, cancelled.rule) == (False, "cancelled")


def test_refund_methods_cover_the_four_options() -> None:
    codes = {m.code for m in policies.refund_methods()}
    assert codes == {"original_card", "store_credit", "gift_card", "paper_check"}
    posted = {m.code for m in policies.refund_methods() if m.needs_mailing_address}
    assert posted == {"gift_card", "paper_check"}
    assert policies.refund_method("Store_Credit") is not None
    assert policies.refund_method("bitcoin") is None


PROMO = PromoTerms(
    code="LANTERN15", percent_off=15, valid_until=TODAY + timedelta(days=3), min_membership="bronze"
)


def test_promo_code_applies_until_its_last_day() -> None:
    decision = promo_code_applies(PROMO, membership="silver", today=PROMO.valid_until)
    assert decision.applies
    assert decision.percent_off == 15


def test_expired_promo_code_is_refused_but_members_get_a_courtesy_code() -> None:
    decision = promo_code_applies(PROMO, membership="bronze", today=PROMO.valid_until + timedelta(days=1))
    assert (decision.applies, decision.rule) == (False, "expired")
    assert decision.courtesy_code_allowed
    guest = promo_code_applies(PROMO, membership="guest", today=PROMO.valid_until + timedelta(days=1))
    assert not guest.courtesy_code_allowed


def test_promo_code_for_higher_membership_is_refused() -> None:
    decision = promo_code_applies(PROMO, membership="guest", today=TODAY)
    assert (decision.applies, decision.rule) == (False, "membership_too_low")
    assert "bronze" in decision.reason


def test_unknown_promo_code_is_invalid() -> None:
    decision = promo_code_applies(None, membership="gold", today=TODAY, code="freestuff")
    assert (decision.applies, decision.rule) == (False, "unknown")
    assert "FREESTUFF" in decision.reason


def test_address_can_change_only_before_shipping() -> None:
    assert policies.address_change_allowed(_order("packed", delivered_days_ago=None)).allowed
    assert not policies.address_change_allowed(_order("shipped", delivered_days_ago=None)).allowed
    assert not policies.address_change_allowed(_order("delivered")).allowed


def test_shipping_promise_counts_business_days_and_waives_fees() -> None:
    friday = date(2026, 3, 20)
    standard = policies.shipping_promise(
        method="standard", placed_on=friday, membership="guest", premium=False, subtotal=Decimal("40.00")
    )
    assert (standard.earliest, standard.latest) == (date(2026, 3, 25), date(2026, 3, 27))
    assert standard.fee == Decimal("8.00")
    free = policies.shipping_promise(
        method="standard", placed_on=friday, membership="gold", premium=False, subtotal=Decimal("40.00")
    )
    assert free.fee == 0
    express = policies.shipping_promise(
        method="express", placed_on=friday, membership="guest", premium=True, subtotal=Decimal("40.00")
    )
    assert express.fee == 0
    assert "Premium" in express.reason
    with pytest.raises(ValueError, match="unknown shipping method"):
        policies.shipping_promise(
            method="drone", placed_on=friday, membership="guest", premium=False, subtotal=Decimal("1")
        )


def test_delivery_check_flags_late_orders() -> None:
    shipped_long_ago = OrderSummary(
        number="ORD-1",
        placed_on=TODAY - timedelta(days=14),
        status="shipped",
        total=Decimal("1"),
        currency="EUR",
    )
    assert policies.delivery_check(shipped_long_ago, today=TODAY).late
    fresh = OrderSummary(number="ORD-2", placed_on=TODAY, status="placed", total=Decimal("1"), currency="EUR")
    assert not policies.delivery_check(fresh, today=TODAY).late


def test_policy_text_covers_every_topic() -> None:
    assert set(policies.POLICY_TEXT) == {
        "returns",
        "refunds",
        "shipping",
        "memberships",
        "premium_subscription",
        "promo_codes",
        "account_access",
    }
    assert all(len(text) > 100 for text in policies.POLICY_TEXT.values())

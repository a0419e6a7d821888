"""Loom & Lantern's written policies as pure functions.

The bot, agent assist and the knowledge base must all give the same answer to "can I return this?", so the
rules live here once, with no I/O: a decision is a function of the order, the membership and today's date.
Every decision carries a ``reason`` a customer could be shown verbatim.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from tandem.customers.crm import OrderSummary

MEMBERSHIPS: tuple[str, ...] = ("guest", "bronze", "silver", "gold")

# Days after delivery within which an item can be sent back; None means no limit.
RETURN_WINDOW_DAYS: dict[str, int | None] = {"guest": 90, "bronze": 90, "silver": 180, "gold": None}

# Promotions normally run for a week; a code that ended within this many days counts as "recently expired".
PROMO_TYPICAL_DAYS = 7


def membership_rank(membership: str) -> int:
    """0 for guest up to 3 for gold; an unknown level is treated as guest, never as a privilege."""
    level = membership.strip().lower()
    return MEMBERSHIPS.index(level) if level in MEMBERSHIPS else 0


def _level(membership: str) -> str:
    return MEMBERSHIPS[membership_rank(membership)]


# --- Returns -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnDecision:
    eligible: bool
    # Stable code: within_window | gold_unlimited | window_passed | not_delivered | already_returned
    # | cancelled
    rule: str
    reason: str
    deadline: date | None = None
    window_days: int | None = None


def return_eligibility(order: OrderSummary, *, membership: str, today: date) -> ReturnDecision:
    """Whether ``order`` can be returned today.

    Rule: the window starts on the delivery date. Guests and Bronze members have 90 days, Silver members
    180 days, Gold members have no limit. Orders not yet delivered cannot be returned (they can be refused
    at the door, or cancelled while still placed or packed); returned or cancelled orders cannot be returned.
    """
    level = _level(membership)
    status = order.status.lower()
    number = order.number
    if status == "cancelled":
        return ReturnDecision(False, "cancelled", f"Order {number} was cancelled; nothing to return.")
    if status == "returned":
        return ReturnDecision(
            False, "already_returned", f"Order {number} has already been returned; see the refund policy."
        )
    if status != "delivered" or order.delivered_on is None:
        return ReturnDecision(
            False,
            "not_delivered",
            f"Order {number} has not been delivered yet ({status}). A return can be "
            "started once it arrives; until it ships, the order can be cancelled instead.",
        )
    window = RETURN_WINDOW_DAYS[level]
    if window is None:
        return ReturnDecision(
            True, "gold_unlimited", f"Gold members can return items at any time; order {number} qualifies."
        )
    delivered = order.delivered_on.isoformat()
    deadline = order.delivered_on + timedelta(days=window)
    if today <= deadline:
        return ReturnDecision(
            True,
            "within_window",
            f"Order {number} was delivered on {delivered}, within the {window}-day return "
            f"window for {level} customers (until {deadline.isoformat()}).",
            deadline=deadline,
            window_days=window,
        )
    return ReturnDecision(
        False,
        "window_passed",
        f"Order {number} was delivered on {delivered}; the {window}-day return window for "
        f"{level} customers closed on {deadline.isoformat()}.",
        deadline=deadline,
        window_days=window,
    )


# --- Order status ---------------------------------------------------------------------------------------

_STATUS_SENTENCE = {
    "placed": "has been received and will be packed soon",
    "packed": "is packed and waiting for the carrier",
    "shipped": "is on its way",
    "delivered": "was delivered",
    "returned": "was returned",
    "cancelled": "was cancelled",
}


def describe_status(order: OrderSummary) -> str:
    """One sentence a customer can be told: where the order is, with the carrier and tracking number."""
    text = f"Order {order.number} {_STATUS_SENTENCE.get(order.status, order.status)}"
    if order.status == "delivered" and order.delivered_on:
        text += f" on {order.delivered_on.isoformat()}"
    if order.status == "shipped" and order.carrier:
        text += f" with {order.carrier} (tracking {order.tracking_number})"
    return text + "."


# --- Refunds -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefundMethod:
    code: str
    label: str
    needs_mailing_address: bool
    business_days: int  # until the money is usable by the customer
    reason: str  # why a customer might pick it, in plain words


_REFUND_METHODS: tuple[RefundMethod, ...] = (
    RefundMethod(
        "original_card",
        "Back to the original card",
        False,
        5,
        "The money returns to the card used for the order; banks take up to 5 business days.",
    ),
    RefundMethod(
        "store_credit",
        "Store credit (add value to account)",
        False,
        0,
        "Added to the Loom & Lantern account at once and usable on the next order.",
    ),
    RefundMethod(
        "gift_card",
        "Prepaid gift card by post",
        True,
        7,
        "A gift card is posted to the customer, so we need a mailing address.",
    ),
    RefundMethod(
        "paper_check",
        "Paper check by post",
        True,
        10,
        "A check is posted to the customer, so we need a mailing address.",
    ),
)


def refund_methods() -> tuple[RefundMethod, ...]:
    """The ways a refund can be paid, fastest to slowest to arrive in the customer's hands."""
    return _REFUND_METHODS


def refund_method(code: str) -> RefundMethod | None:
    return next((m for m in _REFUND_METHODS if m.code == code.strip().lower()), None)


# --- Shipping ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShippingPromise:
    method: str
    earliest: date
    latest: date
    fee: Decimal
    reason: str


# method -> (min business days, max business days, fee)
SHIPPING_METHODS: dict[str, tuple[int, int, Decimal]] = {
    "standard": (3, 5, Decimal("8.00")),
    "express": (1, 2, Decimal("15.00")),
    "overnight": (1, 1, Decimal("25.00")),
}
FREE_STANDARD_SHIPPING_FROM = Decimal("75.00")


def add_business_days(start: date, days: int) -> date:
    """``start`` moved forward by ``days`` working days (Monday to Friday)."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def shipping_promise(
    *, method: str, placed_on: date, membership: str, premium: bool, subtotal: Decimal
) -> ShippingPromise:
    """When an order should arrive and what shipping costs.

    Standard shipping is free from EUR/USD 75 or for Gold members; Premium subscribers get express for free.
    """
    method = method.strip().lower()
    if method not in SHIPPING_METHODS:
        raise ValueError(f"unknown shipping method {method!r}; known: {', '.join(SHIPPING_METHODS)}")
    low, high, fee = SHIPPING_METHODS[method]
    why = (
        f"{method.capitalize()} shipping takes {low}-{high} business days"
        if low != high
        else (f"{method.capitalize()} shipping arrives the next business day")
    )
    if method == "standard" and (_level(membership) == "gold" or subtotal >= FREE_STANDARD_SHIPPING_FROM):
        fee, why = Decimal("0.00"), why + "; it is free for this order"
    elif method in ("standard", "express") and premium:
        fee, why = Decimal("0.00"), why + "; it is free with the Premium subscription"
    else:
        why += f" and costs {fee}"
    return ShippingPromise(
        method, add_business_days(placed_on, low), add_business_days(placed_on, high), fee, why + "."
    )


@dataclass(frozen=True)
class DeliveryCheck:
    late: bool
    reason: str
    expected_by: date | None = None


def delivery_check(order: OrderSummary, *, today: date, method: str = "standard") -> DeliveryCheck:
    """Whether an undelivered order is past its promised date: the cue to open a carrier investigation."""
    if order.status in ("delivered", "returned", "cancelled"):
        return DeliveryCheck(False, f"Order {order.number} is {order.status}; there is nothing to wait for.")
    expected = add_business_days(order.placed_on, SHIPPING_METHODS[method][1])
    if today > expected:
        return DeliveryCheck(
            True,
            f"Order {order.number} was due by {expected.isoformat()} and has not "
            "arrived; we will ask the carrier to trace it.",
            expected,
        )
    return DeliveryCheck(
        False,
        f"Order {order.number} is {order.status} and on time; expected by {expected.isoformat()}.",
        expected,
    )


@dataclass(frozen=True)
class PolicyDecision:
    allowed: bool
    reason: str


def address_change_allowed(order: OrderSummary) -> PolicyDecision:
    """The address can change only while the parcel is still with us (placed or packed)."""
    number = order.number
    if order.status in ("placed", "packed"):
        return PolicyDecision(True, f"Order {number} has not shipped yet, so its address can be changed.")
    if order.status == "shipped":
        return PolicyDecision(
            False,
            f"Order {number} is already with the carrier; the address can no "
            "longer be changed, but it can be redirected with the carrier's tracking link.",
        )
    return PolicyDecision(False, f"Order {number} is {order.status}; its address can no longer be changed.")


# --- Promo codes ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PromoTerms:
    code: str
    percent_off: int
    valid_until: date
    min_membership: str = "guest"


@dataclass(frozen=True)
class PromoDecision:
    applies: bool
    rule: str  # valid | unknown | expired | membership_too_low
    reason: str
    # Members (bronze and up) whose code failed may be offered a fresh one as a courtesy.
    courtesy_code_allowed: bool = False
    percent_off: int = 0


def promo_code_applies(
    promo: PromoTerms | None, *, membership: str, today: date, code: str = ""
) -> PromoDecision:
    """Whether a promo code can be used today by a customer of ``membership``; ``None`` means no such code."""
    level = _level(membership)
    courtesy = membership_rank(level) >= membership_rank("bronze")
    if promo is None:
        name = code.strip().upper() or "by that name"
        return PromoDecision(
            False, "unknown", f"We have no promo code {name}; please check the spelling.", courtesy
        )
    if today > promo.valid_until:
        return PromoDecision(
            False,
            "expired",
            f"{promo.code} ended on {promo.valid_until.isoformat()}; "
            f"promotions usually run for {PROMO_TYPICAL_DAYS} days.",
            courtesy,
        )
    if membership_rank(level) < membership_rank(promo.min_membership):
        return PromoDecision(
            False,
            "membership_too_low",
            f"{promo.code} is for {promo.min_membership} members and above; this account is {level}.",
            courtesy,
        )
    return PromoDecision(
        True,
        "valid",
        f"{promo.code} gives {promo.percent_off}% off until {promo.valid_until.isoformat()}.",
        False,
        promo.percent_off,
    )


# --- Written policies (become knowledge-base articles) ---------------------------------------------------

POLICY_TEXT: dict[str, str] = {
    "returns": (
        "You can return unworn items with their tags for a full refund. The return window starts on the day"
        " your order is delivered: 90 days for guests and Bronze members, 180 days for Silver members, and "
        "no time limit for Gold members. Returns can only be started once an order has arrived. Start a "
        "return from your order page or ask us in chat, and we will email you a prepaid return label."
    ),
    "refunds": (
        "Once your return reaches our warehouse we refund it within 2 business days. You choose how: back "
        "to the original card (up to 5 business days for your bank to show it), store credit added to your "
        "account straight away, a prepaid gift card by post, or a paper check by post. For a gift card or a"
        " check we need your mailing address."
    ),
    "shipping": (
        "Standard shipping takes 3-5 business days and costs 8.00, free on orders of 75.00 or more and for "
        "Gold members. Express takes 1-2 business days for 15.00; overnight arrives the next business day "
        "for 25.00. You can change the delivery address while the order is placed or packed; once shipped, "
        "use the carrier's tracking link to redirect it."
    ),
    "memberships": (
        "Membership levels grow with your purchases: Guest, Bronze, Silver and Gold. Bronze members and "
        "above get members-only promotions; Silver members get a 180-day return window; Gold members get "
        "unlimited returns, free standard shipping and our private sales."
    ),
    "premium_subscription": (
        "Loom & Lantern Premium costs 9.99 a month and renews automatically on the same day each month. It "
        "includes free standard and express shipping and early access to new collections. You can cancel "
        "anytime from your account; benefits last until the end of the paid month."
    ),
    "promo_codes": (
        "Promo codes are entered at checkout, one per order. Most promotions run for 7 days, and some are "
        "for members of a given level and above. If your code did not work, tell us the code: members whose"
        " code has expired can often be offered a fresh one."
    ),
    "account_access": (
        "Forgot your username? We can recover it after confirming three of: full name, postcode, phone "
        "number and email address. We never see or read out passwords; instead we email a reset link to the"
        " address on the account. If you lost the device for two-step sign-in, we send a reset link to that"
        " email too."
    ),
}

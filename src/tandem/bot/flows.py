"""Task flows of the demo store: order status, returns and refund eligibility, password reset, address change.

A flow collects what it needs over several turns (order number, then the e-mail that proves the order is
the customer's, then for an address change the new address), reads the record through the CRM connector,
and applies the store's written policies (``store.policies``) so the bot, the agent assist and the help
articles give the same answer. The flow's state travels in the bot message's trace, so a restarted server
continues the conversation where it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from tandem.bot.messages import Money, known_keys, say, status_name
from tandem.bot.nlu.entities import Entities, extract_entities
from tandem.bot.types import BotTurn
from tandem.customers.crm import CrmConnector, CrmLookup, CustomerProfile, OrderSummary
from tandem.store import policies

# intent -> flow
FLOW_FOR_INTENT = {
    "order_status": "order_status",
    "recover_password": "password_reset",
    "change_address": "address_change",
}
# Intents that become a flow only when the message names an order; otherwise the general question ("how
# long do I have to return a dress?") is answered from the knowledge base.
FLOW_WITH_ORDER = {
    "delivery_time": "order_status",
    "missing_package": "order_status",
    "return_item": "return",
    "start_refund": "return",
    "refund_status": "refund_status",
}

_YES = re.compile(
    r"^\W*(?:yes|yeah|yep|correct|confirm(?:ed)?|ok(?:ay)?|s[ií]|claro|vale|oui|d'accord|ja|genau|richtig)\b",
    re.I,
)
_NO = re.compile(r"^\W*(?:no|nope|cancel|non|nein|nicht)\b", re.I)
ADDRESS_MAX_CHARS = 200


def looks_like_address(text: str) -> bool:
    """Street and number, postcode, town: digits and letters, no question, not a whole paragraph."""
    cleaned = " ".join(text.split())
    return (
        10 <= len(cleaned) <= ADDRESS_MAX_CHARS
        and "?" not in cleaned
        and any(c.isdigit() for c in cleaned)
        and sum(c.isalpha() for c in cleaned) >= 5
    )


def is_yes(text: str) -> bool:
    return bool(_YES.match(text.strip()))


def is_no(text: str) -> bool:
    return bool(_NO.match(text.strip()))


class OrderActions(Protocol):
    """Changes the bot may make on the customer's behalf, after the flow has checked the policy."""

    async def change_shipping_address(self, order_number: str, new_address: str) -> OrderSummary: ...


@dataclass
class FlowStep:
    """``outcome``: answered (the customer got what they asked), asked (waiting for information),
    not_found (no such order; asked to check the number), refused (a policy says no, explained), failed
    (could not help: counts towards handing over)."""

    flow: str
    text: str
    outcome: str
    state: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)


class DemoStoreFlows:
    def __init__(self, crm: CrmConnector, actions: OrderActions | None = None) -> None:
        self.crm = crm
        self.actions = actions

    def flow_for(self, intent: str | None, entities: Entities) -> str | None:
        if intent in FLOW_FOR_INTENT:
            return FLOW_FOR_INTENT[intent]
        if intent in FLOW_WITH_ORDER and entities.order_numbers:
            return FLOW_WITH_ORDER[intent]
        return None

    async def run(
        self, flow: str, *, turn: BotTurn, locale: str, entities: Entities, state: dict[str, Any], today: date
    ) -> FlowStep:
        if flow == "password_reset":
            return self._password_reset(turn, locale, entities)
        step = await self._verified_order(flow, turn=turn, locale=locale, entities=entities, state=state)
        if isinstance(step, FlowStep):
            return step
        order, profile = step
        if flow == "order_status":
            return self._order_status(order, locale, today)
        if flow == "return":
            return self._return(order, profile, locale, today)
        if flow == "refund_status":
            return self._refund_status(order, profile, locale, today)
        return await self._address_change(order, turn, locale, state)

    # --- shared step: which order, and is it theirs --------------------------------------------------------

    async def _verified_order(
        self, flow: str, *, turn: BotTurn, locale: str, entities: Entities, state: dict[str, Any]
    ) -> FlowStep | tuple[OrderSummary, CustomerProfile]:
        earlier = _said_before(turn)
        number: str | None
        if state.get("awaiting") in ("address", "confirm_address") and state.get("order"):
            number = str(state["order"])  # a postcode in the new address is not another order
        else:
            found = next(iter(entities.order_numbers), None)
            number = found or state.get("order") or earlier.last_order
        if number is None:
            return FlowStep(flow, say("ask_order", locale), "asked", {"awaiting": "order_number"})
        emails = {*entities.emails, *earlier.emails}
        if turn.customer_email:
            emails.add(turn.customer_email.lower())
        if not emails:
            # Asked before the order is looked up, so the answer never tells whether an order number exists.
            return FlowStep(
                flow, say("ask_email", locale, order=number), "asked", {"awaiting": "email", "order": number}
            )
        order = await self.crm.find_order(number)
        profile = await self.crm.find_profile(CrmLookup(order_number=number))
        owner = (profile.email or "").lower() if profile else ""
        if order is None or profile is None or owner not in emails:
            # The same words for "no such order" and "not your e-mail"; every try counts as a failed turn,
            # so guessing order numbers ends with a person after a few tries.
            return FlowStep(
                flow, say("no_match", locale, order=number), "failed", {"awaiting": "email", "order": number}
            )
        return order, profile

    # --- flows ------------------------------------------------------------------------------------------

    def _order_status(self, order: OrderSummary, locale: str, today: date) -> FlowStep:
        text = describe_order(order, locale)
        check = policies.delivery_check(order, today=today)
        if check.late and check.expected_by:
            text += " " + say("status_late", locale, date=check.expected_by)
        elif check.expected_by and order.status in ("placed", "packed", "shipped"):
            text += " " + say("status_expected", locale, date=check.expected_by)
        return FlowStep(
            "order_status",
            f"{text} {say('anything_else', locale)}",
            "answered",
            {"order": order.number},
            {"status": order.status, "late": check.late},
        )

    def _return(self, order: OrderSummary, profile: CustomerProfile, locale: str, today: date) -> FlowStep:
        decision = policies.return_eligibility(order, membership=profile.membership, today=today)
        text = describe_return(order, decision, profile.membership, locale)
        if decision.eligible:
            text += " " + say("return_how", locale)
            outcome = "answered"
        else:
            text += " " + say("ask_a_person", locale)
            outcome = "refused"
        return FlowStep(
            "return",
            f"{text} {say('anything_else', locale)}",
            outcome,
            {"order": order.number},
            {"rule": decision.rule, "eligible": decision.eligible, "membership": profile.membership},
        )

    def _refund_status(
        self, order: OrderSummary, profile: CustomerProfile, locale: str, today: date
    ) -> FlowStep:
        if order.status == "returned":
            text = say(
                "refund_returned", locale, order=order.number, amount=Money(order.total, order.currency)
            )
            facts: dict[str, Any] = {"status": order.status}
        else:
            decision = policies.return_eligibility(order, membership=profile.membership, today=today)
            text = say("refund_none_yet", locale, order=order.number)
            text += " " + describe_return(order, decision, profile.membership, locale)
            facts = {"status": order.status, "rule": decision.rule}
        return FlowStep(
            "refund_status",
            f"{text} {say('anything_else', locale)}",
            "answered",
            {"order": order.number},
            facts,
        )

    async def _address_change(
        self, order: OrderSummary, turn: BotTurn, locale: str, state: dict[str, Any]
    ) -> FlowStep:
        decision = policies.address_change_allowed(order)
        if not decision.allowed:
            key = "address_shipped" if order.status == "shipped" else "address_closed"
            refusal = say(key, locale, order=order.number, status=status_name(order.status, locale))
            return FlowStep("address_change", refusal, "refused", {"order": order.number})
        awaiting = state.get("awaiting")
        if awaiting == "address" and looks_like_address(turn.text):
            address = " ".join(turn.text.split())[:ADDRESS_MAX_CHARS]
            return FlowStep(
                "address_change",
                say("confirm_address", locale, order=order.number, address=address),
                "asked",
                {"awaiting": "confirm_address", "order": order.number, "address": address},
            )
        if awaiting == "confirm_address" and state.get("address"):
            if is_no(turn.text):
                kept = say("address_kept", locale, order=order.number)
                return FlowStep("address_change", kept, "answered", {"order": order.number})
            if is_yes(turn.text) and self.actions is not None:
                changed = await self.actions.change_shipping_address(order.number, str(state["address"]))
                done = say("address_changed", locale, order=changed.number, address=changed.shipping_address)
                return FlowStep(
                    "address_change",
                    f"{done} {say('anything_else', locale)}",
                    "answered",
                    {"order": order.number},
                    {"action": "change_shipping_address"},
                )
        return FlowStep(
            "address_change",
            say("ask_address", locale, reason=say("address_allowed", locale, order=order.number)),
            "asked",
            {"awaiting": "address", "order": order.number},
        )

    def _password_reset(self, turn: BotTurn, locale: str, entities: Entities) -> FlowStep:
        email = next(iter(entities.emails), None) or turn.customer_email
        if email is None:
            return FlowStep(
                "password_reset", say("ask_account_email", locale), "asked", {"awaiting": "email"}
            )
        # Same answer whether or not the account exists, so the chat cannot be used to probe for accounts.
        return FlowStep(
            "password_reset",
            say("password_reset_sent", locale, email=email),
            "answered",
            {},
            {"action": "send_password_reset"},
        )


def describe_order(order: OrderSummary, locale: str) -> str:
    """Where the order is, in the customer's language (``store.policies.describe_status`` is the English
    original that agents see)."""
    values: dict[str, object] = {
        "order": order.number,
        "carrier": order.carrier or "",
        "tracking": order.tracking_number or "",
        "date": order.delivered_on or "",
    }
    key = f"status_{order.status}" if order.status != "shipped" or order.carrier else "status_on_its_way"
    return say(key, locale, **values) if key in known_keys() else policies.describe_status(order)


def describe_return(
    order: OrderSummary, decision: policies.ReturnDecision, membership: str, locale: str
) -> str:
    """The return decision of ``store.policies`` in the customer's language."""
    level = policies.MEMBERSHIPS[policies.membership_rank(membership)].capitalize()
    dates: dict[str, object] = {
        "order": order.number,
        "date": order.delivered_on or "",
        "days": decision.window_days or "",
        "level": level,
        "deadline": decision.deadline or "",
    }
    key = {
        "within_window": "return_within_window",
        "gold_unlimited": "return_gold",
        "window_passed": "return_window_passed",
        "not_delivered": "return_not_delivered",
        "already_returned": "return_closed",
        "cancelled": "return_closed",
    }.get(decision.rule)
    return say(key, locale, **dates) if key else decision.reason


@dataclass(frozen=True)
class _Earlier:
    last_order: str | None
    emails: tuple[str, ...]


def _said_before(turn: BotTurn) -> _Earlier:
    """Order numbers and e-mails from the customer's earlier messages, read once per flow step."""
    orders: list[str] = []
    emails: list[str] = []
    for message in turn.history:
        if message.author == "customer":
            entities = extract_entities(message.body)
            orders.extend(entities.order_numbers)
            emails.extend(entities.emails)
    return _Earlier(orders[-1] if orders else None, tuple(emails))

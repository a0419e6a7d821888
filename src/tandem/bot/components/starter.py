"""The starter responder: a small deterministic front line for the demo store.

It recognises explicit requests for a person (English, Spanish, French, German), order numbers (looked up
through the CRM connector), greetings and thanks, and hands off after two turns it did not understand. The
Tier-0 pipeline (intents, out-of-scope detection, sentiment, knowledge answers) replaces it behind the same
``Responder`` protocol.
"""

from __future__ import annotations

import re
import time

from tandem.bot.types import BotReply, BotTurn
from tandem.customers.crm import CrmConnector, CrmLookup
from tandem.store import policies

HUMAN_REQUEST = re.compile(
    r"\b(talk|speak|chat|connect|transfer|put)\b.{0,30}\b(agent|human|person|someone|representative|operator|"
    r"manager|supervisor|people)\b"
    r"|\b(real|live|actual)\s+(person|human|agent)\b"
    r"|^\s*(agent|human|representative|operator)\s*[.!?]*\s*$"
    r"|\b(hablar|comunicarme|pasarme|p[aá]same)\b.{0,30}\b(agente|persona|humano|operador|alguien)\b"
    r"|^\s*(agente|humano|persona)\s*[.!?]*\s*$"
    r"|\b(parler|discuter)\b.{0,30}\b(agent|conseill[eè]re?|humain|personne|quelqu'un)\b"
    r"|^\s*(conseiller|humain)\s*[.!?]*\s*$"
    r"|\b(mitarbeiter|menschen|berater|person)\b.{0,40}\b(sprechen|reden|verbinden)\b"
    r"|\b(sprechen|reden)\b.{0,30}\b(mitarbeiter|menschen|berater)\b"
    r"|^\s*(mitarbeiter|mensch)\s*[.!?]*\s*$",
    re.IGNORECASE,
)
ORDER_NUMBER = re.compile(r"\b(?:ORD-?)?(\d{5})\b", re.IGNORECASE)
GREETING = re.compile(r"^\s*(hi|hello|hey|hola|buenas|bonjour|salut|hallo|guten tag)\b", re.IGNORECASE)
THANKS = re.compile(r"\b(thanks|thank you|gracias|merci|danke)\b", re.IGNORECASE)

FALLBACK = (
    "Sorry, I didn't catch that. I can check an order if you send its number (for example ORD-10001) and the "
    'e-mail address used for it, or you can type "agent" to reach a person.'
)


class StarterResponder:
    def __init__(self, crm: CrmConnector | None = None, *, max_misunderstood: int = 2) -> None:
        self.crm = crm
        self.max_misunderstood = max_misunderstood

    async def respond(self, turn: BotTurn) -> BotReply:
        started = time.perf_counter()
        trace: dict[str, object] = {"responder": "starter"}
        reply = await self._decide(turn, trace)
        trace["ms"] = round((time.perf_counter() - started) * 1000, 3)
        reply.trace = trace
        return reply

    async def _decide(self, turn: BotTurn, trace: dict[str, object]) -> BotReply:
        text = turn.text.strip()
        if HUMAN_REQUEST.search(text):
            trace["decision"] = "explicit_human_request"
            return BotReply(
                None,
                handoff=True,
                handoff_reason="explicit request for a human",
                handoff_trigger="customer_request",
            )
        match = ORDER_NUMBER.search(text) or _order_in_history(turn)
        if match and self.crm is not None:
            number = f"ORD-{match.group(1)}"
            profile = await self.crm.find_profile(CrmLookup(order_number=number))
            order = await self.crm.find_order(number)
            if order is None or profile is None:
                trace["decision"] = "order_not_found"
                return BotReply(
                    f"I couldn't find order {number}. Please check the number on your confirmation e-mail."
                )
            if not _proves_ownership(turn, profile.email):
                # An order number alone is guessable; the e-mail on the order proves it is theirs.
                trace["decision"] = "order_needs_email"
                return BotReply(
                    f"I can check {number} for you. To protect your privacy, please send the e-mail address "
                    "used for the order."
                )
            trace["decision"] = "order_status"
            return BotReply(policies.describe_status(order) + " Is there anything else I can help with?")
        if GREETING.search(text):
            trace["decision"] = "greeting"
            return BotReply(
                "Hello! I can check your order status, or bring in a person from our team. How can I help?"
            )
        if THANKS.search(text):
            trace["decision"] = "thanks"
            return BotReply("You're welcome! Anything else?")
        misunderstood = 1 + sum(1 for message in _recent_bot_turns(turn) if message == FALLBACK)
        trace["decision"] = "not_understood"
        trace["misunderstood_in_a_row"] = misunderstood
        if misunderstood > self.max_misunderstood:
            return BotReply(
                None, handoff=True, handoff_reason=f"bot did not understand {misunderstood} times in a row"
            )
        return BotReply(FALLBACK)


EMAIL = re.compile(r"[^@\s<>(),;:]+@[^@\s<>(),;:]+\.[A-Za-z]{2,}")


def _customer_texts(turn: BotTurn) -> list[str]:
    return [turn.text, *[m.body for m in turn.history if m.author == "customer"]]


def _order_in_history(turn: BotTurn) -> re.Match[str] | None:
    """The order number the customer gave earlier, when this turn only brings the e-mail."""
    if not EMAIL.search(turn.text):
        return None
    for message in reversed(turn.history):
        if message.author == "customer" and (found := ORDER_NUMBER.search(message.body)):
            return found
    return None


def _proves_ownership(turn: BotTurn, order_email: str | None) -> bool:
    if not order_email:
        return False
    wanted = order_email.strip().lower()
    if turn.customer_email and turn.customer_email.strip().lower() == wanted:
        return True
    return any(found.lower() == wanted for text in _customer_texts(turn) for found in EMAIL.findall(text))


def _recent_bot_turns(turn: BotTurn) -> list[str]:
    """The bot's replies since the last non-fallback reply, newest first."""
    replies: list[str] = []
    for message in reversed(turn.history):
        if message.author != "bot":
            continue
        if message.body != FALLBACK:
            break
        replies.append(message.body)
    return replies

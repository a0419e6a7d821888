"""Who owns a conversation: one authoritative state machine.

Peers' users report bots replying after a human answered and reopened chats that never return to the bot.
Both come from ownership being implicit. Here every change of owner is a named transition, checked against
this table, recorded as an event with its trigger and reason, and the bot may only write while it owns the
conversation.
"""

from __future__ import annotations

from enum import StrEnum

from tandem.core.errors import ConflictError


class Owner(StrEnum):
    BOT = "bot"
    WAITING = "waiting"  # waiting for a human
    HUMAN = "human"
    RESOLVED = "resolved"


class Transition(StrEnum):
    REQUEST_HUMAN = "request_human"
    ASSIGN = "assign"  # a human joins (from the queue, or takes over from the bot)
    HAND_BACK = "hand_back"  # back to the bot
    REQUEUE = "requeue"  # a person sends it back to a queue (Tier 2, a supervisor, another skill)
    RESOLVE = "resolve"
    REOPEN = "reopen"


class Trigger(StrEnum):
    """Why a transition happened; the analytics break escalations down by it."""

    CUSTOMER_REQUEST = "customer_request"
    BOT_RULE = "bot_rule"
    BOT_FAILURE = "bot_failure"
    SENTIMENT = "sentiment"  # frustration or anger beyond the locale's threshold
    SENSITIVE_TOPIC = "sensitive_topic"  # fraud, hacked account, legal threat, bereavement, chargeback
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    CUSTOMER = "customer"
    SYSTEM = "system"
    TIMEOUT = "timeout"


_TABLE: dict[tuple[Owner, Transition], Owner] = {
    (Owner.BOT, Transition.REQUEST_HUMAN): Owner.WAITING,
    (Owner.BOT, Transition.ASSIGN): Owner.HUMAN,
    (Owner.BOT, Transition.RESOLVE): Owner.RESOLVED,
    (Owner.WAITING, Transition.ASSIGN): Owner.HUMAN,
    (Owner.WAITING, Transition.HAND_BACK): Owner.BOT,
    (Owner.WAITING, Transition.RESOLVE): Owner.RESOLVED,
    (Owner.HUMAN, Transition.ASSIGN): Owner.HUMAN,  # transfer to another agent
    (Owner.HUMAN, Transition.HAND_BACK): Owner.BOT,
    (Owner.HUMAN, Transition.REQUEUE): Owner.WAITING,
    (Owner.HUMAN, Transition.RESOLVE): Owner.RESOLVED,
    (Owner.RESOLVED, Transition.REOPEN): Owner.BOT,
}


class InvalidTransitionError(ConflictError):
    code = "invalid_transition"


def next_owner(current: Owner, transition: Transition) -> Owner:
    """The owner after ``transition``, or ``InvalidTransitionError`` saying what is allowed instead."""
    try:
        return _TABLE[(current, transition)]
    except KeyError:
        allowed = sorted(t.value for (state, t) in _TABLE if state is current)
        raise InvalidTransitionError(
            f"Cannot {transition.value.replace('_', ' ')} a conversation that is '{current.value}'. "
            f"Allowed now: {', '.join(allowed) or 'nothing'}.",
            state=current.value,
            allowed=allowed,
        ) from None


def allowed_transitions(current: Owner) -> list[Transition]:
    return [transition for (state, transition) in _TABLE if state is current]

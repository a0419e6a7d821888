"""What a bot turn sees and what it decides. Plain data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TurnMessage:
    author: str  # customer | bot | agent | system
    body: str
    seq: int
    trace: dict[str, Any] | None = None  # the bot's trace; for system notices, the ownership change


@dataclass(frozen=True)
class BotTurn:
    conversation_id: int
    locale: str
    text: str
    seq: int
    history: tuple[TurnMessage, ...] = ()
    customer_email: str | None = None
    membership: str | None = None  # guest | bronze | silver | gold, for a verified customer the CRM knows


@dataclass
class BotReply:
    """``text`` is sent to the customer; ``handoff`` moves the conversation to the human queue.

    ``trace`` records what each step said and why, and is stored with the bot message for agents.
    """

    text: str | None
    handoff: bool = False
    handoff_reason: str | None = None
    handoff_trigger: str = "bot_rule"  # a conversation.state.Trigger value
    trace: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IntentScore:
    intent: str
    score: float


@dataclass(frozen=True)
class IntentPrediction:
    """``intent`` is None when the message is out of scope; ``alternatives`` are the best in-scope guesses."""

    intent: str | None
    confidence: float
    alternatives: tuple[IntentScore, ...]
    out_of_scope: bool
    threshold: float
    oos_probability: float = 0.0

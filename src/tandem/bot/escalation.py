"""When the bot steps aside. Deterministic rules, outside any model: each is a plain function of what this
turn showed (``TurnAnalysis``) and what the conversation has shown so far (``ConversationStats``), and
returns an ``Escalation`` (rule, trigger, reason, evidence) or None. Rules are checked in order; the first
that fires wins, and its evidence goes into the trace and the handoff.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tandem.bot.nlu.sentiment import Frustration
from tandem.bot.nlu.signals import Signals
from tandem.bot.types import IntentPrediction

DEFAULT_FRUSTRATION_THRESHOLD = 0.6
# Small talk and reactions to the bot: never a topic to look up, clarify or count as a loop.
CONVERSATIONAL_INTENTS = frozenset({"greeting", "thanks", "goodbye", "affirm", "deny", "bot_unhelpful"})
FAILED_OUTCOMES = frozenset({"not_understood", "unhelpful", "failed", "unsupported_language", "empty"})


@dataclass(frozen=True)
class TurnAnalysis:
    text: str
    language: str
    language_supported: bool
    signals: Signals
    sentiment: float
    frustration: Frustration
    frustration_trend: float
    intent: IntentPrediction | None


@dataclass(frozen=True)
class ConversationStats:
    """Read from the bot's own earlier traces in this episode."""

    customer_turns: int = 0
    consecutive_failures: int = 0  # bot turns in a row that did not help, before this one
    unsupported_language_turns: int = 0
    recent_intents: tuple[str, ...] = ()  # intents the bot answered outright, newest last; "" breaks a run
    last_state: dict[str, Any] = field(default_factory=dict)
    last_outcome: str | None = None


@dataclass(frozen=True)
class EscalationPolicy:
    frustration_thresholds: dict[str, float] = field(default_factory=dict)
    max_failed_attempts: int = 3
    human_only_intents: frozenset[str] = frozenset({"complaint"})
    max_same_intent: int = 3  # the customer asked for the same thing this many times in a row: a loop

    def frustration_threshold(self, language: str) -> float:
        return self.frustration_thresholds.get(language, DEFAULT_FRUSTRATION_THRESHOLD)


@dataclass(frozen=True)
class Escalation:
    rule: str
    trigger: str  # a conversation.state.Trigger value
    reason: str
    evidence: dict[str, Any]

    def as_trace(self) -> dict[str, Any]:
        return {"rule": self.rule, "trigger": self.trigger, "reason": self.reason, "evidence": self.evidence}


Rule = Callable[[TurnAnalysis, ConversationStats, EscalationPolicy], Escalation | None]


def explicit_request(
    turn: TurnAnalysis, stats: ConversationStats, policy: EscalationPolicy
) -> Escalation | None:
    phrase = turn.signals.human_request
    if phrase is None:
        return None
    return Escalation(
        "explicit_request", "customer_request", "the customer asked for a person", {"phrase": phrase}
    )


def sensitive_topic(
    turn: TurnAnalysis, stats: ConversationStats, policy: EscalationPolicy
) -> Escalation | None:
    if not turn.signals.sensitive:
        return None
    topic, phrase = next(iter(turn.signals.sensitive.items()))
    return Escalation(
        "sensitive_topic",
        "sensitive_topic",
        f"sensitive topic: {topic.replace('_', ' ')}",
        {"topic": topic, "phrase": phrase, "all": dict(turn.signals.sensitive)},
    )


def frustration(turn: TurnAnalysis, stats: ConversationStats, policy: EscalationPolicy) -> Escalation | None:
    threshold = policy.frustration_threshold(turn.language)
    score = max(turn.frustration.score, turn.frustration_trend)
    if score < threshold:
        return None
    return Escalation(
        "frustration",
        "sentiment",
        "the customer is frustrated: " + "; ".join(turn.frustration.reasons or ("rising frustration",)),
        {
            "score": turn.frustration.score,
            "trend": turn.frustration_trend,
            "threshold": threshold,
            "language": turn.language,
            "reasons": list(turn.frustration.reasons),
        },
    )


def human_only_intent(
    turn: TurnAnalysis, stats: ConversationStats, policy: EscalationPolicy
) -> Escalation | None:
    intent = turn.intent.intent if turn.intent else None
    if intent is None or intent not in policy.human_only_intents:
        return None
    assert turn.intent is not None
    return Escalation(
        "human_only_intent",
        "bot_rule",
        f"'{intent}' is handled by people",
        {"intent": intent, "confidence": turn.intent.confidence},
    )


def intent_loop(turn: TurnAnalysis, stats: ConversationStats, policy: EscalationPolicy) -> Escalation | None:
    intent = turn.intent.intent if turn.intent else None
    if intent is None or intent in CONVERSATIONAL_INTENTS:
        return None
    run = 1
    for previous in reversed(stats.recent_intents):
        if previous != intent:
            break
        run += 1
    if run < policy.max_same_intent:
        return None
    return Escalation(
        "loop",
        "bot_failure",
        f"the customer asked about '{intent}' {run} times in a row",
        {"intent": intent, "times": run},
    )


def unsupported_language(
    turn: TurnAnalysis, stats: ConversationStats, policy: EscalationPolicy
) -> Escalation | None:
    if turn.language_supported or stats.unsupported_language_turns < 1:
        return None
    return Escalation(
        "unsupported_language",
        "bot_rule",
        f"the customer writes in a language the bot does not serve ({turn.language})",
        {"language": turn.language},
    )


RULES: tuple[Rule, ...] = (
    explicit_request,
    sensitive_topic,
    frustration,
    human_only_intent,
    intent_loop,
    unsupported_language,
)


def decide_escalation(
    turn: TurnAnalysis, stats: ConversationStats, policy: EscalationPolicy, rules: tuple[Rule, ...] = RULES
) -> Escalation | None:
    for rule in rules:
        if (found := rule(turn, stats, policy)) is not None:
            return found
    return None


def failed_attempts(outcome: str, stats: ConversationStats, policy: EscalationPolicy) -> Escalation | None:
    """Checked after the bot has decided what to say: this failure would be one too many."""
    if outcome not in FAILED_OUTCOMES:
        return None
    # "That didn't help" also fails the answer it is about.
    disowned_answer = outcome == "unhelpful" and stats.last_outcome == "answered"
    failures = stats.consecutive_failures + 1 + int(disowned_answer)
    if failures < policy.max_failed_attempts:
        return None
    return Escalation(
        "failed_attempts",
        "bot_failure",
        f"the bot could not help {failures} times in a row",
        {"failures": failures, "limit": policy.max_failed_attempts, "last_outcome": outcome},
    )

"""When the bot steps aside. Deterministic rules, outside any model, configured as data.

The policy is a YAML file (``escalation_rules.yaml`` in this package by default; ``TANDEM_ESCALATION_RULES``
names another). Each entry of ``rules`` is one of the rule models below, checked in file order; the first
that fires wins. A rule is a plain function of what this turn showed (``TurnAnalysis``) and what the
conversation has shown so far (``ConversationStats``), and returns an ``Escalation`` recording the rule,
the trigger, the reason, the evidence and the threshold it crossed. A file with an unknown rule, an unknown
field or an out-of-range value stops the product at start-up (``core.config_file``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tandem.bot.nlu.sentiment import Frustration
from tandem.bot.nlu.signals import SENSITIVE_TOPICS, Signals
from tandem.bot.types import IntentPrediction
from tandem.core.config_file import load_policy_file

DEFAULT_RULES_FILE = Path(__file__).with_name("escalation_rules.yaml")
# Small talk and reactions to the bot: never a topic to look up, clarify or count as a loop.
CONVERSATIONAL_INTENTS = frozenset({"greeting", "thanks", "goodbye", "affirm", "deny", "bot_unhelpful"})
FAILED_OUTCOMES = frozenset({"not_understood", "unhelpful", "failed", "unsupported_language", "empty"})
SENSITIVE_TOPIC_NAMES = tuple(SENSITIVE_TOPICS)
MEMBERSHIP_LEVELS = ("guest", "bronze", "silver", "gold")

REARM_MARGIN = 0.15  # the membership rule's hysteresis, as the frustration rule's default release
Probability = Annotated[float, Field(ge=0.0, le=1.0)]


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
    """Read from the bot's own earlier traces and the ownership notices in this episode."""

    customer_turns: int = 0
    consecutive_failures: int = 0  # bot turns in a row that did not help, before this one
    unsupported_language_turns: int = 0
    recent_intents: tuple[str, ...] = ()  # intents the bot answered outright, newest last; "" breaks a run
    last_state: dict[str, Any] = field(default_factory=dict)
    last_outcome: str | None = None
    membership: str | None = None  # from the CRM, when the customer's identity is verified
    # Frustration since the last sentiment escalation (newest last); None when there was none this episode.
    frustration_since_escalation: tuple[float, ...] | None = None


@dataclass(frozen=True)
class Escalation:
    rule: str
    trigger: str  # a conversation.state.Trigger value
    reason: str
    evidence: dict[str, Any]
    threshold: float | int | None = None

    def as_trace(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "trigger": self.trigger,
            "reason": self.reason,
            "evidence": self.evidence,
            "threshold": self.threshold,
        }


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def check(self, turn: TurnAnalysis, stats: ConversationStats) -> Escalation | None:
        raise NotImplementedError


class ExplicitRequest(_Rule):
    """The customer asks for a person ("talk to an agent", "¿puedo hablar con alguien?")."""

    rule: Literal["explicit_request"]

    def check(self, turn: TurnAnalysis, stats: ConversationStats) -> Escalation | None:
        phrase = turn.signals.human_request
        if phrase is None:
            return None
        return Escalation(
            "explicit_request", "customer_request", "the customer asked for a person", {"phrase": phrase}
        )


class SensitiveTopic(_Rule):
    """Topics that always go to a person, whatever the bot could answer."""

    rule: Literal["sensitive_topic"]
    topics: tuple[Literal[SENSITIVE_TOPIC_NAMES], ...] = SENSITIVE_TOPIC_NAMES  # type: ignore[valid-type]

    def check(self, turn: TurnAnalysis, stats: ConversationStats) -> Escalation | None:
        found = {topic: phrase for topic, phrase in turn.signals.sensitive.items() if topic in self.topics}
        if not found:
            return None
        topic, phrase = next(iter(found.items()))
        return Escalation(
            "sensitive_topic",
            "sensitive_topic",
            f"sensitive topic: {topic.replace('_', ' ')}",
            {"topic": topic, "phrase": phrase, "all": found},
        )


class FrustrationRule(_Rule):
    """Frustration (or its rising trend) at or above the locale's threshold. Hysteresis: once it fired in
    this episode (and an agent handed back or overrode it), it fires again only after frustration fell
    below ``threshold - release`` and rose again, so a customer is not bounced back and forth."""

    rule: Literal["frustration"]
    threshold: Probability = 0.6
    locales: dict[str, Probability] = Field(default_factory=dict)
    release: Probability = 0.15
    use_trend: bool = True

    def threshold_for(self, language: str) -> float:
        return self.locales.get(language, self.threshold)

    def check(self, turn: TurnAnalysis, stats: ConversationStats) -> Escalation | None:
        threshold = self.threshold_for(turn.language)
        score = max(turn.frustration.score, turn.frustration_trend if self.use_trend else 0.0)
        if score < threshold or not self._armed(stats, threshold):
            return None
        return Escalation(
            "frustration",
            "sentiment",
            "the customer is frustrated: " + "; ".join(turn.frustration.reasons or ("rising frustration",)),
            {
                "score": turn.frustration.score,
                "trend": turn.frustration_trend,
                "language": turn.language,
                "reasons": list(turn.frustration.reasons),
            },
            threshold=threshold,
        )

    def _armed(self, stats: ConversationStats, threshold: float) -> bool:
        since = stats.frustration_since_escalation
        return since is None or any(score < threshold - self.release for score in since)


class HumanOnlyIntent(_Rule):
    """Intents the business wants people to handle (complaints, plan changes)."""

    rule: Literal["human_only_intent"]
    intents: tuple[str, ...] = ("complaint",)

    def check(self, turn: TurnAnalysis, stats: ConversationStats) -> Escalation | None:
        intent = turn.intent.intent if turn.intent else None
        if intent is None or intent not in self.intents:
            return None
        assert turn.intent is not None
        return Escalation(
            "human_only_intent",
            "bot_rule",
            f"'{intent}' is handled by people",
            {"intent": intent, "confidence": turn.intent.confidence},
        )


class MembershipRule(_Rule):
    """Members of the listed levels reach a person sooner: at once (``always``), or at a lower frustration
    threshold; their lower failure limit is applied by ``EscalationPolicy.failure_limit``."""

    rule: Literal["membership"]
    levels: tuple[Literal[MEMBERSHIP_LEVELS], ...] = ("gold",)  # type: ignore[valid-type]
    always: bool = False
    frustration_threshold: Probability = 0.4
    max_failed_attempts: int = Field(default=1, ge=1, le=20)

    def applies(self, stats: ConversationStats) -> bool:
        return stats.membership is not None and stats.membership in self.levels

    def check(self, turn: TurnAnalysis, stats: ConversationStats) -> Escalation | None:
        if not self.applies(stats):
            return None
        if self.always:
            return Escalation(
                "membership",
                "bot_rule",
                f"{stats.membership} members are served by people",
                {"membership": stats.membership},
            )
        since = stats.frustration_since_escalation
        rearmed = since is None or any(score < self.frustration_threshold - REARM_MARGIN for score in since)
        if turn.frustration.score < self.frustration_threshold or not rearmed:
            return None
        return Escalation(
            "membership",
            "sentiment",
            f"a {stats.membership} member is frustrated",
            {"membership": stats.membership, "score": turn.frustration.score, "language": turn.language},
            threshold=self.frustration_threshold,
        )


class IntentLoop(_Rule):
    """The customer asked for the same thing again and again: the answers are not landing."""

    rule: Literal["loop"]
    max_same_intent: int = Field(default=3, ge=2, le=20)

    def check(self, turn: TurnAnalysis, stats: ConversationStats) -> Escalation | None:
        intent = turn.intent.intent if turn.intent else None
        if intent is None or intent in CONVERSATIONAL_INTENTS:
            return None
        run = 1
        for previous in reversed(stats.recent_intents):
            if previous != intent:
                break
            run += 1
        if run < self.max_same_intent:
            return None
        return Escalation(
            "loop",
            "bot_failure",
            f"the customer asked about '{intent}' {run} times in a row",
            {"intent": intent, "times": run},
            threshold=self.max_same_intent,
        )


class UnsupportedLanguage(_Rule):
    """A message in a language the bot does not serve, after the first (which gets an English apology)."""

    rule: Literal["unsupported_language"]
    after_turns: int = Field(default=1, ge=0, le=10)

    def check(self, turn: TurnAnalysis, stats: ConversationStats) -> Escalation | None:
        if turn.language_supported or stats.unsupported_language_turns < self.after_turns:
            return None
        return Escalation(
            "unsupported_language",
            "bot_rule",
            f"the customer writes in a language the bot does not serve ({turn.language})",
            {"language": turn.language},
            threshold=self.after_turns,
        )


class FailedAttempts(_Rule):
    """Checked after the bot decided what to say: this failure (out of scope, low confidence, "that didn't
    help") would be one too many."""

    rule: Literal["failed_attempts"]
    max_failures: int = Field(default=3, ge=1, le=20)

    def check(self, turn: TurnAnalysis, stats: ConversationStats) -> Escalation | None:
        return None  # see EscalationPolicy.failed_attempts


RuleConfig = Annotated[
    ExplicitRequest
    | SensitiveTopic
    | FrustrationRule
    | HumanOnlyIntent
    | MembershipRule
    | IntentLoop
    | UnsupportedLanguage
    | FailedAttempts,
    Field(discriminator="rule"),
]
RULE_NAMES = (
    "explicit_request",
    "sensitive_topic",
    "frustration",
    "human_only_intent",
    "membership",
    "loop",
    "unsupported_language",
    "failed_attempts",
)


class EscalationPolicy(BaseModel):
    """The rules in order. ``explicit_request`` is mandatory: a customer can always reach a person."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    rules: tuple[RuleConfig, ...]

    @field_validator("rules")
    @classmethod
    def _sound(cls, rules: tuple[_Rule, ...]) -> tuple[_Rule, ...]:
        names = [rule.rule for rule in rules]  # type: ignore[attr-defined]
        if "explicit_request" not in names:
            raise ValueError("the rule 'explicit_request' is required: customers must always reach a person")
        duplicated = sorted({name for name in names if names.count(name) > 1})
        if duplicated:
            raise ValueError(f"each rule may appear once; repeated: {', '.join(duplicated)}")
        return rules

    def rule(self, name: str) -> Any:
        return next((rule for rule in self.rules if rule.rule == name), None)

    @property
    def human_only_intents(self) -> frozenset[str]:
        found = self.rule("human_only_intent")
        return frozenset(found.intents) if found else frozenset()

    def frustration_threshold(self, language: str) -> float | None:
        found = self.rule("frustration")
        return found.threshold_for(language) if found else None

    def failure_limit(self, stats: ConversationStats) -> int | None:
        limits = []
        if (failed := self.rule("failed_attempts")) is not None:
            limits.append(failed.max_failures)
        if (member := self.rule("membership")) is not None and member.applies(stats):
            limits.append(member.max_failed_attempts)
        return min(limits) if limits else None

    def decide(self, turn: TurnAnalysis, stats: ConversationStats) -> Escalation | None:
        for rule in self.rules:
            if (found := rule.check(turn, stats)) is not None:
                return found
        return None

    def failed_attempts(self, outcome: str, stats: ConversationStats) -> Escalation | None:
        limit = self.failure_limit(stats)
        if limit is None or outcome not in FAILED_OUTCOMES:
            return None
        # "That didn't help" also fails the answer it is about.
        disowned_answer = outcome == "unhelpful" and stats.last_outcome == "answered"
        failures = stats.consecutive_failures + 1 + int(disowned_answer)
        if failures < limit:
            return None
        return Escalation(
            "failed_attempts",
            "bot_failure",
            f"the bot could not help {failures} times in a row",
            {"failures": failures, "last_outcome": outcome, "membership": stats.membership},
            threshold=limit,
        )


def load_policy(path: Path | None = None) -> EscalationPolicy:
    """The policy in ``path``, or the packaged default; ``PolicyFileError`` names file, line and values."""
    if path is None:
        return default_policy()
    return load_policy_file(path, EscalationPolicy)


@lru_cache(maxsize=1)
def default_policy() -> EscalationPolicy:
    return load_policy_file(DEFAULT_RULES_FILE, EscalationPolicy)

"""Routing configuration as data (``routing.yaml``), validated at start-up like the escalation rules."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tandem.core.config_file import load_policy_file
from tandem.routing.engine import ANY, RoutingPolicy

DEFAULT_ROUTING_FILE = Path(__file__).with_name("routing.yaml")
FALLBACK_QUEUE = "general"
TRIGGERS = (
    "customer_request",
    "bot_rule",
    "bot_failure",
    "sentiment",
    "sensitive_topic",
    "agent",
    "supervisor",
    "customer",
    "system",
    "timeout",
)
MembershipLevel = Literal["guest", "bronze", "silver", "gold"]
Seconds = Annotated[float, Field(gt=0, le=86_400)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QueueConfig(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    tier: int = Field(default=1, ge=1, le=3)  # 3: supervisors
    skill: str | None = Field(default=None, max_length=40)
    language: str | None = Field(default=None, pattern=r"^[a-z]{2}$")
    fallback: bool = False

    def matches(self, *, tier: int, skill: str | None, language: str | None) -> bool:
        return (
            self.tier == tier
            and (self.skill is None or self.skill == skill)
            and (self.language is None or self.language == language)
        )


class PriorityConfig(_Strict):
    frustrated: int = Field(default=2, ge=0, le=10)
    sensitive_topic: int = Field(default=2, ge=0, le=10)
    membership: dict[MembershipLevel, Annotated[int, Field(ge=0, le=10)]] = Field(
        default_factory=lambda: {"gold": 2, "silver": 1}  # type: ignore[arg-type]
    )
    tier2: int = Field(default=1, ge=0, le=10)
    returned: int = Field(default=2, ge=0, le=10)  # the agent who had it lost their connection
    aging_seconds: Seconds = 120


class EscalationReason(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    label: str = Field(min_length=3, max_length=120)


class SlaConfig(_Strict):
    first_response_seconds: Seconds = 120
    next_response_seconds: Seconds = 180


class RoutingConfig(_Strict):
    version: Literal[1] = 1
    queues: tuple[QueueConfig, ...] = ()
    skills: dict[str, tuple[str, ...]] = Field(default_factory=dict)  # skill -> the intents it covers
    tier2_triggers: tuple[Literal[TRIGGERS], ...] = ("sensitive_topic",)  # type: ignore[valid-type]
    priority: PriorityConfig = Field(default_factory=PriorityConfig)
    overflow_seconds: Seconds | None = 300
    offer_timeout_seconds: Seconds = 30
    abandon_after_seconds: Seconds | None = 180  # chat closed this long while waiting: left the queue
    # an agent without a live console this long gives their open conversations back to the queue
    requeue_after_disconnect_seconds: Seconds | None = 300
    auto_accept: bool = False
    default_capacity: int = Field(default=3, ge=1, le=50)
    average_handle_seconds: Seconds = 300
    sla: SlaConfig = Field(default_factory=SlaConfig)
    escalation_reasons: tuple[EscalationReason, ...] = ()

    @model_validator(mode="after")
    def _sound(self) -> RoutingConfig:
        names = [queue.name for queue in self.queues]
        duplicated = sorted({name for name in names if names.count(name) > 1})
        if duplicated:
            raise ValueError(f"queue names must be unique; repeated: {', '.join(duplicated)}")
        if sum(queue.fallback for queue in self.queues) > 1:
            raise ValueError("only one queue may be the fallback")
        unknown = sorted(
            {q.skill for q in self.queues if q.skill and self.skills and q.skill not in self.skills}
        )
        if unknown:
            raise ValueError(
                f"queues name skills that 'skills' does not define: {', '.join(unknown)}; "
                f"defined: {', '.join(sorted(self.skills))}"
            )
        return self

    @property
    def fallback(self) -> QueueConfig:
        """The configured fallback, or a built-in one: a handoff never fails for lack of a queue."""
        return next((queue for queue in self.queues if queue.fallback), QueueConfig(name=FALLBACK_QUEUE))

    def skill_of(self, intent: str | None) -> str | None:
        if intent is None:
            return None
        return next((skill for skill, intents in self.skills.items() if intent in intents), None)

    def queue(self, name: str) -> QueueConfig:
        return next((queue for queue in self.queues if queue.name == name), self.fallback)

    def choose_queue(self, *, tier: int, skill: str | None, language: str | None) -> QueueConfig:
        for queue in self.queues:
            if not queue.fallback and queue.matches(tier=tier, skill=skill, language=language):
                return queue
        return self.fallback

    def requirements(self, queue: QueueConfig, *, tier: int, language: str | None) -> tuple[int, str, str]:
        """What an agent needs to take a conversation of ``queue``: its tier, its skill, and the customer's
        language (every queue needs someone who can read the customer)."""
        return max(tier, queue.tier), queue.skill or ANY, language or ANY

    def engine_policy(self) -> RoutingPolicy:
        return RoutingPolicy(
            aging_seconds=self.priority.aging_seconds, overflow_seconds=self.overflow_seconds
        )


def load_routing_config(path: Path | None = None) -> RoutingConfig:
    if path is None:
        return default_routing_config()
    return load_policy_file(path, RoutingConfig)


@lru_cache(maxsize=1)
def default_routing_config() -> RoutingConfig:
    return load_policy_file(DEFAULT_ROUTING_FILE, RoutingConfig)

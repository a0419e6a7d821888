from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tandem.core.text import EMAIL_PATTERN, CleanStr, IdInt

Skill = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
Language = Annotated[str, Field(pattern=r"^[a-z]{2}$")]


class Presence(StrEnum):
    ONLINE = "online"
    AWAY = "away"  # signed in, takes no new conversations
    OFFLINE = "offline"


class AgentProfileIn(BaseModel):
    tier: int = Field(default=1, ge=1, le=3, description="1: routine, 2: complex cases, 3: supervisor.")
    skills: list[Skill] = Field(default_factory=list, max_length=30, description="Empty: takes any topic.")
    languages: list[Language] = Field(default_factory=list, max_length=20, description="Empty: any language.")
    capacity: int = Field(default=3, ge=1, le=50, description="Conversations at the same time.")


class PresenceIn(BaseModel):
    presence: Presence


class AgentOut(BaseModel):
    staff_id: int
    name: str
    role: str
    tier: int
    skills: list[str]
    languages: list[str]
    capacity: int
    presence: Presence = Field(
        description="What routing uses: the chosen presence, or offline once every console tab of the agent "
        "has been closed for the grace period."
    )
    chosen_presence: Presence = Field(
        description="What the agent chose; back in force when a tab reconnects."
    )
    load: int = Field(description="Open conversations plus pending offers.")
    presence_changed_at: datetime | None
    last_assigned_at: datetime | None
    follows_connections: bool = Field(
        default=False,
        description="Presence follows the agent's live console connections (false for an API client that "
        "never opened one: its presence is as set).",
    )
    connected: bool = Field(default=False, description="A console tab is open (as of the last check).")
    last_seen_at: datetime | None = Field(default=None, description="When a console tab was last known open.")
    connection_lost: bool = Field(
        default=False, description="Offline only because every console tab closed (not by choice)."
    )


class QueueOut(BaseModel):
    name: str
    tier: int
    skill: str | None
    language: str | None
    fallback: bool
    waiting: int
    offered: int
    oldest_wait_seconds: float | None
    agents_online: int


class QueueStatus(BaseModel):
    conversation_id: int
    state: str
    queue: str | None = None
    position: int | None = None
    expected_wait_seconds: float | None = Field(
        default=None, description="None while nobody who could take it is online."
    )
    agents_online: int = 0
    enqueued_at: datetime | None = None
    follow_up_email: str | None = None


class OfferOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    conversation_id: int
    queue: str
    priority: int
    enqueued_at: datetime
    offered_at: datetime | None
    offer_expires_at: datetime | None


class TransferIn(BaseModel):
    """Give the conversation to a colleague (``staff_id``) or send it to a queue (``queue``)."""

    staff_id: IdInt | None = None
    queue: CleanStr | None = Field(default=None, max_length=40)
    note: CleanStr | None = Field(default=None, max_length=2000, description="For the next person; private.")

    @model_validator(mode="after")
    def _one_target(self) -> TransferIn:
        if (self.staff_id is None) == (self.queue is None):
            raise ValueError("give exactly one of staff_id (a colleague) or queue")
        return self


class EscalateIn(BaseModel):
    to: Literal["tier2", "supervisor"]
    reason: CleanStr = Field(min_length=3, max_length=500)
    note: CleanStr | None = Field(default=None, max_length=2000)


class OverrideIn(BaseModel):
    reason: CleanStr = Field(min_length=3, max_length=500, description="Why a person was not needed.")
    hand_back: bool = Field(default=True, description="Return the conversation to the bot.")


class FollowUpIn(BaseModel):
    email: CleanStr = Field(max_length=320, pattern=EMAIL_PATTERN)


class PacketOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    conversation_id: int
    episode: int
    trigger: str | None
    rule: str | None
    packet: dict[str, Any]
    created_at: datetime


class DispatchReport(BaseModel):
    offered: int = 0
    assigned: int = 0
    expired: int = 0
    closed: int = 0
    recovered: int = 0  # waiting conversations that had no queue entry (a lost job) put back in a queue


class SlaItem(BaseModel):
    conversation_id: int
    kind: Literal["first_response", "next_response"]
    started_at: datetime
    due_at: datetime
    seconds_left: float
    breached: bool
    assignee_id: int | None


class CalibrationRow(BaseModel):
    locale: str
    threshold: float | None
    sentiment_escalations: int
    overrides: int
    override_rate: float | None
    overridden_score_median: float | None
    suggested_threshold: float | None
    advice: str


class ReasonIn(BaseModel):
    code: CleanStr = Field(max_length=40, description="One of GET /api/v1/routing/escalation-reasons.")


class IntentCorrectionIn(BaseModel):
    """The intent the customer really came with, when the handoff summary got it wrong (training data)."""

    intent: CleanStr = Field(
        max_length=80, pattern=r"^[a-z0-9_]+$", description="A new intent name is allowed."
    )
    note: CleanStr | None = Field(default=None, max_length=1000)


class ReasonOut(BaseModel):
    code: str
    label: str

"""Shapes of the learning loop as the API shows them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class DraftProposal(BaseModel):
    title: str
    body: str
    intents: list[str]


class GapOut(BaseModel):
    name: str = Field(description="The topic, by its most telling phrases")
    phrases: list[str]
    volume: int = Field(description="Questions in the window")
    previous_volume: int = Field(description="Questions on this topic in the window before")
    trend: str = Field(description="new, rising, falling or steady")
    escalated: int
    unanswered: int
    proposal: str = Field(description="article (the bot knew the intent) or intent (it did not)")
    intent: str | None
    examples: list[str]
    draft: DraftProposal = Field(description="POST it to /api/v1/kb/drafts to start the article")


class ModelVersionOut(BaseModel):
    version: int
    status: str = Field(description="champion (serving), retired or rejected")
    backend: str
    fingerprint: str = Field(description="Of the training data")
    trigger: str
    examples: int
    feedback_examples: int
    reason: str
    metrics: dict[str, Any]
    created_at: str
    promoted_at: str | None
    contributors: list[int]


class RunStatus(BaseModel):
    state: str = Field(description="idle, queued, running, done or failed")
    stage: str | None = None
    done: int = 0
    total: int = 0
    started_at: str | None = None
    finished_at: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None


class Contributor(BaseModel):
    staff_id: int
    name: str | None
    corrections: int = Field(description="Their corrections the bot may learn from")
    promoted_models: int = Field(description="Promoted models that learned from them")


class ExampleOut(BaseModel):
    id: int
    kind: str = Field(description="intent, article, escalation_reason, reply, satisfaction or sentiment")
    text: str = Field(description="The customer's words")
    label: str
    target: str | None = Field(description="What was sent, or the score, when the kind has one")
    conversation_id: int | None
    staff_id: int | None = Field(description="Who gave the feedback")
    locale: str | None
    consent: bool = Field(description="May train the bot (the customer's choice, else the default)")
    active: bool
    review: str | None = Field(description="None (learned as given), held, approved or rejected")
    created_at: str


class ReviewIn(BaseModel):
    decision: Literal["approve", "reject"]
    note: str | None = Field(default=None, max_length=500)


class FeedbackSummary(BaseModel):
    kinds: dict[str, int] = Field(description="Labelled examples per kind")
    held_for_review: int

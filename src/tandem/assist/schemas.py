from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from tandem.core.text import CleanStr


class SuggestionOut(BaseModel):
    id: str
    kind: str = Field(description="handoff, past_reply or article")
    text: str
    source: str
    score: float


class ArticleRef(BaseModel):
    slug: str
    locale: str
    title: str
    score: float


class AssistOut(BaseModel):
    suggestions: list[SuggestionOut]
    articles: list[ArticleRef]
    next_best_action: str | None
    coaching_tip: str | None


class FeedbackAction(StrEnum):
    ACCEPTED = "accepted"  # sent as suggested
    EDITED = "edited"  # sent after changes
    REJECTED = "rejected"  # dismissed


class FeedbackIn(BaseModel):
    suggestion_id: CleanStr = Field(min_length=1, max_length=64)
    kind: CleanStr = Field(pattern=r"^(handoff|past_reply|article)$")
    action: FeedbackAction
    suggested_text: CleanStr = Field(min_length=1, max_length=10_000)
    final_text: CleanStr | None = Field(default=None, max_length=10_000)
    rank: int = Field(default=0, ge=0, le=50)


class MoodOut(BaseModel):
    score: float = Field(description="0 calm … 1 furious, over the customer's latest messages")
    label: str = Field(description="calm, upset or angry")
    direction: str = Field(description="rising, falling or steady")


class WorkItem(BaseModel):
    conversation_id: int
    assignee_id: int | None
    customer_name: str | None
    locale: str
    subject: str | None
    state: str
    tier: int
    queue: str | None
    priority: int
    waiting_seconds: float | None = Field(description="In the queue for this long (waiting conversations)")
    awaiting_reply_seconds: float | None = Field(
        description="The customer's last message has had no reply for this long"
    )
    last_message: str | None
    mood: MoodOut
    tags: list[str]


class Worklist(BaseModel):
    mine: list[WorkItem] = Field(
        description="Assigned to me (with scope=floor: to anyone), the longest unanswered first"
    )
    waiting: list[WorkItem] = Field(description="In the queues, highest priority then longest wait first")

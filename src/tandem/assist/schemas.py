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

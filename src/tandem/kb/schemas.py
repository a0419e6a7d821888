"""Shapes of knowledge articles as other domains and the API see them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from tandem.core.text import CleanStr, IdInt


class ArticleIn(BaseModel):
    slug: str = Field(min_length=1, max_length=120, pattern=r"^[a-z0-9][a-z0-9-]*$")
    locale: str = Field(default="en", pattern=r"^[a-z]{2}(-[A-Za-z]{2})?$")
    title: CleanStr = Field(min_length=1, max_length=300)
    body: CleanStr = Field(min_length=1, max_length=20_000)
    tags: list[Annotated[CleanStr, Field(max_length=60)]] = Field(default_factory=list, max_length=30)
    intents: list[Annotated[CleanStr, Field(max_length=80)]] = Field(default_factory=list, max_length=10)


class ArticleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    slug: str
    locale: str
    title: str
    body: str
    tags: list[str]
    intents: list[str]
    status: str
    updated_at: datetime | None = None


class DraftIn(BaseModel):
    """A new article (no ``edit_of``) or a new version of the article ``edit_of``, from a conversation."""

    edit_of: str | None = Field(default=None, max_length=120, description="Slug of the article to edit")
    slug: str | None = Field(
        default=None,
        max_length=120,
        pattern=r"^[a-z0-9][a-z0-9-]*$",
        description="For a new article; made from the title when left out",
    )
    locale: str = Field(default="en", pattern=r"^[a-z]{2}(-[A-Za-z]{2})?$")
    title: CleanStr = Field(min_length=3, max_length=300)
    body: CleanStr = Field(min_length=20, max_length=20_000)
    tags: list[CleanStr] = Field(default_factory=list, max_length=30)
    intents: list[CleanStr] = Field(default_factory=list, max_length=10)
    conversation_id: IdInt | None = Field(default=None, description="The conversation it comes from")
    note: CleanStr | None = Field(default=None, max_length=500, description="Why, for the reviewer")


class ReviewIn(BaseModel):
    note: CleanStr | None = Field(default=None, max_length=500)


class VersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    slug: str
    locale: str
    is_edit: bool
    title: str
    body: str
    tags: list[str]
    intents: list[str]
    status: str
    author_id: int | None
    source_conversation_id: int | None
    note: str | None
    reviewer_id: int | None
    review_note: str | None
    reviewed_at: datetime | None
    created_at: datetime


class ImportReport(BaseModel):
    created: list[str] = Field(description="slug/locale of new articles")
    updated: list[str] = Field(description="slug/locale of articles whose content changed")
    unchanged: int

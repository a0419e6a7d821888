"""Shapes of knowledge articles as other domains and the API see them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ArticleIn(BaseModel):
    slug: str = Field(min_length=1, max_length=120, pattern=r"^[a-z0-9][a-z0-9-]*$")
    locale: str = Field(default="en", min_length=2, max_length=16)
    title: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1, max_length=20_000)
    tags: list[str] = Field(default_factory=list, max_length=30)
    intents: list[str] = Field(default_factory=list, max_length=10)


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

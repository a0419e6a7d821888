"""Facts about conversations, delivered after commit to subscribers wired in ``tandem.bootstrap``."""

from __future__ import annotations

from dataclasses import dataclass

from tandem.core.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class ConversationStarted(DomainEvent):
    conversation_id: int
    channel: str
    locale: str


@dataclass(frozen=True, kw_only=True)
class MessagePosted(DomainEvent):
    conversation_id: int
    message_id: int
    seq: int
    author_kind: str
    private: bool


@dataclass(frozen=True, kw_only=True)
class OwnershipChanged(DomainEvent):
    conversation_id: int
    from_state: str
    to_state: str
    transition: str
    trigger: str
    reason: str | None


@dataclass(frozen=True, kw_only=True)
class ConversationRated(DomainEvent):
    conversation_id: int
    csat: int | None
    nps: int | None

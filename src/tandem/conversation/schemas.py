from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tandem.conversation.state import Owner, Transition, Trigger
from tandem.core.text import CleanStr, IdInt
from tandem.customers.schemas import IdentityClaims


class Channel(StrEnum):
    WEB = "web"
    EMAIL = "email"
    SMS = "sms"
    WHATSAPP = "whatsapp"
    VOICE = "voice"
    SOCIAL = "social"
    API = "api"


class AuthorKind(StrEnum):
    CUSTOMER = "customer"
    BOT = "bot"
    AGENT = "agent"
    SYSTEM = "system"


LOCALE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$"
CLIENT_ID_PATTERN = r"^[A-Za-z0-9._:\-]{1,100}$"


class ConversationCreate(BaseModel):
    """Starting a conversation. ``first_message`` saves a round trip for the widget."""

    channel: Channel = Channel.WEB
    locale: CleanStr = Field(default="en", pattern=LOCALE_PATTERN)
    subject: CleanStr | None = Field(default=None, max_length=300)
    customer: IdentityClaims = Field(default_factory=IdentityClaims)
    identity_signature: CleanStr | None = Field(
        default=None,
        max_length=128,
        description="HMAC-SHA256 of the e-mail or external id, from your server.",
    )
    widget_token: CleanStr | None = Field(default=None, max_length=100)
    first_message: MessageCreate | None = None


class MessageCreate(BaseModel):
    # Length is checked by the service so that an oversized message gets 413, not a generic 422.
    body: CleanStr = Field(description="The message text, up to 10,000 characters.")
    client_message_id: CleanStr | None = Field(
        default=None,
        pattern=CLIENT_ID_PATTERN,
        description="Your id for this message; retries with it are safe.",
    )
    private: bool = Field(default=False, description="Staff only: a note customers never see.")

    @field_validator("body")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the message is empty")
        return value


class HandoffRequest(BaseModel):
    reason: CleanStr | None = Field(default=None, max_length=500)


class CloseRequest(BaseModel):
    reason: CleanStr | None = Field(default=None, max_length=500)
    abandoned: bool = Field(default=False, description="The customer left without an answer.")


class ReopenRequest(BaseModel):
    reason: CleanStr | None = Field(default=None, max_length=500)


class HandBackRequest(BaseModel):
    reason: CleanStr | None = Field(default=None, max_length=500)


class AssignRequest(BaseModel):
    staff_id: IdInt | None = Field(default=None, description="Defaults to the caller (take over).")
    reason: CleanStr | None = Field(default=None, max_length=500)


class RatingCreate(BaseModel):
    csat: int | None = Field(default=None, ge=1, le=5, description="1 (very unhappy) to 5 (very happy).")
    nps: int | None = Field(default=None, ge=0, le=10, description="How likely to recommend us, 0-10.")
    comment: CleanStr | None = Field(default=None, max_length=2000)

    def is_empty(self) -> bool:
        return self.csat is None and self.nps is None and not self.comment


class BotFailureIn(BaseModel):
    """An agent marks a bot reply as wrong and says what would have been right (training data)."""

    correct_intent: CleanStr | None = Field(default=None, max_length=80, pattern=r"^[a-z0-9_]+$")
    correct_article: CleanStr | None = Field(default=None, max_length=120, description="The article's slug.")
    note: CleanStr | None = Field(default=None, max_length=1000)


class TagsUpdate(BaseModel):
    add: list[CleanStr] = Field(default_factory=list, max_length=20)
    remove: list[CleanStr] = Field(default_factory=list, max_length=20)

    @field_validator("add", "remove")
    @classmethod
    def _tag_shape(cls, values: list[str]) -> list[str]:
        cleaned = []
        for value in values:
            tag = value.strip().lower()
            if not tag or len(tag) > 60:
                raise ValueError("tags are 1-60 characters")
            cleaned.append(tag)
        return cleaned


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    conversation_id: int
    seq: int
    episode: int
    author_kind: AuthorKind
    author_id: int | None
    author_name: str | None = None
    body: str
    private: bool
    client_message_id: str | None
    meta: dict[str, Any]
    created_at: datetime


class ConversationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    customer_id: int
    channel: Channel
    locale: str
    subject: str | None
    state: Owner
    tier: int
    episode: int
    last_seq: int
    assignee_id: int | None
    priority: int
    created_at: datetime
    updated_at: datetime
    state_changed_at: datetime
    resolved_at: datetime | None
    follow_up_email: str | None = Field(
        default=None,
        description="Where the customer asked to be answered by e-mail when they are not in the chat; a "
        "person's public replies are sent there while the customer's chat is closed.",
    )
    tags: list[str] = Field(default_factory=list)
    allowed_transitions: list[Transition] = Field(default_factory=list)


class ConversationStarted(BaseModel):
    conversation: ConversationOut
    access_token: str = Field(description="Bearer token for this conversation only. Shown once.")
    widget_token: str | None = Field(
        default=None, description="Send it back when this visitor starts another conversation."
    )
    messages: list[MessageOut] = Field(default_factory=list)


class PostedMessage(BaseModel):
    message: MessageOut
    created: bool = Field(description="False when this client_message_id was already stored.")


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    type: str
    from_state: Owner | None
    to_state: Owner | None
    trigger: Trigger | str | None
    reason: str | None
    actor_kind: str
    actor_id: int | None
    data: dict[str, Any]
    created_at: datetime


class OutcomeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    conversation_id: int
    resolved_by: str | None = Field(description="bot, human or abandoned; null while open.")
    resolved_by_staff_id: int | None
    human_involved: bool
    escalated: bool
    escalation_trigger: str | None
    escalation_reason: str | None
    escalated_at: datetime | None
    first_human_at: datetime | None
    resolved_at: datetime | None
    reopen_count: int
    waited_seconds: float | None = Field(default=None, description="Time spent waiting for a person, in all.")
    csat: int | None
    nps: int | None
    rating_comment: str | None = None


class ConversationPage(BaseModel):
    items: list[ConversationOut]
    next_cursor: int | None


ConversationCreate.model_rebuild()


class WidgetConfig(BaseModel):
    """What the chat widget shows before the visitor writes anything."""

    locale: str
    greeting: str = Field(description="The assistant's first words, in the visitor's language.")
    max_message_chars: int = Field(description="Longer messages are refused (413); the widget counts down.")

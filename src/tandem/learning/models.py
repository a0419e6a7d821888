"""The learning loop's tables: labelled examples from agents' feedback, and the model registry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tandem.core.db import Base, BigId, JsonType, UTCDateTime


class TrainingExample(Base):
    """One customer message with what a person said about it (its intent, the right article, why it
    needed a person, how a suggested reply was judged...), and where that came from."""

    __tablename__ = "learning_examples"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(30), index=True)  # what the label is: see learning.feedback
    source: Mapped[str] = mapped_column(String(80), unique=True)  # e.g. event:123 — collecting twice is safe
    event_id: Mapped[int | None] = mapped_column(BigId, index=True)  # the conversation event it came from
    conversation_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("conversations.id", ondelete="SET NULL"), index=True
    )
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    locale: Mapped[str | None] = mapped_column(String(16))
    consent: Mapped[bool] = mapped_column(Boolean)  # the customer's consent to train on their words
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # an admin can exclude a bad label
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    target: Mapped[str | None] = mapped_column(Text)  # the reply an agent sent, the article they meant
    # None: learned as given | held: implausible to the serving model, waits for a person | approved | rejected
    review: Mapped[str | None] = mapped_column(String(12), index=True)
    reviewed_by: Mapped[int | None] = mapped_column(Integer)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FeedbackCursor(Base):
    """How far each feedback source has been read (conversation events, suggestion verdicts, overrides):
    collecting resumes there, and sources that yield no example never stall it."""

    __tablename__ = "learning_cursors"

    source: Mapped[str] = mapped_column(String(30), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger)


class ModelVersion(Base):
    """A trained intent model: its file, data fingerprint, metrics, and whether it serves (champion)."""

    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # the version number
    backend: Mapped[str] = mapped_column(String(20))
    fingerprint: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(12), index=True)  # champion | retired | rejected
    trigger: Mapped[str] = mapped_column(String(40))  # baseline | manual | schedule | feedback | rollback
    examples: Mapped[int] = mapped_column(Integer)
    feedback_examples: Mapped[int] = mapped_column(Integer)
    metrics: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    reason: Mapped[str] = mapped_column(String(500))
    contributors: Mapped[list[int]] = mapped_column(JsonType, default=list)  # staff whose labels it learned
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

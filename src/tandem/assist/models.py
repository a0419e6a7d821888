"""What agents did with the assistant's suggestions: the signal the assist engine learns from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tandem.core.db import Base, BigId, UTCDateTime


class SuggestionFeedback(Base):
    __tablename__ = "assist_feedback"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    suggestion_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))  # handoff | article | past_reply
    action: Mapped[str] = mapped_column(String(10))  # accepted | edited | rejected
    customer_text: Mapped[str | None] = mapped_column(Text)
    suggested_text: Mapped[str] = mapped_column(Text)
    final_text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    rank: Mapped[int] = mapped_column(Integer, default=0)

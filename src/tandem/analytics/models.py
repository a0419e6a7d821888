"""Analytics tables: one record per conversation (what the metrics read), the hourly and daily rollups
of those records (what the dashboard reads), and the refresh job's cursor."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from tandem.analytics.schemas import NO_INTENT, NO_TEAM
from tandem.core.db import Base, JsonType, UTCDateTime


class ContactRecord(Base):
    """A conversation as the metrics see it (``analytics.metrics.Contact``): its outcome plus the times
    read from its event log and messages. No text, only ids, codes and times. Rebuilt whenever the
    conversation logs an event; no foreign key, so the refresh never waits on the live tables' locks."""

    __tablename__ = "analytics_contacts"
    __table_args__ = (Index("ix_analytics_contacts_customer_started", "customer_id", "started_at"),)

    conversation_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    customer_id: Mapped[int] = mapped_column(BigInteger)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    locale: Mapped[str] = mapped_column(String(16))
    intent: Mapped[str] = mapped_column(String(80), default=NO_INTENT)
    team: Mapped[str] = mapped_column(String(40), default=NO_TEAM)  # the routing queue that had it last
    resolved_by: Mapped[str | None] = mapped_column(String(20))
    abandoned_in: Mapped[str | None] = mapped_column(String(10))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    human_involved: Mapped[bool] = mapped_column(Boolean, default=False)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    escalation_trigger: Mapped[str | None] = mapped_column(String(40))
    escalation_reason: Mapped[str | None] = mapped_column(String(60))  # the code an agent tagged
    first_signal_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_human_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    handle_seconds: Mapped[float | None] = mapped_column(Float)
    csat: Mapped[int | None] = mapped_column(SmallInteger)
    nps: Mapped[int | None] = mapped_column(SmallInteger)
    assisted: Mapped[bool] = mapped_column(Boolean, default=False)
    next_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Rollup(Base):
    """The tally (``analytics.metrics.Tally``) of the conversations started in one hour or one day, per
    channel, locale, intent and team. A 30-day dashboard adds up at most a few thousand of these."""

    __tablename__ = "analytics_rollups"
    __table_args__ = (Index("ix_analytics_rollups_grain_bucket", "grain", "bucket"),)

    grain: Mapped[str] = mapped_column(String(5), primary_key=True)  # hour | day
    bucket: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    locale: Mapped[str] = mapped_column(String(16), primary_key=True)
    intent: Mapped[str] = mapped_column(String(80), primary_key=True)
    team: Mapped[str] = mapped_column(String(40), primary_key=True)
    conversations: Mapped[int] = mapped_column(BigInteger)
    tally: Mapped[list[float]] = mapped_column(JsonType)  # analytics.metrics.Tally.to_vector()
    # escalations by the reason agents tagged; NULL for the many rows without escalations
    reasons: Mapped[dict[str, int] | None] = mapped_column(JsonType)


class RefreshCursor(Base):
    """How far the refresh job has read the conversation event log; committed with each batch it rolls
    up, so a refresh that fails resumes from its last finished batch."""

    __tablename__ = "analytics_cursors"

    name: Mapped[str] = mapped_column(String(30), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

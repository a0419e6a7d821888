"""Routing state: agents' routing profiles, queue entries, handoff packets, overrides and SLA breaches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tandem.core.db import Base, BigId, JsonType, UTCDateTime


class AgentProfile(Base):
    """How routing sees a staff member: tier, skills, languages, capacity and presence."""

    __tablename__ = "routing_agents"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True)
    tier: Mapped[int] = mapped_column(SmallInteger, default=1)
    skills: Mapped[list[str]] = mapped_column(JsonType, default=list)
    languages: Mapped[list[str]] = mapped_column(JsonType, default=list)
    capacity: Mapped[int] = mapped_column(SmallInteger, default=3)
    # What routing uses (online | away | offline): the chosen presence, or offline once every console tab
    # has been closed for the grace period (routing/presence.py writes it, and nothing else decides it).
    presence: Mapped[str] = mapped_column(String(10), default="offline")
    presence_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    chosen_presence: Mapped[str | None] = mapped_column(String(10))  # None: as ``presence``
    follows_connections: Mapped[bool] = mapped_column(Boolean, default=False)  # has used the live console
    connected: Mapped[bool] = mapped_column(Boolean, default=False)  # a console tab open, at the last check
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # a tab last known open

    @property
    def chosen(self) -> str:
        """The presence the agent chose (it returns when a console tab connects again)."""
        return self.chosen_presence or self.presence

    @property
    def reachable(self) -> bool:
        """Someone would see an offer now: a console tab is open, or presence does not follow tabs."""
        return not self.follows_connections or self.connected

    @property
    def connection_lost(self) -> bool:
        """Offline only because every console tab closed, not by choice."""
        return (
            self.follows_connections
            and not self.connected
            and self.presence == "offline"
            and self.chosen != "offline"
        )

    last_assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class QueueEntry(Base):
    """One wait of one conversation for a person. Open while ``status`` is waiting or offered."""

    __tablename__ = "routing_entries"
    __table_args__ = (Index("ix_routing_entries_status_queue", "status", "queue"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    episode: Mapped[int] = mapped_column(Integer)
    queue: Mapped[str] = mapped_column(String(40))
    tier: Mapped[int] = mapped_column(SmallInteger)
    skill: Mapped[str] = mapped_column(String(40))  # "" = any
    language: Mapped[str] = mapped_column(String(16))  # "" = any
    priority: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[str] = mapped_column(String(12))  # waiting | offered | assigned | abandoned | removed
    trigger: Mapped[str | None] = mapped_column(String(40))
    enqueued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    offered_to: Mapped[int | None] = mapped_column(Integer)
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    excluded: Mapped[list[int]] = mapped_column(JsonType, default=list)  # agents who let it lapse or declined
    customer_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # chat open while waiting
    customer_away_since: Mapped[datetime | None] = mapped_column(UTCDateTime())  # chat closed since
    assigned_to: Mapped[int | None] = mapped_column(Integer)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class HandoffPacket(Base):
    """What the person taking over reads first. A transfer adds a new packet that carries the earlier one."""

    __tablename__ = "handoff_packets"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    episode: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(80), unique=True)  # what it was built for; makes retries safe
    trigger: Mapped[str | None] = mapped_column(String(40))
    rule: Mapped[str | None] = mapped_column(String(40))
    packet: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EscalationOverride(Base):
    """An agent's verdict that a sentiment escalation was not needed: training data and calibration."""

    __tablename__ = "escalation_overrides"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    episode: Mapped[int] = mapped_column(Integer)
    event_id: Mapped[int] = mapped_column(BigInteger, unique=True)  # the escalation it overrides, once
    rule: Mapped[str | None] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(16))
    score: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float | None] = mapped_column(Float)
    customer_text: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(500))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class SlaBreach(Base):
    __tablename__ = "sla_breaches"
    __table_args__ = (
        UniqueConstraint(
            "conversation_id", "kind", "started_at", name="uq_sla_breaches_conversation_kind_start"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # first_response | next_response
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    breached_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    assignee_id: Mapped[int | None] = mapped_column(Integer)

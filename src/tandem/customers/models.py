from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from tandem.core.db import Base, UTCDateTime


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(16))
    # Keeps a returning widget visitor on one record without trusting any claimed e-mail (see service).
    widget_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    training_consent: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CustomerIdentity(Base):
    """One way of recognising a customer: an e-mail, a phone number, or an id in another system.

    A verified identity (asserted by staff, an API integration or an HMAC-signed widget) is unique; an
    unverified claim is only a hint and may appear on several customers.
    """

    __tablename__ = "customer_identities"
    __table_args__ = (
        Index(
            "uq_customer_identities_verified",
            "kind",
            "value",
            unique=True,
            sqlite_where=text("verified = 1"),
            postgresql_where=text("verified"),
        ),
        Index("ix_customer_identities_kind_value", "kind", "value"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(320))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

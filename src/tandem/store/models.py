"""Tables of the built-in demo store, "Loom & Lantern".

Every table is prefixed ``store_`` so the demo backend can live in Tandem's own database without
colliding with Tandem's tables. Relationships raise on lazy load: callers say what they need.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, Numeric, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tandem.core.db import Base

MONEY = Numeric(10, 2)


class StoreAccount(Base):
    __tablename__ = "store_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_code: Mapped[str] = mapped_column(String(16), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    username: Mapped[str] = mapped_column(String(60), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    # Digits only, so "+1 (555) 0134" and "+1-555-0134" find the same account with an index.
    phone_digits: Mapped[str | None] = mapped_column(String(32), index=True)
    membership: Mapped[str] = mapped_column(String(8), default="guest")  # guest|bronze|silver|gold
    premium_subscription: Mapped[bool] = mapped_column(Boolean, default=False)
    premium_renews_on: Mapped[date | None] = mapped_column(Date)
    customer_since: Mapped[date] = mapped_column(Date)
    street: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    postcode: Mapped[str] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    store_credit: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))

    orders: Mapped[list[StoreOrder]] = relationship(back_populates="account", lazy="raise")

    @property
    def address_line(self) -> str:
        return f"{self.street}, {self.postcode} {self.city}, {self.country}"


class StoreProduct(Base):
    __tablename__ = "store_products"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(40), index=True)
    colour: Mapped[str] = mapped_column(String(40))
    size_range: Mapped[str] = mapped_column(String(40))
    price: Mapped[Decimal] = mapped_column(MONEY)
    stock: Mapped[int] = mapped_column(Integer, default=0)


class StoreOrder(Base):
    __tablename__ = "store_orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)  # "ORD-48213"
    account_id: Mapped[int] = mapped_column(ForeignKey("store_accounts.id", ondelete="CASCADE"), index=True)
    placed_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(12))  # placed|packed|shipped|delivered|returned|cancelled
    carrier: Mapped[str | None] = mapped_column(String(40))
    tracking_number: Mapped[str | None] = mapped_column(String(40))
    delivered_on: Mapped[date | None] = mapped_column(Date)
    shipping_address: Mapped[str] = mapped_column(Text)
    total: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))  # EUR | USD

    account: Mapped[StoreAccount] = relationship(back_populates="orders", lazy="raise")
    lines: Mapped[list[StoreOrderLine]] = relationship(
        back_populates="order", lazy="raise", cascade="all, delete-orphan", order_by="StoreOrderLine.id"
    )


class StoreOrderLine(Base):
    __tablename__ = "store_order_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("store_orders.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(MONEY)

    order: Mapped[StoreOrder] = relationship(back_populates="lines", lazy="raise")


class StorePromoCode(Base):
    __tablename__ = "store_promo_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    percent_off: Mapped[int] = mapped_column(Integer)
    valid_until: Mapped[date] = mapped_column(Date)
    min_membership: Mapped[str] = mapped_column(String(8), default="guest")
    description: Mapped[str] = mapped_column(String(200), default="")


# For ``Base.metadata.create_all(conn, tables=STORE_TABLES)``: the demo store without the rest of Tandem.
STORE_TABLES: tuple[Table, ...] = tuple(
    Base.metadata.tables[model.__tablename__]
    for model in (StoreAccount, StoreProduct, StoreOrder, StoreOrderLine, StorePromoCode)
)

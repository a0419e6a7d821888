from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from tandem.core.clock import FrozenClock
from tandem.core.db import Base, Database
from tandem.customers.crm import CrmConnector, CrmLookup
from tandem.store import service
from tandem.store.connector import DemoStoreConnector
from tandem.store.errors import AddressChangeRefusedError, OrderNotFoundError
from tandem.store.models import STORE_TABLES, StoreAccount, StoreOrder
from tandem.store.seed import SeedReport, seed_demo_store

TODAY = date(2026, 3, 16)


async def _open_store(path: Path, *, rng_seed: int = 7) -> tuple[Database, SeedReport]:
    db = Database(f"sqlite+aiosqlite:///{path}")
    async with db.write_engine.begin() as conn:
        await conn.run_sync(lambda sync: Base.metadata.create_all(sync, tables=list(STORE_TABLES)))
    async with db.write_sessions() as session:
        report = await seed_demo_store(session, today=TODAY, rng_seed=rng_seed)
        await session.commit()
    return db, report


async def _build_template(path: Path) -> SeedReport:
    db, report = await _open_store(path)
    await db.dispose()  # closing the last connection checkpoints the WAL into the file
    return report


@pytest.fixture(scope="module")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SeedReport]:
    """Seeding takes a few hundred milliseconds; do it once and give each test a copy of the file."""
    path = tmp_path_factory.mktemp("store") / "template.db"
    return path, asyncio.run(_build_template(path))


@pytest.fixture
async def store(
    tmp_path: Path, seeded_template: tuple[Path, SeedReport]
) -> AsyncIterator[tuple[Database, SeedReport]]:
    template, report = seeded_template
    path = tmp_path / "store.db"
    shutil.copyfile(template, path)
    db = Database(f"sqlite+aiosqlite:///{path}")
    yield db, report
    await db.dispose()


@pytest.fixture
def connector(store: tuple[Database, SeedReport]) -> DemoStoreConnector:
    return DemoStoreConnector(store[0].read_sessions, clock=FrozenClock(datetime(2026, 3, 16, 9, tzinfo=UTC)))


async def _snapshot(db: Database) -> list[tuple[Any, ...]]:
    async with db.read_sessions() as session:
        accounts = (await session.scalars(select(StoreAccount).order_by(StoreAccount.id))).all()
        orders = (await session.scalars(select(StoreOrder).order_by(StoreOrder.id))).all()
        return [
            *(
                (
                    a.account_code,
                    a.full_name,
                    a.email,
                    a.phone,
                    a.membership,
                    a.premium_subscription,
                    a.customer_since,
                )
                for a in accounts
            ),
            *(
                (o.number, o.account_id, o.status, o.placed_on, o.delivered_on, o.tracking_number, o.total)
                for o in orders
            ),
        ]


async def test_seed_creates_a_store_of_the_documented_size(store: tuple[Database, SeedReport]) -> None:
    _db, report = store
    assert report == SeedReport(
        accounts=60, products=40, orders=200, order_lines=report.order_lines, promo_codes=8
    )
    assert report.order_lines >= 200


async def test_seeding_again_does_nothing(store: tuple[Database, SeedReport]) -> None:
    db, _report = store
    before = await _snapshot(db)
    async with db.write_sessions() as session:
        again = await seed_demo_store(session, today=TODAY + timedelta(days=3), rng_seed=99)
        await session.commit()
    assert again.skipped
    assert again.accounts == 0
    assert await _snapshot(db) == before


async def test_seeding_is_deterministic(tmp_path: Path, store: tuple[Database, SeedReport]) -> None:
    other, _ = await _open_store(tmp_path / "other.db")
    different, _ = await _open_store(tmp_path / "different.db", rng_seed=8)
    try:
        assert await _snapshot(other) == await _snapshot(store[0])
        assert await _snapshot(different) != await _snapshot(store[0])
    finally:
        await other.dispose()
        await different.dispose()


async def test_seeded_data_is_fictional_and_consistent(store: tuple[Database, SeedReport]) -> None:
    db, _ = store
    async with db.read_sessions() as session:
        accounts = (await session.scalars(select(StoreAccount))).all()
        orders = (await session.scalars(select(StoreOrder))).all()
    phone = re.compile(r"^(\+1-555-01\d\d|\+44 7700 900\d\d\d)$")
    for account in accounts:
        assert account.email.split("@")[1] in {"example.com", "example.org", "example.net"}
        assert account.phone and phone.match(account.phone), account.phone
    assert len({a.phone for a in accounts}) == len(accounts)
    assert {a.membership for a in accounts} == {"guest", "bronze", "silver", "gold"}
    assert 8 <= sum(a.premium_subscription for a in accounts) <= 25
    assert len({a.country for a in accounts}) >= 10
    for order in orders:
        assert TODAY - timedelta(days=200) <= order.placed_on <= TODAY
        assert order.currency in {"EUR", "USD"}
        shipped = order.status in {"shipped", "delivered", "returned"}
        assert (order.carrier is not None) == shipped, order.number
        assert (order.delivered_on is not None) == (order.status in {"delivered", "returned"}), order.number
        if order.delivered_on:
            assert order.placed_on <= order.delivered_on <= TODAY
        if order.status in {"placed", "packed"}:
            assert order.placed_on >= TODAY - timedelta(days=3)
    statuses = {o.status for o in orders}
    assert statuses == {"placed", "packed", "shipped", "delivered", "returned", "cancelled"}


def test_demo_store_connector_satisfies_the_protocol(connector: DemoStoreConnector) -> None:
    as_protocol: CrmConnector = connector
    assert as_protocol is connector


async def test_demo_accounts_have_the_documented_orders(connector: DemoStoreConnector) -> None:
    maya = await connector.find_profile(CrmLookup(email="maya@example.com"))
    assert maya is not None
    assert (maya.external_id, maya.name, maya.membership, maya.premium_subscription) == (
        "LL-100001",
        "Maya Lindqvist",
        "gold",
        True,
    )
    by_number = {o.number: o for o in maya.orders}
    assert by_number["ORD-10001"].status == "shipped"
    assert by_number["ORD-10001"].tracking_number
    assert (by_number["ORD-10002"].status, by_number["ORD-10002"].delivered_on) == (
        "delivered",
        TODAY - timedelta(days=20),
    )
    assert (by_number["ORD-10003"].status, by_number["ORD-10003"].delivered_on) == (
        "delivered",
        TODAY - timedelta(days=120),
    )
    assert [o.number for o in maya.orders] == ["ORD-10001", "ORD-10002", "ORD-10003"]
    assert all(o.lines for o in maya.orders)
    assert maya.fetched_at == datetime(2026, 3, 16, 9, tzinfo=UTC)

    tom = await connector.find_profile(CrmLookup(external_id="LL-100002"))
    assert tom is not None
    assert (tom.name, tom.email, tom.membership) == ("Tom Okafor", "tom@example.com", "guest")
    assert [(o.number, o.status) for o in tom.orders] == [("ORD-10004", "placed")]

    lucia = await connector.find_profile(CrmLookup(external_id="ll-100003"))
    assert lucia is not None
    assert (lucia.name, lucia.email, lucia.membership) == ("Lucía Fernández", "lucia@example.net", "silver")
    assert [(o.number, o.status, o.delivered_on) for o in lucia.orders] == [
        ("ORD-10005", "delivered", TODAY - timedelta(days=5))
    ]


@pytest.mark.parametrize(
    "lookup",
    [
        CrmLookup(email="  MAYA@Example.COM "),
        CrmLookup(phone="+44 (0) 7700-900-001"),
        CrmLookup(phone="447700900001"),
        CrmLookup(phone="07700 900001"),
        CrmLookup(external_id="LL-100001"),
        CrmLookup(order_number="ORD-10002"),
        CrmLookup(order_number="ord 10003"),
        CrmLookup(order_number="10001"),
        CrmLookup(email="nobody@example.com", order_number="#10001"),
    ],
)
async def test_find_profile_matches_any_identifier(connector: DemoStoreConnector, lookup: CrmLookup) -> None:
    profile = await connector.find_profile(lookup)
    assert profile is not None
    assert profile.external_id == "LL-100001"


async def test_find_profile_by_us_phone(connector: DemoStoreConnector) -> None:
    profile = await connector.find_profile(CrmLookup(phone="(1) 555 0101"))
    assert profile is not None and profile.name == "Tom Okafor"


@pytest.mark.parametrize(
    "lookup",
    [
        CrmLookup(),
        CrmLookup(email="nobody@example.com"),
        CrmLookup(phone="+1-555-9999"),
        CrmLookup(phone="12"),
        CrmLookup(external_id="LL-999999"),
        CrmLookup(order_number="ORD-00000"),
        CrmLookup(order_number="not an order"),
    ],
)
async def test_find_profile_returns_none_for_unknown_customers(
    connector: DemoStoreConnector, lookup: CrmLookup
) -> None:
    assert await connector.find_profile(lookup) is None


async def test_profile_lists_at_most_ten_orders_newest_first(
    store: tuple[Database, SeedReport], connector: DemoStoreConnector
) -> None:
    db, _ = store
    async with db.read_sessions() as session:
        busiest = (await session.scalars(select(StoreOrder.account_id))).all()
        account_id = max(set(busiest), key=busiest.count)
        account = await session.get(StoreAccount, account_id)
        assert account is not None
    assert busiest.count(account_id) > 3
    profile = await connector.find_profile(CrmLookup(external_id=account.account_code))
    assert profile is not None
    assert 0 < len(profile.orders) <= 10
    dates = [o.placed_on for o in profile.orders]
    assert dates == sorted(dates, reverse=True)
    assert profile.lifetime_value > 0


async def test_find_profile_uses_a_fixed_number_of_queries(
    store: tuple[Database, SeedReport], connector: DemoStoreConnector
) -> None:
    statements: list[str] = []

    def _count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    engine = store[0].read_engine.sync_engine
    event.listen(engine, "before_cursor_execute", _count)
    try:
        assert await connector.find_profile(CrmLookup(email="maya@example.com")) is not None
    finally:
        event.remove(engine, "before_cursor_execute", _count)
    assert len(statements) == 4  # account, orders, their lines, lifetime value


async def test_find_order_is_case_insensitive_and_prefix_tolerant(connector: DemoStoreConnector) -> None:
    for raw in ("ORD-10004", "ord-10004", "10004", " Ord10004 "):
        order = await connector.find_order(raw)
        assert order is not None, raw
        assert (order.number, order.status) == ("ORD-10004", "placed")
    assert await connector.find_order("ORD-424242") is None
    assert await connector.find_order("") is None


async def test_address_change_on_a_shipped_order_is_refused(store: tuple[Database, SeedReport]) -> None:
    db, _ = store
    async with db.write_sessions() as session:
        with pytest.raises(AddressChangeRefusedError) as refused:
            await service.change_shipping_address(
                session, order_number="ORD-10001", new_address="3 Heddle Close, EH1 1ZZ Edinburgh, GB"
            )
    assert refused.value.code == "store_address_change_refused"
    assert "carrier" in refused.value.detail


async def test_address_change_on_a_placed_order_is_saved(
    store: tuple[Database, SeedReport], connector: DemoStoreConnector
) -> None:
    db, _ = store
    async with db.write_sessions() as session:
        updated = await service.change_shipping_address(
            session, order_number="10004", new_address="Tom Okafor,  9 Bobbin Court, 60614 Chicago, US"
        )
        await session.commit()
    assert updated.shipping_address == "Tom Okafor, 9 Bobbin Court, 60614 Chicago, US"
    order = await connector.find_order("ORD-10004")
    assert order is not None and order.shipping_address == updated.shipping_address


async def test_address_change_on_an_unknown_order_is_not_found(store: tuple[Database, SeedReport]) -> None:
    async with store[0].write_sessions() as session:
        with pytest.raises(OrderNotFoundError):
            await service.change_shipping_address(
                session, order_number="ORD-77777", new_address="1 Flax Mews, 12345 Porto, PT"
            )


async def test_order_status_explains_returns_for_the_demo_orders(store: tuple[Database, SeedReport]) -> None:
    async with store[0].read_sessions() as session:
        old_gold = await service.get_order_status(session, order_number="ORD-10003", today=TODAY)
        recent_silver = await service.get_order_status(session, order_number="ORD-10005", today=TODAY)
        shipped = await service.get_order_status(session, order_number="ORD-10001", today=TODAY)
        missing = await service.get_order_status(session, order_number="ORD-55555x", today=TODAY)
    assert old_gold is not None and old_gold.returns.rule == "gold_unlimited"
    assert recent_silver is not None and recent_silver.returns.eligible
    assert recent_silver.membership == "silver"
    assert shipped is not None and "on its way" in shipped.summary
    assert not shipped.returns.eligible and not shipped.delivery.late
    assert missing is None


async def test_promo_codes_depend_on_membership_and_date(store: tuple[Database, SeedReport]) -> None:
    async with store[0].read_sessions() as session:
        guest = await service.list_promo_codes(session, membership="guest", today=TODAY)
        gold = await service.list_promo_codes(session, membership="gold", today=TODAY)
        expired = await service.check_promo_code(session, code="springdrop", membership="gold", today=TODAY)
        valid = await service.check_promo_code(session, code="GOLDLOOM25", membership="gold", today=TODAY)
    assert {p.code for p in guest} == {"WELCOME10", "KNITWEEK", "SORRY10"}
    assert {"GOLDLOOM25", "SILVERTHREAD", "LANTERN15"} <= {p.code for p in gold}
    assert gold[0].code == "GOLDLOOM25"
    assert (expired.applies, expired.rule, expired.courtesy_code_allowed) == (False, "expired", True)
    assert valid.applies and valid.percent_off == 25

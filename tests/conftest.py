"""Shared fixtures. Database-backed tests run once per backend: SQLite always, PostgreSQL when reachable.

With ``TANDEM_REQUIRE_SERVICES=1`` (set by .ci/run) an unreachable PostgreSQL or Redis fails the run
instead of skipping, so CI can never go green without having tested against them.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tandem.bootstrap import Container, build_container
from tandem.settings import Settings
from tandem.web.app import create_app
from tandem.web.loopback import LoopbackServer

pytest_plugins = ["browser_fixtures"]  # Chromium via Playwright, for tests/browser

REQUIRE_SERVICES = os.environ.get("TANDEM_REQUIRE_SERVICES") == "1"
POSTGRES_ADMIN_URL = os.environ.get("TANDEM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TANDEM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
BACKENDS = [
    b.strip() for b in os.environ.get("TANDEM_TEST_BACKENDS", "sqlite,postgresql").split(",") if b.strip()
]


def service_missing(what: str, error: Exception) -> None:
    message = f"{what} is not reachable ({type(error).__name__}: {error})"
    if REQUIRE_SERVICES:
        pytest.fail(message + " and TANDEM_REQUIRE_SERVICES=1", pytrace=False)
    pytest.skip(message)


LONGEST_FIRST = ("test_fuzz_api.py", "test_console.py", "test_learning_loop.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest files first: with `make test`'s one file per worker, a long file started last would
    leave the other core idle at the end."""
    items.sort(key=lambda item: next((i for i, n in enumerate(LONGEST_FIRST) if item.path.name == n), 99))


# --- PostgreSQL: one migrated database per test session, truncated between tests ----------------------


class PostgresTestDatabase:
    def __init__(self, admin_url: str, *, demo: bool = False) -> None:
        import psycopg

        self.psycopg = psycopg
        self.admin_url = admin_url
        self.demo = demo
        self.name = f"tandem_test_{os.getpid()}{'_demo' if demo else ''}"
        base = admin_url.rsplit("/", 1)[0]
        self.url = f"{base}/{self.name}"
        self.tables: list[str] = []

    def create(self) -> None:
        with self.psycopg.connect(self.admin_url, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.name}"')
        asyncio.run(_migrate(self.url, seed=self.demo))
        with self.psycopg.connect(self.url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            ).fetchall()
        # The demo store and staff are only read by tests; everything else starts empty.
        self.tables = [row[0] for row in rows if not (self.demo and _is_demo_table(row[0]))]

    def truncate(self) -> None:
        with self.psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"TRUNCATE {', '.join(self.tables)} RESTART IDENTITY CASCADE")

    def drop(self) -> None:
        with self.psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


async def _migrate(url: str, *, seed: bool) -> None:
    container = build_container(Settings(database_url=url, demo=seed, log_level="warning"))
    await container.start(migrate_schema=True, seed=seed, workers=False, bot=False)
    await container.stop()


def _is_demo_table(name: str) -> bool:
    """Seeded once per session and kept; drafts are test data (tests that publish restore the articles)."""
    return (name.startswith(("store_", "kb_")) and name != "kb_article_versions") or name == "staff_users"


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[PostgresTestDatabase]:
    yield from _postgres(demo=False)


@pytest.fixture(scope="session")
def postgres_demo_database() -> Iterator[PostgresTestDatabase]:
    yield from _postgres(demo=True)


def _postgres(*, demo: bool) -> Iterator[PostgresTestDatabase]:
    database = PostgresTestDatabase(POSTGRES_ADMIN_URL, demo=demo)
    try:
        database.create()
    except Exception as exc:  # connection refused, auth, missing driver
        service_missing("PostgreSQL", exc)
    yield database
    database.drop()


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    """The test Redis (``TANDEM_TEST_REDIS_URL``), checked reachable first."""
    from tandem.core.redis_broker import RedisBroker

    broker = RedisBroker(REDIS_URL)
    try:
        reachable = await broker.ping()
    finally:
        await broker.close()
    if not reachable:
        service_missing("Redis", ConnectionError(REDIS_URL))
    yield REDIS_URL


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrating takes a moment; do it once and copy the file for every test."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    asyncio.run(_migrate(f"sqlite:///{path}", seed=False))
    return path


@pytest.fixture(scope="session")
def sqlite_demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-demo-template") / "template.db"
    asyncio.run(_migrate(f"sqlite:///{path}", seed=True))
    return path


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _fresh_database(backend: str, request: pytest.FixtureRequest, tmp_path: Path, *, demo: bool) -> str:
    suffix = "_demo" if demo else ""
    if backend == "sqlite":
        template: Path = request.getfixturevalue(f"sqlite{suffix}_template")
        path = tmp_path / "tandem.db"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    postgres: PostgresTestDatabase = request.getfixturevalue(f"postgres{suffix}_database")
    postgres.truncate()
    return postgres.url


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated database."""
    return _fresh_database(backend, request, tmp_path, demo=False)


@pytest.fixture
def demo_database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database with the demo store and demo staff (seeded once per session)."""
    return _fresh_database(backend, request, tmp_path, demo=True)


def make_settings(database_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "data_dir": tmp_path,
        "demo": False,
        "job_workers": 2,
        "outbox_sweep_seconds": 60.0,
        "ws_ping_seconds": 2.0,
        "log_level": "warning",
        # the weight-free backend trains in seconds; tests of the default backend ask for it by name
        "bot_intent_backend": "ngram",
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
async def container(database_url: str, tmp_path: Path) -> AsyncIterator[Container]:
    built = build_container(make_settings(database_url, tmp_path))
    await built.start(migrate_schema=False, seed=False)
    yield built
    await built.stop()


@pytest.fixture
async def demo_container(demo_database_url: str, tmp_path: Path) -> AsyncIterator[Container]:
    """A container over the demo store and demo staff."""
    built = build_container(make_settings(demo_database_url, tmp_path))
    await built.start(migrate_schema=False, seed=False)
    yield built
    await built.stop()


@pytest.fixture
async def api(demo_container: Container) -> AsyncIterator[httpx.AsyncClient]:
    """The ASGI app in-process (no sockets), over the seeded demo."""
    app = create_app(demo_container, manage=False)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://tandem.test") as client:
        yield client


class LiveServer(LoopbackServer):
    """The real app on a free loopback port, in the test's event loop."""

    def live_url(self, conversation_id: int, token: str, after_seq: int | None = None) -> str:
        url = f"{self.ws}/api/v1/conversations/{conversation_id}/live?token={token}"
        return url if after_seq is None else f"{url}&after_seq={after_seq}"


@pytest.fixture
async def live_server(demo_container: Container) -> AsyncIterator[LiveServer]:
    server = LiveServer(demo_container)
    await server.start()
    yield server
    await server.stop()

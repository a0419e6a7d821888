"""Settings, notices, error mapping, the in-memory broker and the job queue."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pydantic import ValidationError

from tandem.conversation.errors import ConversationResolvedError, MessageTooLongError
from tandem.conversation.notices import notice
from tandem.core.broker import InMemoryBroker, LocalFanout
from tandem.core.errors import AuthenticationError, NotFoundError, PermissionDeniedError
from tandem.core.jobs import InProcessJobQueue, Job, JobRegistry
from tandem.settings import Settings, async_database_url
from tandem.web.errors import status_for


@pytest.mark.parametrize(
    ("plain", "driver"),
    [
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("sqlite:////tmp/x.db", "sqlite+aiosqlite:////tmp/x.db"),
    ],
)
def test_database_urls_get_the_async_driver(plain: str, driver: str) -> None:
    assert async_database_url(plain) == driver


def test_unknown_database_scheme_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(database_url="mysql://root@localhost/test")
    assert "sqlite:// or postgresql://" in str(refused.value)


def test_notices_speak_the_customers_language_and_fall_back_to_english() -> None:
    assert "Mitarbeiter" in notice("de-AT", "bot")
    assert notice("xx", "resolved") == notice("en", "resolved")
    assert "Ana" in notice("es", "human", agent="Ana")


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotFoundError("x"), 404),
        (AuthenticationError("x"), 401),
        (PermissionDeniedError("x"), 403),
        (ConversationResolvedError("x"), 409),
        (MessageTooLongError("x"), 413),
    ],
)
def test_domain_errors_map_to_one_status_each(error: Exception, status: int) -> None:
    assert status_for(error) == status  # type: ignore[arg-type]


async def test_broker_delivers_only_to_the_channel_subscribed() -> None:
    broker = InMemoryBroker()
    mine = await broker.subscribe("conversation:1")
    other = await broker.subscribe("conversation:2")
    await broker.publish("conversation:1", {"n": 1})
    assert await asyncio.wait_for(mine.__aiter__().__anext__(), 1) == {"n": 1}
    assert other.queue.empty()  # type: ignore[attr-defined]
    await mine.close()
    await other.close()
    assert broker.fanout.channel_count() == 0


def test_slow_subscriber_drops_signals_instead_of_growing() -> None:
    fanout = LocalFanout(maxsize=2)
    subscription = fanout.add("c")
    for index in range(5):
        fanout.deliver("c", {"n": index})
    assert subscription.queue.qsize() == 2 and subscription.dropped == 3


async def test_job_retries_until_it_succeeds_then_acknowledges() -> None:
    registry = JobRegistry()
    calls: list[int] = []
    acked: list[Job] = []

    async def flaky(payload: dict[str, Any]) -> None:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("try again")

    async def ack(job: Job) -> None:
        acked.append(job)

    registry.register("test.flaky", flaky)
    queue = InProcessJobQueue(registry, workers=1, base_delay=0.001, on_success=ack)
    await queue.start()
    await queue.submit(Job("test.flaky", {}))
    await queue.drain()
    await queue.stop()
    assert len(calls) == 3 and len(acked) == 1 and acked[0].attempt == 3


async def test_unknown_job_name_fails_loudly_and_lists_known_jobs() -> None:
    registry = JobRegistry()

    async def handler(payload: dict[str, Any]) -> None:
        return None

    registry.register("bot.take_turn", handler)
    queue = InProcessJobQueue(registry, workers=0)
    with pytest.raises(KeyError) as refused:
        await queue.submit(Job("bot.typo", {}))
    assert "bot.take_turn" in str(refused.value)


def test_ttl_cache_forgets_after_its_lifetime_and_evicts_the_oldest() -> None:
    from tandem.core.cache import TTLCache

    now = [0.0]
    cache: TTLCache[str, int] = TTLCache(ttl=5.0, max_entries=2, now=lambda: now[0])
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)  # reading does not refresh an entry: "a", stored first, is evicted
    assert cache.get("a") is None and cache.get("c") == 3
    now[0] = 5.0
    assert cache.get("b") is None and len(cache) == 1


async def test_a_failing_acknowledgement_does_not_kill_the_worker() -> None:
    registry = JobRegistry()
    done: list[int] = []

    async def work(payload: dict[str, Any]) -> None:
        done.append(payload["n"])

    async def broken_ack(job: Job) -> None:
        raise OSError("database went away")

    registry.register("test.work", work)
    queue = InProcessJobQueue(registry, workers=1, on_success=broken_ack)
    await queue.start()
    for n in range(3):
        await queue.submit(Job("test.work", {"n": n}, outbox_id=n + 1))
    await queue.drain()
    await queue.stop()
    assert done == [0, 1, 2]


async def test_a_job_already_held_is_not_queued_twice() -> None:
    registry = JobRegistry()
    runs: list[int] = []

    async def work(payload: dict[str, Any]) -> None:
        runs.append(1)

    registry.register("test.work", work)
    queue = InProcessJobQueue(registry, workers=0)
    await queue.submit(Job("test.work", {}, outbox_id=7))
    await queue.submit(Job("test.work", {}, outbox_id=7))  # the sweeper finds the same row again
    assert queue.holds(7) and queue.depth() == 1

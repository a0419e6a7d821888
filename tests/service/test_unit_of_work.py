"""The unit of work and the outbox: side effects happen after commit, and only after commit."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from tandem.accounts.actors import Actor
from tandem.bootstrap import Container
from tandem.conversation import service
from tandem.conversation.events import MessagePosted
from tandem.conversation.schemas import ConversationCreate, MessageCreate
from tandem.core.clock import FrozenClock
from tandem.core.ids import ConversationId
from tandem.core.jobs import InProcessJobQueue, JobRegistry
from tandem.core.outbox import OutboxRelay, OutboxRow


async def _count_outbox(container: Container, *, failed: bool | None = None) -> int:
    async with container.uow(write=False) as uow:
        statement = select(func.count()).select_from(OutboxRow)
        if failed is not None:
            statement = statement.where(
                OutboxRow.failed_at.is_not(None) if failed else OutboxRow.failed_at.is_(None)
            )
        return int(await uow.session.scalar(statement) or 0)


async def test_rolled_back_work_publishes_nothing(container: Container) -> None:
    seen_events: list[Any] = []
    container.bus.subscribe(MessagePosted, lambda event: _append(seen_events, event))
    subscription = await container.broker.subscribe("inbox")
    with pytest.raises(RuntimeError):
        async with container.uow() as uow:
            await service.start_conversation(
                uow, actor=None, data=ConversationCreate(first_message=MessageCreate(body="hello"))
            )
            raise RuntimeError("the request failed after writing")
    await asyncio.sleep(0.05)
    assert seen_events == []
    assert subscription.queue.empty()  # type: ignore[attr-defined]
    assert await _count_outbox(container) == 0
    async with container.uow(write=False) as uow:
        page = await service.list_conversations(uow, actor=Actor.system())
    assert page.items == []  # no half-written rows either
    await subscription.close()


async def _append(target: list[Any], item: Any) -> None:
    target.append(item)


async def test_committed_message_signals_subscribers_after_commit(container: Container) -> None:
    subscription = await container.broker.subscribe("inbox")
    async with container.uow() as uow:
        await service.start_conversation(
            uow, actor=None, data=ConversationCreate(first_message=MessageCreate(body="hi"))
        )
        await asyncio.sleep(0)
        assert subscription.queue.empty()  # type: ignore[attr-defined]  # not before commit
    signal = await asyncio.wait_for(subscription.__aiter__().__anext__(), 1)
    assert signal["kind"] == "conversation"
    await subscription.close()


async def test_bot_job_is_written_with_the_message_and_acknowledged_when_done(container: Container) -> None:
    async with container.uow() as uow:
        started = await service.start_conversation(
            uow, actor=None, data=ConversationCreate(first_message=MessageCreate(body="hello"))
        )
    await container.queue.drain()
    assert await _count_outbox(container) == 0  # deleted once the job succeeded
    async with container.uow(write=False) as uow:
        messages = await service.list_messages(
            uow, actor=Actor.system(), conversation_id=ConversationId(started.conversation.id)
        )
    assert [m.author_kind.value for m in messages] == ["customer", "bot"]
    assert messages[1].meta["trace"]["decision"] == "greeting"


async def test_job_that_keeps_failing_is_dead_lettered_not_lost(container: Container) -> None:
    registry = JobRegistry()
    attempts: list[int] = []

    async def always_fails(payload: dict[str, Any]) -> None:
        attempts.append(1)
        raise ValueError("the CRM is down")

    registry.register("test.fail", always_fails)
    queue = InProcessJobQueue(registry, workers=1, max_attempts=3, base_delay=0.001)
    relay = OutboxRelay(container.database, queue, container.clock)
    queue.on_success, queue.on_dead = relay.acknowledge, relay.bury
    container.uow.relay = relay
    await queue.start()
    try:
        async with container.uow() as uow:
            uow.enqueue("test.fail", {"x": 1})
        await queue.drain()
    finally:
        await queue.stop()
    assert len(attempts) == 3
    assert await _count_outbox(container, failed=True) == 1
    async with container.uow(write=False) as uow:
        row = await uow.session.scalar(select(OutboxRow))
    assert row is not None and "CRM is down" in (row.last_error or "")


async def test_job_lost_by_a_crash_is_handed_out_again_by_the_sweeper(container: Container) -> None:
    clock = FrozenClock()
    registry = JobRegistry()
    done: list[dict[str, Any]] = []

    async def record(payload: dict[str, Any]) -> None:
        done.append(payload)

    registry.register("test.record", record)
    queue = InProcessJobQueue(registry, workers=1)
    relay = OutboxRelay(container.database, queue, clock, visibility_seconds=30)
    queue.on_success = relay.acknowledge
    container.uow.relay = None  # the process "dies" between commit and hand-off
    container.uow.clock = clock
    async with container.uow() as uow:
        uow.enqueue("test.record", {"n": 7})
    await queue.start()
    try:
        assert await relay.sweep() == 0  # still inside the visibility window
        clock.advance(seconds=31)
        assert await relay.sweep() == 1
        await queue.drain()
    finally:
        await queue.stop()
    assert done == [{"n": 7}]
    assert await _count_outbox(container) == 0


async def test_same_dedupe_key_enqueues_once(container: Container) -> None:
    container.uow.relay = None
    for _ in range(3):
        async with container.uow() as uow:
            uow.enqueue("bot.take_turn", {"conversation_id": 1, "seq": 1}, dedupe_key="bot-turn:1:1")
    assert await _count_outbox(container) == 1


async def test_read_only_unit_of_work_refuses_side_effects(container: Container) -> None:
    async with container.uow(write=False) as uow:
        with pytest.raises(RuntimeError):
            uow.enqueue("bot.take_turn", {})


def test_frozen_clock_moves_only_when_told() -> None:
    clock = FrozenClock()
    start = clock.now()
    assert clock.now() == start
    assert clock.advance(minutes=5) - start == timedelta(minutes=5)

"""The learning loop's bookkeeping on both databases: corrections become labelled examples once, with
consent respected; the registry and rollback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from conftest import make_settings
from helpers import agent_corrects
from tandem.accounts.actors import Actor, Role
from tandem.bootstrap import Container, build_container
from tandem.conversation import service as conversation_service
from tandem.conversation.schemas import ConversationCreate, MessageCreate, TagsUpdate
from tandem.core.broker import InMemoryBroker
from tandem.core.errors import NotFoundError
from tandem.core.ids import ConversationId, StaffId
from tandem.learning import repository as learning_repository
from tandem.learning import service as learning
from tandem.learning.schemas import RunStatus

ALEX = Actor.staff(StaffId(3), Role.AGENT, "Alex Rivera")
ADMIN = Actor.staff(StaffId(1), Role.ADMIN, "Ada Admin")


@pytest.fixture
async def desk(demo_database_url: str, tmp_path: Path) -> AsyncIterator[Container]:
    built = build_container(make_settings(demo_database_url, tmp_path, routing_tick_seconds=60))
    await built.start(migrate_schema=False, seed=False, workers=False, bot=False)
    built.uow.relay = None
    yield built
    await built.stop()


async def _set_consent(desk: Container, customer_id: int, *, consent: bool) -> None:
    async with desk.uow() as uow:
        await uow.session.execute(
            text("UPDATE customers SET training_consent = :consent WHERE id = :id"),
            {"consent": consent, "id": customer_id},
        )


async def test_words_of_customers_who_said_no_never_train_the_bot(desk: Container) -> None:
    _, customer_id = await agent_corrects(
        desk, "is there a discount code for students", "promo_code", agent=ALEX, email="private@example.com"
    )
    await _set_consent(desk, customer_id, consent=False)
    async with desk.uow() as uow:
        assert await learning.collect(uow, default_consent=True) == 1
        assert await learning.collect(uow, default_consent=True) == 0  # each correction is taken once
    async with desk.uow(write=False) as uow:
        assert await learning_repository.usable_examples(uow.session, kind="intent") == []


async def test_a_rollback_needs_an_earlier_model(desk: Container) -> None:
    with pytest.raises(NotFoundError, match="no earlier promoted model"):
        async with desk.uow() as uow:
            await learning.rollback(uow, actor=ADMIN)


async def test_feedback_that_teaches_nothing_does_not_hold_up_collection(desk: Container) -> None:
    """Tags that are no escalation reason yield no example, yet the events cursor moves past them."""
    async with desk.uow() as uow:
        started = await conversation_service.start_conversation(
            uow, actor=ALEX, data=ConversationCreate(locale="en", first_message=MessageCreate(body="hello"))
        )
        cid = ConversationId(started.conversation.id)
        for number in range(3):
            await conversation_service.update_tags(
                uow, actor=ALEX, conversation_id=cid, data=TagsUpdate(add=[f"note-{number}"])
            )
    async with desk.uow() as uow:
        assert await learning.collect(uow, default_consent=True) == 0
        position = await learning_repository.cursor(uow.session, "events")
    async with desk.uow(write=False) as uow:
        newest = max(
            e.id for e in await conversation_service.list_events(uow, actor=ALEX, conversation_id=cid)
        )
    assert position == newest


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_retraining_on_another_instance_shows_its_progress_here(
    database_url: str, tmp_path: Path
) -> None:
    """The job queue may give the retraining to another server: its status reaches every instance."""
    broker = InMemoryBroker()  # one broker for both, as Redis would be
    here, there = (
        build_container(make_settings(database_url, tmp_path / name, routing_tick_seconds=60), broker=broker)
        for name in ("here", "there")
    )
    for instance in (here, there):
        await instance.start(migrate_schema=False, seed=False, bot=False)
    try:
        status = RunStatus(state="running", stage="fit", done=2, total=5, started_at="2026-11-27T10:00:00")
        await there._share_learning_status(status)
        async with asyncio.timeout(5):
            while here.learning_status.state != "running":  # noqa: ASYNC110 - set by the listener task
                await asyncio.sleep(0.01)
        assert here.learning_status == status and there.learning_status.state == "idle"  # its own: ignored
    finally:
        await here.stop()
        await there.stop()

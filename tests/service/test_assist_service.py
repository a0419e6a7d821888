"""Agent assist over a real database: the handoff's reply first, a colleague's reply to a similar message
(scrubbed of the other customer's details), a coaching tip for an upset customer, and learning from
accepted suggestions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from conftest import make_settings
from tandem.accounts.actors import Actor, Role
from tandem.assist import service as assist
from tandem.assist.schemas import FeedbackAction, FeedbackIn
from tandem.assist.service import ReplyHistory
from tandem.bootstrap import Container, build_container
from tandem.conversation import service as conversation_service
from tandem.conversation.schemas import ConversationCreate, MessageCreate
from tandem.conversation.state import Trigger
from tandem.core.clock import FrozenClock
from tandem.core.errors import PermissionDeniedError
from tandem.core.ids import ConversationId, StaffId
from tandem.customers.schemas import IdentityClaims
from tandem.routing import service as routing

ALEX = Actor.staff(StaffId(3), Role.AGENT, "Alex Rivera")
SUPERVISOR = Actor.staff(StaffId(2), Role.SUPERVISOR, "Sam Supervisor")


@pytest.fixture
async def desk(demo_database_url: str, tmp_path: Path) -> AsyncIterator[Container]:
    built = build_container(make_settings(demo_database_url, tmp_path, routing_tick_seconds=60))
    await built.start(migrate_schema=False, seed=False, workers=False, bot=False)
    built.uow.relay = None
    built.uow.clock = FrozenClock()
    yield built
    await built.stop()


async def _conversation(
    desk: Container, body: str, *, email: str, trigger: Trigger | None = None
) -> ConversationId:
    async with desk.uow() as uow:
        started = await conversation_service.start_conversation(
            uow,
            actor=SUPERVISOR,
            data=ConversationCreate(
                customer=IdentityClaims(email=email), first_message=MessageCreate(body=body)
            ),
        )
        cid = ConversationId(started.conversation.id)
        if trigger is not None:
            await conversation_service.request_human(
                uow, actor=Actor.bot(), conversation_id=cid, trigger=trigger
            )
    if trigger is not None:
        async with desk.uow() as uow:
            seq = (await conversation_service.episode_messages(uow, cid, include_private=True))[-1].seq
            await routing.prepare_handoff(
                uow, config=desk.routing, crm=desk.crm, conversation_id=cid, seq=seq
            )
    return cid


async def test_suggestions_put_the_handoff_first_and_reuse_a_colleagues_reply_safely(desk: Container) -> None:
    earlier = await _conversation(desk, "where is my parcel ORD-10002?", email="maya@example.com")
    async with desk.uow() as uow:
        await conversation_service.post_message(
            uow,
            actor=ALEX,
            conversation_id=earlier,
            data=MessageCreate(body="Hi Maya, ORD-10002 left our warehouse yesterday, see maya@example.com."),
        )
    cid = await _conversation(
        desk, "where is my parcel? this is ridiculous", email="tom@example.com", trigger=Trigger.SENTIMENT
    )
    async with desk.uow(write=False) as uow:
        help = await assist.assist(
            uow,
            actor=ALEX,
            conversation_id=cid,
            knowledge=None,
            crm=desk.crm,
            history=ReplyHistory(refresh_seconds=0),
        )
    kinds = [s.kind for s in help.suggestions]
    assert kinds[0] == "handoff"
    past = next(s for s in help.suggestions if s.kind == "past_reply")
    assert "Maya" not in past.text and "ORD-10002" not in past.text and "maya@example.com" not in past.text
    assert help.coaching_tip and "Acknowledge" in help.coaching_tip


async def test_accepted_suggestions_are_recorded_and_suggested_again(desk: Container) -> None:
    cid = await _conversation(desk, "can I pay with a gift card?", email="tom@example.com")
    async with desk.uow() as uow:
        await assist.record_feedback(
            uow,
            actor=ALEX,
            conversation_id=cid,
            data=FeedbackIn(
                suggestion_id="s1",
                kind="article",
                action=FeedbackAction.EDITED,
                suggested_text="Gift cards work at checkout.",
                final_text="Yes: gift cards work at checkout, in full or in part.",
            ),
        )
    other = await _conversation(desk, "do you accept a gift card for payment", email="maya@example.com")
    async with desk.uow(write=False) as uow:
        help = await assist.assist(
            uow,
            actor=ALEX,
            conversation_id=other,
            knowledge=None,
            crm=desk.crm,
            history=ReplyHistory(refresh_seconds=0),
        )
    learned = [s for s in help.suggestions if s.kind == "past_reply"]
    assert learned and learned[0].text == "Yes: gift cards work at checkout, in full or in part."
    assert learned[0].source == "a reply agents chose before"


async def test_customers_cannot_ask_for_suggestions(desk: Container) -> None:
    cid = await _conversation(desk, "hello", email="tom@example.com")
    customer = Actor.customer(cid, 1)  # type: ignore[arg-type]
    with pytest.raises(PermissionDeniedError, match="staff"):
        async with desk.uow(write=False) as uow:
            await assist.assist(
                uow,
                actor=customer,
                conversation_id=cid,
                knowledge=None,
                crm=desk.crm,
                history=ReplyHistory(refresh_seconds=0),
            )

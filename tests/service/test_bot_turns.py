"""Bot turns: answer while the bot owns the conversation, never after, never twice."""

from __future__ import annotations

from tandem.accounts.actors import Actor, Role
from tandem.bootstrap import Container
from tandem.bot import service as bot_service
from tandem.conversation import service
from tandem.conversation.schemas import ConversationCreate, MessageCreate
from tandem.core.ids import ConversationId, StaffId


async def _start_without_bot(container: Container, body: str) -> ConversationId:
    container.uow.relay = None  # keep the job in the outbox; the test runs the turn itself
    async with container.uow() as uow:
        started = await service.start_conversation(
            uow, actor=None, data=ConversationCreate(first_message=MessageCreate(body=body))
        )
    return ConversationId(started.conversation.id)


async def _bodies(container: Container, cid: ConversationId) -> list[tuple[str, str]]:
    async with container.uow(write=False) as uow:
        messages = await service.list_messages(uow, actor=Actor.system(), conversation_id=cid)
    return [(m.author_kind.value, m.body) for m in messages]


async def test_turn_run_twice_answers_once(demo_container: Container) -> None:
    cid = await _start_without_bot(demo_container, "where is ORD-10002? maya@example.com")
    for _ in range(2):
        await bot_service.take_turn(
            demo_container.uow, responder=demo_container.responder, conversation_id=cid, seq=1
        )
    bodies = await _bodies(demo_container, cid)
    assert [author for author, _ in bodies] == ["customer", "bot"]
    assert "ORD-10002 was delivered" in bodies[1][1]


async def test_turn_after_a_human_took_over_is_dropped(demo_container: Container) -> None:
    cid = await _start_without_bot(demo_container, "hello")
    async with demo_container.uow() as uow:
        await service.assign(uow, actor=Actor.system(), conversation_id=cid, staff_id=StaffId(3))
    outcome = await bot_service.take_turn(
        demo_container.uow, responder=demo_container.responder, conversation_id=cid, seq=1
    )
    assert outcome == "skipped_not_owner"
    assert [author for author, _ in await _bodies(demo_container, cid)] == ["customer", "system"]


async def test_turn_for_an_older_message_is_superseded(demo_container: Container) -> None:
    cid = await _start_without_bot(demo_container, "hello")
    async with demo_container.uow() as uow:
        await service.post_message(
            uow,
            actor=Actor.customer(cid, 1),
            conversation_id=cid,
            data=MessageCreate(body="ORD-10001?"),  # type: ignore[arg-type]
        )
    assert (
        await bot_service.take_turn(
            demo_container.uow, responder=demo_container.responder, conversation_id=cid, seq=1
        )
        == "skipped_superseded"
    )
    assert (
        await bot_service.take_turn(
            demo_container.uow, responder=demo_container.responder, conversation_id=cid, seq=2
        )
        == "replied"
    )


async def test_three_misunderstood_turns_hand_off_to_a_human(demo_container: Container) -> None:
    cid = await _start_without_bot(demo_container, "blorp")
    customer = Actor.customer(cid, 1)  # type: ignore[arg-type]
    results = [
        await bot_service.take_turn(
            demo_container.uow, responder=demo_container.responder, conversation_id=cid, seq=1
        )
    ]
    for text in ("zzzz", "qwerty"):
        async with demo_container.uow() as uow:
            posted = await service.post_message(
                uow, actor=customer, conversation_id=cid, data=MessageCreate(body=text)
            )
        results.append(
            await bot_service.take_turn(
                demo_container.uow,
                responder=demo_container.responder,
                conversation_id=cid,
                seq=posted.message.seq,
            )
        )
    assert results == ["replied", "replied", "handed_off"]
    async with demo_container.uow(write=False) as uow:
        conversation = await service.access_conversation(uow, actor=Actor.system(), conversation_id=cid)
        outcome = await service.get_outcome(uow, actor=Actor.system(), conversation_id=cid)
    assert conversation.state.value == "waiting"
    assert outcome.escalation_trigger == "bot_failure" and "could not help 3 times" in (
        outcome.escalation_reason or ""
    )


def test_role_ranks_order_agent_supervisor_admin() -> None:
    assert Role.AGENT.rank < Role.SUPERVISOR.rank < Role.ADMIN.rank


class BrokenResponder:
    async def respond(self, turn: object) -> object:
        raise ConnectionError("model server unreachable")


class SlowResponder:
    async def respond(self, turn: object) -> object:
        import asyncio

        await asyncio.sleep(5)
        raise AssertionError("never reached")


async def test_a_failing_bot_hands_the_customer_to_a_person_once(demo_container: Container) -> None:
    cid = await _start_without_bot(demo_container, "hello")
    for _ in range(2):  # a retried job does not repeat the apology
        result = await bot_service.take_turn(
            demo_container.uow, responder=BrokenResponder(), conversation_id=cid, seq=1
        )
    assert result in ("handed_off", "skipped_not_owner")
    bodies = await _bodies(demo_container, cid)
    assert [author for author, _ in bodies] == ["customer", "bot", "system"]
    async with demo_container.uow(write=False) as uow:
        outcome = await service.get_outcome(uow, actor=Actor.system(), conversation_id=cid)
    assert outcome.escalation_trigger == "bot_failure"


async def test_a_bot_that_does_not_answer_in_time_steps_aside(demo_container: Container) -> None:
    cid = await _start_without_bot(demo_container, "hello")
    result = await bot_service.take_turn(
        demo_container.uow, responder=SlowResponder(), conversation_id=cid, seq=1, timeout_seconds=0.05
    )
    assert result == "handed_off"
    async with demo_container.uow(write=False) as uow:
        conversation = await service.access_conversation(uow, actor=Actor.system(), conversation_id=cid)
    assert conversation.state.value == "waiting"

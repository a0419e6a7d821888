"""Conversation use cases against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from tandem.accounts import service as accounts_service
from tandem.accounts.actors import Actor, Role
from tandem.accounts.schemas import StaffCreate
from tandem.bootstrap import Container
from tandem.conversation import service
from tandem.conversation.errors import ConversationResolvedError, MessageTooLongError, NotOwnerError
from tandem.conversation.schemas import (
    BotFailureIn,
    ConversationCreate,
    MessageCreate,
    RatingCreate,
    TagsUpdate,
)
from tandem.conversation.state import InvalidTransitionError, Owner, Trigger
from tandem.core.errors import InvalidInputError, PermissionDeniedError
from tandem.core.ids import ConversationId, StaffId
from tandem.customers.schemas import IdentityClaims


async def _staff(container: Container, email: str = "agent@example.com", role: Role = Role.AGENT) -> Actor:
    async with container.uow() as uow:
        staff = await accounts_service.create_staff_unchecked(
            uow, data=StaffCreate(email=email, name="Agent Ann", role=role, password="long-enough-pw")
        )
    return Actor.staff(StaffId(staff.id), role, staff.name)


async def _start(container: Container, **fields: object) -> tuple[ConversationId, Actor]:
    async with container.uow() as uow:
        started = await service.start_conversation(uow, actor=None, data=ConversationCreate(**fields))
    cid = ConversationId(started.conversation.id)
    return cid, Actor.customer(cid, started.conversation.customer_id)  # type: ignore[arg-type]


async def _post(
    container: Container, actor: Actor, cid: ConversationId, body: str, client_id: str | None = None
):
    async with container.uow() as uow:
        return await service.post_message(
            uow, actor=actor, conversation_id=cid, data=MessageCreate(body=body, client_message_id=client_id)
        )


async def _messages(container: Container, actor: Actor, cid: ConversationId):
    async with container.uow(write=False) as uow:
        return await service.list_messages(uow, actor=actor, conversation_id=cid)


async def test_messages_get_consecutive_sequence_numbers(container: Container) -> None:
    cid, customer = await _start(container)
    for index in range(5):
        await _post(container, customer, cid, f"message {index}")
    await container.queue.drain()  # the bot's replies (and a handoff's private note) take numbers too
    everything = await _messages(container, Actor.system(), cid)
    assert [m.seq for m in everything] == list(range(1, len(everything) + 1))
    messages = await _messages(container, customer, cid)  # private notes are gaps in the customer's view
    assert [m.seq for m in messages] == sorted({m.seq for m in messages})
    assert [m.body for m in messages if m.author_kind.value == "customer"] == [
        f"message {i}" for i in range(5)
    ]


async def test_same_client_message_id_stores_one_message(container: Container) -> None:
    cid, customer = await _start(container)
    first = await _post(container, customer, cid, "where is my parcel?", "c-1")
    again = await _post(container, customer, cid, "where is my parcel?", "c-1")
    assert first.created and not again.created
    assert again.message.id == first.message.id
    customer_messages = [
        m for m in await _messages(container, customer, cid) if m.author_kind.value == "customer"
    ]
    assert len(customer_messages) == 1


async def test_message_over_the_limit_is_refused_and_nothing_is_stored(container: Container) -> None:
    cid, customer = await _start(container)
    with pytest.raises(MessageTooLongError):
        await _post(container, customer, cid, "x" * 10_001)
    assert await _messages(container, customer, cid) == []


async def test_customer_cannot_write_to_another_conversation(container: Container) -> None:
    cid, _ = await _start(container)
    _, intruder = await _start(container)
    with pytest.raises(PermissionDeniedError):
        await _post(container, intruder, cid, "hello")


async def test_resolved_conversation_refuses_messages_until_reopened(container: Container) -> None:
    cid, customer = await _start(container)
    async with container.uow() as uow:
        await service.close(uow, actor=customer, conversation_id=cid)
    with pytest.raises(ConversationResolvedError) as refused:
        await _post(container, customer, cid, "one more thing")
    assert "reopen" in refused.value.detail.lower()
    async with container.uow() as uow:
        reopened = await service.reopen(uow, actor=customer, conversation_id=cid)
    assert reopened.state is Owner.BOT and reopened.episode == 2
    posted = await _post(container, customer, cid, "one more thing")
    assert posted.message.episode == 2


async def test_talk_to_an_agent_works_from_every_state(container: Container) -> None:
    cid, customer = await _start(container)
    async with container.uow() as uow:
        waiting = await service.request_human(uow, actor=customer, conversation_id=cid)
    assert waiting.state is Owner.WAITING and waiting.tier == 1
    async with container.uow() as uow:
        again = await service.request_human(uow, actor=customer, conversation_id=cid)
    assert again.state is Owner.WAITING
    async with container.uow() as uow:
        await service.close(uow, actor=customer, conversation_id=cid)
        resolved_then_asked = await service.request_human(uow, actor=customer, conversation_id=cid)
    assert resolved_then_asked.state is Owner.WAITING
    async with container.uow(write=False) as uow:
        events = await service.list_events(uow, actor=Actor.system(), conversation_id=cid)
    assert [e.type for e in events] == ["started", "request_human", "resolve", "reopen", "request_human"]
    assert events[1].trigger == Trigger.CUSTOMER_REQUEST.value


async def test_every_ownership_change_tells_the_customer(container: Container) -> None:
    cid, customer = await _start(container, locale="es")
    async with container.uow() as uow:
        await service.request_human(uow, actor=customer, conversation_id=cid)
    notices = [m for m in await _messages(container, customer, cid) if m.author_kind.value == "system"]
    assert len(notices) == 1
    assert "persona" in notices[0].body  # Spanish
    assert notices[0].meta["to"] == "waiting"


async def test_bot_cannot_reply_once_a_human_owns_the_conversation(container: Container) -> None:
    agent = await _staff(container)
    cid, _ = await _start(container)
    async with container.uow() as uow:
        await service.assign(uow, actor=agent, conversation_id=cid)
    with pytest.raises(NotOwnerError):
        await _post(container, Actor.bot(), cid, "Here is an answer")


async def test_agent_public_reply_takes_over_from_the_bot(container: Container) -> None:
    agent = await _staff(container)
    cid, _ = await _start(container)
    await _post(container, agent, cid, "Hi, I'm Ann and I'll help you.")
    async with container.uow(write=False) as uow:
        conversation = await service.access_conversation(uow, actor=agent, conversation_id=cid)
        outcome = await service.get_outcome(uow, actor=agent, conversation_id=cid)
    assert conversation.state is Owner.HUMAN
    assert conversation.assignee_id == agent.staff_id
    assert outcome.human_involved and outcome.first_human_at is not None


async def test_private_notes_are_hidden_from_the_customer(container: Container) -> None:
    agent = await _staff(container)
    cid, customer = await _start(container)
    async with container.uow() as uow:
        await service.post_message(
            uow, actor=agent, conversation_id=cid, data=MessageCreate(body="VIP, be gentle", private=True)
        )
    assert [m.body for m in await _messages(container, agent, cid)] == ["VIP, be gentle"]
    assert await _messages(container, customer, cid) == []
    async with container.uow(write=False) as uow:
        conversation = await service.access_conversation(uow, actor=agent, conversation_id=cid)
    assert conversation.state is Owner.BOT  # a note is not a takeover


async def test_customer_cannot_write_private_notes(container: Container) -> None:
    cid, customer = await _start(container)
    with pytest.raises(PermissionDeniedError):
        async with container.uow() as uow:
            await service.post_message(
                uow, actor=customer, conversation_id=cid, data=MessageCreate(body="psst", private=True)
            )


async def test_leaving_the_queue_is_recorded_as_abandoned(container: Container) -> None:
    cid, customer = await _start(container)
    async with container.uow() as uow:
        await service.request_human(uow, actor=customer, conversation_id=cid)
        await service.close(uow, actor=customer, conversation_id=cid)
    async with container.uow(write=False) as uow:
        outcome = await service.get_outcome(uow, actor=Actor.system(), conversation_id=cid)
    assert outcome.resolved_by == "abandoned"
    assert outcome.escalated and outcome.escalation_trigger == "customer_request"


async def test_resolution_by_the_bot_alone_is_recorded_as_bot(container: Container) -> None:
    cid, customer = await _start(container)
    async with container.uow() as uow:
        await service.close(uow, actor=customer, conversation_id=cid)
    async with container.uow(write=False) as uow:
        outcome = await service.get_outcome(uow, actor=Actor.system(), conversation_id=cid)
    assert outcome.resolved_by == "bot" and not outcome.human_involved


async def test_hand_back_returns_the_conversation_to_the_bot(container: Container) -> None:
    agent = await _staff(container)
    cid, _ = await _start(container)
    async with container.uow() as uow:
        await service.assign(uow, actor=agent, conversation_id=cid)
        back = await service.hand_back(
            uow, actor=agent, conversation_id=cid, reason="order question answered"
        )
    assert back.state is Owner.BOT and back.assignee_id is None and back.tier == 0


async def test_hand_back_from_resolved_is_an_invalid_transition(container: Container) -> None:
    agent = await _staff(container)
    cid, customer = await _start(container)
    async with container.uow() as uow:
        await service.close(uow, actor=customer, conversation_id=cid)
    with pytest.raises(InvalidTransitionError) as refused:
        async with container.uow() as uow:
            await service.hand_back(uow, actor=agent, conversation_id=cid)
    assert "reopen" in refused.value.detail


async def test_only_supervisors_assign_to_someone_else(container: Container) -> None:
    agent = await _staff(container)
    other = await _staff(container, "other@example.com")
    supervisor = await _staff(container, "sup@example.com", Role.SUPERVISOR)
    cid, _ = await _start(container)
    with pytest.raises(PermissionDeniedError):
        async with container.uow() as uow:
            await service.assign(uow, actor=agent, conversation_id=cid, staff_id=other.staff_id)
    async with container.uow() as uow:
        assigned = await service.assign(uow, actor=supervisor, conversation_id=cid, staff_id=other.staff_id)
    assert assigned.assignee_id == other.staff_id


async def test_rating_is_the_customers_and_updates_the_outcome(container: Container) -> None:
    agent = await _staff(container)
    cid, customer = await _start(container)
    with pytest.raises(PermissionDeniedError):
        async with container.uow() as uow:
            await service.rate(uow, actor=agent, conversation_id=cid, data=RatingCreate(csat=5))
    async with container.uow() as uow:
        outcome = await service.rate(
            uow, actor=customer, conversation_id=cid, data=RatingCreate(csat=4, nps=9)
        )
    assert (outcome.csat, outcome.nps) == (4, 9)


async def test_tags_are_added_once_and_removed(container: Container) -> None:
    agent = await _staff(container)
    cid, _ = await _start(container)
    async with container.uow() as uow:
        await service.update_tags(
            uow, actor=agent, conversation_id=cid, data=TagsUpdate(add=["Refund", "refund"])
        )
    async with container.uow() as uow:
        tagged = await service.update_tags(
            uow, actor=agent, conversation_id=cid, data=TagsUpdate(add=["vip"], remove=["refund"])
        )
    assert tagged.tags == ["vip"]


async def test_verified_identity_links_conversations_to_one_customer(container: Container) -> None:
    agent = await _staff(container)
    claims = IdentityClaims(email="Maya@Example.com", phone="+44 7700 900001")
    async with container.uow() as uow:
        first = await service.start_conversation(
            uow, actor=agent, data=ConversationCreate(channel="email", customer=claims)
        )
        second = await service.start_conversation(
            uow,
            actor=agent,
            data=ConversationCreate(channel="sms", customer=IdentityClaims(phone="+447700900001")),
        )
    assert first.conversation.customer_id == second.conversation.customer_id


async def test_unverified_claim_never_joins_a_verified_customer(container: Container) -> None:
    agent = await _staff(container)
    async with container.uow() as uow:
        verified = await service.start_conversation(
            uow, actor=agent, data=ConversationCreate(customer=IdentityClaims(email="maya@example.com"))
        )
        spoofed = await service.start_conversation(
            uow, actor=None, data=ConversationCreate(customer=IdentityClaims(email="maya@example.com"))
        )
    assert spoofed.conversation.customer_id != verified.conversation.customer_id


async def test_widget_token_keeps_a_returning_visitor_on_one_record(container: Container) -> None:
    async with container.uow() as uow:
        first = await service.start_conversation(uow, actor=None, data=ConversationCreate())
        second = await service.start_conversation(
            uow, actor=None, data=ConversationCreate(widget_token=first.widget_token)
        )
    assert first.widget_token and second.widget_token is None
    assert first.conversation.customer_id == second.conversation.customer_id


async def test_retry_after_the_conversation_was_resolved_returns_the_original(container: Container) -> None:
    cid, customer = await _start(container)
    first = await _post(container, customer, cid, "is it in stock?", "c-9")
    async with container.uow() as uow:
        await service.close(uow, actor=customer, conversation_id=cid)
    retry = await _post(container, customer, cid, "is it in stock?", "c-9")
    assert not retry.created and retry.message.id == first.message.id


async def test_bot_retry_after_a_takeover_returns_its_original_reply(container: Container) -> None:
    agent = await _staff(container)
    cid, _ = await _start(container)
    container.uow.relay = None
    first = await _post(container, Actor.bot(), cid, "Here you go", "bot:1")
    async with container.uow() as uow:
        await service.assign(uow, actor=agent, conversation_id=cid)
    retry = await _post(container, Actor.bot(), cid, "Here you go", "bot:1")
    assert not retry.created and retry.message.id == first.message.id


async def test_bot_handoff_decided_before_a_close_does_not_reopen(container: Container) -> None:
    cid, customer = await _start(container)
    async with container.uow() as uow:
        await service.close(uow, actor=customer, conversation_id=cid)
    with pytest.raises(NotOwnerError):
        async with container.uow() as uow:
            await service.request_human(uow, actor=Actor.bot(), conversation_id=cid, trigger=Trigger.BOT_RULE)
    async with container.uow(write=False) as uow:
        conversation = await service.access_conversation(uow, actor=Actor.system(), conversation_id=cid)
    assert conversation.state is Owner.RESOLVED and conversation.episode == 1


async def test_widget_signature_verifies_only_the_signed_identity(container: Container) -> None:
    import hashlib
    import hmac

    agent = await _staff(container)
    async with container.uow() as uow:
        victim = await service.start_conversation(
            uow, actor=agent, data=ConversationCreate(customer=IdentityClaims(external_id="victim-42"))
        )
    signature = hmac.new(b"s3cret", b"attacker@example.com", hashlib.sha256).hexdigest()
    async with container.uow() as uow:
        attacker = await service.start_conversation(
            uow,
            actor=None,
            identity_secret="s3cret",
            data=ConversationCreate(
                customer=IdentityClaims(email="attacker@example.com", external_id="victim-42"),
                identity_signature=signature,
            ),
        )
    assert attacker.conversation.customer_id != victim.conversation.customer_id


async def test_a_client_id_is_no_key_to_someone_elses_message(container: Container) -> None:
    from tandem.conversation.errors import ClientIdTakenError
    from tandem.core.errors import InvalidInputError

    agent = await _staff(container)
    cid, customer = await _start(container)
    async with container.uow() as uow:
        await service.post_message(
            uow,
            actor=agent,
            conversation_id=cid,
            data=MessageCreate(body="fraud suspected", private=True, client_message_id="note-1"),
        )
    with pytest.raises(ClientIdTakenError):
        await _post(container, customer, cid, "hello", "note-1")
    with pytest.raises(InvalidInputError):
        await _post(container, customer, cid, "hello", "bot:2")


async def test_customers_do_not_see_the_bots_trace(container: Container) -> None:
    cid, customer = await _start(container)
    container.uow.relay = None
    async with container.uow() as uow:
        await service.post_message(
            uow,
            actor=Actor.bot(),
            conversation_id=cid,
            data=MessageCreate(body="Hi!"),
            meta={"trace": {"decision": "greeting"}},
        )
    as_customer = await _messages(container, customer, cid)
    as_staff = await _messages(container, Actor.system(), cid)
    assert "trace" not in as_customer[0].meta and as_staff[0].meta["trace"]["decision"] == "greeting"


async def test_an_agent_marks_a_bot_reply_as_a_failure_with_the_right_intent(container: Container) -> None:
    cid, customer = await _start(container)
    await _post(container, customer, cid, "my parcel never came")
    await container.queue.drain()
    agent = Actor.staff(StaffId(1), Role.AGENT)
    messages = await _messages(container, Actor.system(), cid)
    bot_reply = next(m for m in messages if m.author_kind.value == "bot")
    async with container.uow() as uow:
        event = await service.flag_bot_reply(
            uow,
            actor=agent,
            conversation_id=cid,
            seq=bot_reply.seq,
            data=BotFailureIn(correct_intent="missing_package", note="asked for the wrong thing"),
        )
    assert event.type == "bot_failed_here"
    assert (
        event.data["customer_text"] == "my parcel never came"
        and event.data["correct_intent"] == "missing_package"
    )
    customer_seq = next(m.seq for m in messages if m.author_kind.value == "customer")
    with pytest.raises(InvalidInputError, match="not a bot reply"):
        async with container.uow() as uow:
            await service.flag_bot_reply(
                uow, actor=agent, conversation_id=cid, seq=customer_seq, data=BotFailureIn()
            )

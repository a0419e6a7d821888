"""E-mail follow-ups through the services, on both databases: a customer who left an address (the form,
or written in the chat while waiting) or whose address is verified is never abandoned; they are told so in
the chat at once and by e-mail after commit; a person's public replies reach them by e-mail while their
chat is closed; internal notes never do. Jobs stay in the outbox: each test runs them itself."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from conftest import make_settings
from tandem.accounts.actors import Actor, Role
from tandem.bootstrap import Container, build_container
from tandem.conversation import service as conversation_service
from tandem.conversation.errors import FollowUpNotPossibleError, FollowUpPendingError
from tandem.conversation.schemas import ConversationCreate, MessageCreate
from tandem.conversation.state import Owner
from tandem.core.clock import FrozenClock
from tandem.core.errors import InvalidInputError, PermissionDeniedError
from tandem.core.ids import ConversationId, StaffId
from tandem.core.mail import OutboundEmail
from tandem.core.outbox import OutboxRow
from tandem.customers.schemas import IdentityClaims
from tandem.routing import service as routing
from tandem.routing.schemas import AgentProfileIn, Presence

ALEX = StaffId(3)
SUPERVISOR = Actor.staff(StaffId(2), Role.SUPERVISOR, "Sam Supervisor")
MAIL_JOB = conversation_service.FOLLOW_UP_MAIL_JOB


class RecordingSender:
    from_address = "Loom & Lantern support <support@loom.example>"

    def __init__(self) -> None:
        self.sent: list[OutboundEmail] = []

    async def send(self, message: OutboundEmail) -> None:
        self.sent.append(message)


@pytest.fixture
async def desk(demo_database_url: str, tmp_path: Path) -> AsyncIterator[Container]:
    built = build_container(make_settings(demo_database_url, tmp_path, routing_tick_seconds=60))
    await built.start(migrate_schema=False, seed=False, workers=False, bot=False)
    built.uow.relay = None  # jobs stay in the outbox; the tests run them
    built.uow.clock = FrozenClock()
    yield built
    await built.stop()


async def _waiting(
    desk: Container, *, locale: str = "en", email: str | None = None, verified: bool = False
) -> tuple[ConversationId, Actor]:
    """A customer who asked for a person; nobody is online."""
    async with desk.uow() as uow:
        started = await conversation_service.start_conversation(
            uow,
            actor=SUPERVISOR if verified else None,  # staff assert identities; a bare widget does not
            data=ConversationCreate(
                locale=locale,
                customer=IdentityClaims(email=email, name="Maya Lopez"),
                first_message=MessageCreate(body="where is my parcel?"),
            ),
        )
        cid = ConversationId(started.conversation.id)
        customer = Actor.customer(cid, started.conversation.customer_id)  # type: ignore[arg-type]
        await conversation_service.request_human(uow, actor=customer, conversation_id=cid)
    async with desk.uow() as uow:
        seq = (await conversation_service.episode_messages(uow, cid, include_private=True))[-1].seq
        await routing.prepare_handoff(uow, config=desk.routing, crm=desk.crm, conversation_id=cid, seq=seq)
    return cid, customer


async def _leave(desk: Container, cid: int) -> None:
    """The customer's chat was open, then closed for longer than abandon_after_seconds."""
    window = await desk.broker.subscribe(conversation_service.customer_presence_channel(cid))
    assert await desk.abandon_vanished() == 0
    await window.close()
    assert await desk.abandon_vanished() == 0
    assert desk.routing.abandon_after_seconds is not None
    desk.uow.clock.advance(seconds=desk.routing.abandon_after_seconds + 1)  # type: ignore[attr-defined]


async def _mail_jobs(desk: Container) -> list[dict[str, Any]]:
    async with desk.uow(write=False) as uow:
        rows = (await uow.session.scalars(select(OutboxRow).where(OutboxRow.job_name == MAIL_JOB))).all()
    return [dict(row.payload) for row in rows]


async def _run_mail_jobs(desk: Container, sender: RecordingSender) -> list[str | None]:
    return [
        await conversation_service.send_follow_up_mail(
            desk.uow, mail=sender, conversation_id=job["conversation_id"], seq=job["seq"]
        )
        for job in await _mail_jobs(desk)
    ]


async def _conversation(desk: Container, cid: int) -> Any:
    async with desk.uow(write=False) as uow:
        return await conversation_service.access_conversation(uow, actor=SUPERVISOR, conversation_id=cid)


async def _public_system_lines(desk: Container, cid: int) -> list[str]:
    async with desk.uow(write=False) as uow:
        messages = await conversation_service.episode_messages(uow, cid, include_private=False)
    return [m.body for m in messages if m.author_kind.value == "system"]


async def test_a_customer_who_left_an_email_stays_open_for_a_person_and_is_confirmed(desk: Container) -> None:
    cid, customer = await _waiting(desk, locale="es")
    async with desk.uow() as uow:
        status = await routing.request_follow_up(
            uow, actor=customer, config=desk.routing, conversation_id=cid, email=" Ana@Correo.es "
        )
    assert status.follow_up_email == "ana@correo.es" and status.state == "waiting"
    told = await _public_system_lines(desk, cid)
    assert "enviaremos la respuesta a ana@correo.es" in told[-1]  # in the chat at once, in Spanish
    await _leave(desk, cid)
    assert await desk.abandon_vanished() == 0
    conversation = await _conversation(desk, cid)
    assert conversation.state is Owner.WAITING and conversation.follow_up_email == "ana@correo.es"
    sender = RecordingSender()
    assert len(await _run_mail_jobs(desk, sender)) == 1
    [confirmation] = sender.sent
    assert confirmation.to == "ana@correo.es" and confirmation.language == "es"
    assert "conversación sigue abierta" in confirmation.text
    assert await _run_mail_jobs(desk, sender) == [None]  # the job again (a retry): not sent twice
    async with desk.uow() as uow:  # the same address again changes nothing
        await routing.request_follow_up(
            uow, actor=customer, config=desk.routing, conversation_id=cid, email="ana@correo.es"
        )
    assert len(await _public_system_lines(desk, cid)) == len(told)


async def test_an_address_written_in_the_chat_while_waiting_is_a_follow_up(desk: Container) -> None:
    cid, customer = await _waiting(desk)
    async with desk.uow() as uow:
        await conversation_service.post_message(
            uow, actor=customer, conversation_id=cid,
            data=MessageCreate(body="Nobody there? You can reach me at Maya.Lopez@example.com, thanks"),
        )  # fmt: skip
    assert (await _conversation(desk, cid)).follow_up_email == "maya.lopez@example.com"
    assert "we'll send the reply to maya.lopez@example.com" in (await _public_system_lines(desk, cid))[-1]
    await _leave(desk, cid)
    assert await desk.abandon_vanished() == 0
    assert (await _conversation(desk, cid)).state is Owner.WAITING


async def test_an_address_given_to_the_bot_is_not_a_follow_up(desk: Container) -> None:
    async with desk.uow() as uow:
        started = await conversation_service.start_conversation(
            uow, actor=None,
            data=ConversationCreate(first_message=MessageCreate(body="order ORD-10002, my email is a@b.example")),
        )  # fmt: skip
    conversation = await _conversation(desk, started.conversation.id)
    assert conversation.state is Owner.BOT and conversation.follow_up_email is None
    assert await _mail_jobs(desk) == []


async def test_a_verified_customer_who_leaves_gets_an_email_follow_up_instead(desk: Container) -> None:
    cid, _ = await _waiting(desk, locale="de", email="maya@example.com", verified=True)
    await _leave(desk, cid)
    assert await desk.abandon_vanished() == 0
    conversation = await _conversation(desk, cid)
    assert conversation.state is Owner.WAITING and conversation.follow_up_email == "maya@example.com"
    assert "wir antworten Ihnen per E-Mail an maya@example.com" in (await _public_system_lines(desk, cid))[-1]
    sender = RecordingSender()
    await _run_mail_jobs(desk, sender)
    assert [m.to for m in sender.sent] == ["maya@example.com"]
    assert "Sie haben den Chat verlassen" in sender.sent[0].text
    async with desk.uow(write=False) as uow:
        events = await conversation_service.list_events(uow, actor=SUPERVISOR, conversation_id=cid)
    requested = next(e for e in events if e.type == "follow_up_requested")
    assert requested.data["source"] == "verified_identity"


async def test_a_customer_we_cannot_reach_who_leaves_is_abandoned(desk: Container) -> None:
    cid, _ = await _waiting(desk, email="claimed@example.com", verified=False)  # a claim proves nothing
    await _leave(desk, cid)
    assert await desk.abandon_vanished() == 1
    async with desk.uow(write=False) as uow:
        outcome = await conversation_service.get_outcome(uow, actor=SUPERVISOR, conversation_id=cid)
    assert outcome.resolved_by == "abandoned"
    assert await _mail_jobs(desk) == []


async def test_a_person_s_public_reply_is_emailed_and_notes_never_are(desk: Container) -> None:
    cid, customer = await _waiting(desk, locale="fr")
    async with desk.uow() as uow:
        await routing.request_follow_up(
            uow, actor=customer, config=desk.routing, conversation_id=cid, email="maya@example.com"
        )
    await _leave(desk, cid)
    async with desk.uow() as uow:
        await routing.update_profile(uow, actor=SUPERVISOR, config=desk.routing, staff_id=ALEX,
                                     data=AgentProfileIn(languages=["fr"]))  # fmt: skip
        await routing.set_presence(uow, actor=Actor.staff(ALEX, Role.AGENT), config=desk.routing,
                                   presence=Presence.ONLINE)  # fmt: skip
    agent = Actor.staff(ALEX, Role.AGENT, "Alex Rivera")
    async with desk.uow() as uow:
        await routing.assign(uow, actor=agent, config=desk.routing, conversation_id=cid)
        await conversation_service.post_message(
            uow, actor=agent, conversation_id=cid,
            data=MessageCreate(body="Customer seems upset, refund approved by Sam", private=True),
        )  # fmt: skip
        reply = await conversation_service.post_message(
            uow, actor=agent, conversation_id=cid,
            data=MessageCreate(body="Bonjour Maya, votre colis <ORD-10002> arrive demain."),
        )  # fmt: skip
    jobs = await _mail_jobs(desk)
    assert [job["seq"] for job in jobs][-1] == reply.message.seq  # a job for the reply, none for the note
    assert len(jobs) == 2  # the confirmation and the reply
    sender = RecordingSender()
    await _run_mail_jobs(desk, sender)
    confirmation, answer = sender.sent
    assert "Alex Rivera, de notre équipe, vous a répondu" in answer.text
    assert "votre colis <ORD-10002> arrive demain." in answer.text
    assert answer.html is not None and "&lt;ORD-10002&gt;" in answer.html
    assert all("refund approved" not in m.text for m in sender.sent)
    assert answer.in_reply_to == confirmation.message_id
    assert answer.references[-1] == confirmation.message_id and answer.subject.startswith("Re: ")
    # back in the chat: the next reply is read there, not e-mailed
    window = await desk.broker.subscribe(conversation_service.customer_presence_channel(cid))
    async with desk.uow() as uow:
        live = await conversation_service.post_message(
            uow, actor=agent, conversation_id=cid, data=MessageCreate(body="Autre chose ?")
        )
    assert (
        await conversation_service.send_follow_up_mail(
            desk.uow, mail=sender, conversation_id=cid, seq=live.message.seq
        )
        is None
    )
    await window.close()
    assert len(sender.sent) == 2


async def test_a_follow_up_is_refused_where_it_makes_no_sense(desk: Container) -> None:
    async with desk.uow() as uow:
        started = await conversation_service.start_conversation(
            uow, actor=None, data=ConversationCreate(first_message=MessageCreate(body="hi"))
        )
    cid = ConversationId(started.conversation.id)
    customer = Actor.customer(cid, started.conversation.customer_id)  # type: ignore[arg-type]
    with pytest.raises(FollowUpNotPossibleError, match="Ask for a person first"):
        async with desk.uow() as uow:
            await conversation_service.request_follow_up(
                uow, actor=customer, conversation_id=cid, email="a@example.com"
            )
    waiting, waiting_customer = await _waiting(desk)
    with pytest.raises(InvalidInputError):
        async with desk.uow() as uow:
            await conversation_service.request_follow_up(
                uow, actor=waiting_customer, conversation_id=waiting, email="not an address"
            )
    with pytest.raises(PermissionDeniedError):  # another conversation's customer
        async with desk.uow() as uow:
            await conversation_service.request_follow_up(
                uow, actor=customer, conversation_id=waiting, email="a@example.com"
            )
    with pytest.raises(PermissionDeniedError):  # staff do not choose for the customer
        async with desk.uow() as uow:
            await conversation_service.request_follow_up(
                uow, actor=SUPERVISOR, conversation_id=waiting, email="a@example.com"
            )


async def test_nothing_automatic_closes_a_case_owed_an_email(desk: Container) -> None:
    cid, customer = await _waiting(desk)
    async with desk.uow() as uow:
        await conversation_service.request_follow_up(
            uow, actor=customer, conversation_id=cid, email="maya@example.com"
        )
    with pytest.raises(FollowUpPendingError):  # a sweep, a timeout, `tandem conversations close`
        async with desk.uow() as uow:
            await conversation_service.close(uow, actor=Actor.system(), conversation_id=cid, abandoned=True)
    assert (await _conversation(desk, cid)).state is Owner.WAITING
    async with desk.uow() as uow:  # a person may close it
        await conversation_service.close(uow, actor=SUPERVISOR, conversation_id=cid)
    assert (await _conversation(desk, cid)).state is Owner.RESOLVED

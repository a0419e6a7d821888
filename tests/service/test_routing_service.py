"""Handoff to routing, end to end through the services, on both databases: packet, queue, offers, 409s,
transfers, overrides, abandonment and SLA breaches. Jobs stay in the outbox; each test runs the routing
steps itself, with a clock it moves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from conftest import make_settings
from tandem.accounts.actors import Actor, Role
from tandem.bootstrap import Container, build_container
from tandem.conversation import service as conversation_service
from tandem.conversation.schemas import ConversationCreate, MessageCreate
from tandem.conversation.state import Owner, Trigger
from tandem.core.clock import FrozenClock
from tandem.core.config_file import PolicyFileError
from tandem.core.errors import InvalidInputError, PermissionDeniedError
from tandem.core.ids import ConversationId, StaffId
from tandem.customers.schemas import IdentityClaims
from tandem.routing import overrides, sla
from tandem.routing import service as routing
from tandem.routing.errors import (
    AgentUnavailableError,
    NotTransferableError,
    OfferNotFoundError,
    OverrideNotAllowedError,
)
from tandem.routing.schemas import AgentProfileIn, EscalateIn, OverrideIn, Presence, TransferIn

ALEX, CHLOE, JONAS, PRIYA = StaffId(3), StaffId(4), StaffId(5), StaffId(6)
SUPERVISOR = Actor.staff(StaffId(2), Role.SUPERVISOR, "Sam Supervisor")


def agent(staff_id: StaffId) -> Actor:
    return Actor.staff(staff_id, Role.AGENT)


@pytest.fixture
async def floor(demo_database_url: str, tmp_path: Path) -> AsyncIterator[Container]:
    built = build_container(make_settings(demo_database_url, tmp_path, routing_tick_seconds=60))
    await built.start(migrate_schema=False, seed=False, workers=False, bot=False)
    built.uow.relay = None  # jobs stay in the outbox; the tests run the routing steps themselves
    built.uow.clock = FrozenClock()
    yield built
    await built.stop()


async def _handoff(
    floor: Container,
    *,
    body: str = "where is my parcel ORD-10002?",
    trigger: Trigger = Trigger.CUSTOMER_REQUEST,
    evidence: dict[str, object] | None = None,
    email: str | None = "maya@example.com",
    locale: str = "en",
) -> ConversationId:
    async with floor.uow() as uow:
        started = await conversation_service.start_conversation(
            uow,
            actor=SUPERVISOR,  # staff assert the identity, as a server-side integration would
            data=ConversationCreate(
                locale=locale,
                customer=IdentityClaims(email=email, name="Maya Lopez"),
                first_message=MessageCreate(body=body),
            ),
        )
        cid = ConversationId(started.conversation.id)
        await conversation_service.request_human(
            uow, actor=Actor.bot(), conversation_id=cid, trigger=trigger, reason="test", evidence=evidence
        )
    await _prepare(floor, cid)
    return cid


async def _prepare(floor: Container, cid: int) -> None:
    async with floor.uow() as uow:
        view = (await conversation_service.routing_views(uow, [cid]))[cid]
        seq = (await conversation_service.episode_messages(uow, cid, include_private=True))[-1].seq
        assert view.state is Owner.WAITING
        await routing.prepare_handoff(uow, config=floor.routing, crm=floor.crm, conversation_id=cid, seq=seq)


async def _online(floor: Container, *staff: StaffId, capacity: int = 2) -> None:
    async with floor.uow() as uow:
        for staff_id in staff:
            await routing.update_profile(
                uow,
                actor=SUPERVISOR,
                config=floor.routing,
                staff_id=staff_id,
                data=AgentProfileIn(languages=["en"], capacity=capacity),
            )
            await routing.set_presence(
                uow, actor=agent(staff_id), config=floor.routing, presence=Presence.ONLINE
            )


async def _messages(floor: Container, cid: int) -> list[tuple[str, bool, str]]:
    async with floor.uow(write=False) as uow:
        messages = await conversation_service.episode_messages(uow, cid, include_private=True)
    return [(m.author_kind.value, m.private, m.body) for m in messages]


async def _state(floor: Container, cid: int) -> tuple[Owner, int | None]:
    async with floor.uow(write=False) as uow:
        view = (await conversation_service.routing_views(uow, [cid]))[cid]
    return view.state, view.assignee_id


async def test_handoff_posts_the_packet_and_tells_the_customer_nobody_is_online(floor: Container) -> None:
    cid = await _handoff(floor)
    messages = await _messages(floor, cid)
    notes = [body for author, private, body in messages if private]
    assert len(notes) == 1 and notes[0].startswith("Handoff:")
    assert "Maya" in notes[0] and "Suggested first reply" in notes[0]
    public = [body for author, private, body in messages if author == "system" and not private]
    assert "Nobody from our team is online" in public[-1]
    async with floor.uow() as uow:
        packet = await routing.get_packet(uow, actor=agent(ALEX), conversation_id=cid)
        status = await routing.queue_status(uow, actor=agent(ALEX), config=floor.routing, conversation_id=cid)
    assert packet.packet["customer"]["known_to_crm"] is True
    assert packet.packet["customer"]["orders"], "the CRM's recent orders are in the packet"
    assert packet.packet["transcript"][0]["body"] == "where is my parcel ORD-10002?"
    assert status.position == 1 and status.expected_wait_seconds is None and status.agents_online == 0


async def test_an_unverified_visitor_gets_no_crm_record_in_the_packet(floor: Container) -> None:
    async with floor.uow() as uow:
        started = await conversation_service.start_conversation(
            uow,
            actor=None,  # the widget, unsigned: the e-mail is only a claim
            data=ConversationCreate(
                customer=IdentityClaims(email="maya@example.com"), first_message=MessageCreate(body="hi")
            ),
        )
        cid = ConversationId(started.conversation.id)
        await conversation_service.request_human(uow, actor=Actor.bot(), conversation_id=cid)
    await _prepare(floor, cid)
    async with floor.uow() as uow:
        packet = await routing.get_packet(uow, actor=agent(ALEX), conversation_id=cid)
    assert packet.packet["customer"]["known_to_crm"] is False


async def test_an_online_agent_gets_the_offer_and_accepting_assigns(floor: Container) -> None:
    await _online(floor, ALEX)
    cid = await _handoff(floor)
    public = [body for author, private, body in await _messages(floor, cid) if not private]
    assert "You're next in the queue" in public[-1]
    async with floor.uow() as uow:
        report = await routing.dispatch(uow, config=floor.routing)
    assert report.offered == 1
    async with floor.uow() as uow:
        offers = await routing.list_offers(uow, actor=agent(ALEX))
        assert [offer.conversation_id for offer in offers] == [cid]
        await routing.accept_offer(uow, actor=agent(ALEX), conversation_id=cid)
    assert await _state(floor, cid) == (Owner.HUMAN, ALEX)


async def test_an_ignored_offer_goes_to_the_next_agent(floor: Container) -> None:
    await _online(floor, ALEX, PRIYA)
    cid = await _handoff(floor)
    async with floor.uow() as uow:
        await routing.dispatch(uow, config=floor.routing)
        first = (await routing.list_offers(uow, actor=agent(ALEX))) or (
            await routing.list_offers(uow, actor=agent(PRIYA))
        )
    ignored_by = ALEX if (await _offers_of(floor, ALEX)) else PRIYA
    assert first
    floor.uow.clock.advance(seconds=floor.routing.offer_timeout_seconds + 1)  # type: ignore[attr-defined]
    async with floor.uow() as uow:
        report = await routing.dispatch(uow, config=floor.routing)
    assert report.expired == 1 and report.offered == 1
    other = PRIYA if ignored_by == ALEX else ALEX
    assert await _offers_of(floor, other) == [cid]
    assert await _offers_of(floor, ignored_by) == []
    async with floor.uow(write=False) as uow:
        events = [
            e.type for e in await conversation_service.list_events(uow, actor=SUPERVISOR, conversation_id=cid)
        ]
    assert "offer_expired" in events


async def _offers_of(floor: Container, staff_id: StaffId) -> list[int]:
    async with floor.uow(write=False) as uow:
        return [offer.conversation_id for offer in await routing.list_offers(uow, actor=agent(staff_id))]


async def test_assigning_to_an_offline_or_full_agent_is_409_with_the_reason(floor: Container) -> None:
    cid = await _handoff(floor)
    with pytest.raises(AgentUnavailableError, match="offline"):
        async with floor.uow() as uow:
            await routing.assign(
                uow, actor=SUPERVISOR, config=floor.routing, conversation_id=cid, staff_id=ALEX
            )
    await _online(floor, ALEX, capacity=1)
    busy = await _handoff(floor, body="another question")
    async with floor.uow() as uow:
        await routing.assign(uow, actor=SUPERVISOR, config=floor.routing, conversation_id=busy, staff_id=ALEX)
    with pytest.raises(AgentUnavailableError, match="1 of 1"):
        async with floor.uow() as uow:
            await routing.assign(
                uow, actor=SUPERVISOR, config=floor.routing, conversation_id=cid, staff_id=ALEX
            )
    assert (await _state(floor, cid))[0] is Owner.WAITING


async def test_transfers_carry_the_packet_and_closed_conversations_cannot_move(floor: Container) -> None:
    await _online(floor, ALEX, PRIYA)
    cid = await _handoff(floor)
    async with floor.uow() as uow:
        await routing.assign(uow, actor=agent(ALEX), config=floor.routing, conversation_id=cid)
    async with floor.uow() as uow:
        await routing.transfer(
            uow,
            actor=agent(ALEX),
            config=floor.routing,
            conversation_id=cid,
            data=TransferIn(staff_id=PRIYA, note="needs a refund decision"),
        )
    assert await _state(floor, cid) == (Owner.HUMAN, PRIYA)
    async with floor.uow() as uow:
        packet = await routing.get_packet(uow, actor=agent(PRIYA), conversation_id=cid)
    assert packet.packet["transcript"][0]["body"] == "where is my parcel ORD-10002?"
    assert packet.packet["transfers"][-1]["note"] == "needs a refund decision"
    async with floor.uow() as uow:
        await routing.escalate(
            uow,
            actor=agent(PRIYA),
            config=floor.routing,
            conversation_id=cid,
            data=EscalateIn(to="tier2", reason="refund over limit"),
        )
    await _prepare(floor, cid)
    async with floor.uow() as uow:
        status = await routing.queue_status(
            uow, actor=agent(PRIYA), config=floor.routing, conversation_id=cid
        )
        packet = await routing.get_packet(uow, actor=agent(PRIYA), conversation_id=cid)
    assert status.queue == "tier2"
    assert len(packet.packet["transfers"]) == 2 and packet.packet["summary"]["goal"]
    async with floor.uow() as uow:
        await conversation_service.close(uow, actor=SUPERVISOR, conversation_id=cid)
    with pytest.raises(NotTransferableError, match="closed"):
        async with floor.uow() as uow:
            await routing.transfer(
                uow,
                actor=agent(ALEX),
                config=floor.routing,
                conversation_id=cid,
                data=TransferIn(queue="general"),
            )


async def test_a_sentiment_escalation_can_be_overridden_once_and_goes_back_to_the_bot(
    floor: Container,
) -> None:
    evidence = {
        "trace": {
            "escalation": {
                "rule": "frustration",
                "evidence": {"score": 0.64, "language": "en"},
                "threshold": 0.6,
            }
        },
        "seq": 1,
    }
    cid = await _handoff(floor, body="this is SO slow!!", trigger=Trigger.SENTIMENT, evidence=evidence)
    async with floor.uow() as uow:
        await overrides.override_escalation(
            uow,
            actor=agent(ALEX),
            conversation_id=cid,
            data=OverrideIn(reason="just excited, simple question"),
        )
    assert (await _state(floor, cid))[0] is Owner.BOT
    with pytest.raises(OverrideNotAllowedError):
        async with floor.uow() as uow:
            await overrides.override_escalation(
                uow, actor=agent(ALEX), conversation_id=cid, data=OverrideIn(reason="again")
            )
    async with floor.uow(write=False) as uow:
        rows = await overrides.calibration(uow, actor=SUPERVISOR, thresholds={"*": 0.6}, days=7)
    english = next(row for row in rows if row.locale == "en")
    assert english.overrides == 1 and english.sentiment_escalations == 1
    plain = await _handoff(floor, body="agent please")
    with pytest.raises(OverrideNotAllowedError, match="customer_request"):
        async with floor.uow() as uow:
            await overrides.override_escalation(
                uow, actor=agent(ALEX), conversation_id=plain, data=OverrideIn(reason="nope")
            )


async def test_a_customer_who_closes_the_chat_while_waiting_leaves_the_queue(floor: Container) -> None:
    """Presence is whether the customer's live connection holds the presence channel; a customer seen, then
    gone for ``abandon_after_seconds``, is abandoned when we cannot reach them (no address); one who came
    back, one who never connected (an API client) and one who asked for an e-mail are not (a verified
    address is a way to reach them too: tests/service/test_follow_up.py)."""
    after = floor.routing.abandon_after_seconds
    assert after is not None
    gone = await _handoff(floor, email=None)
    back = await _handoff(floor, email="tom@example.com")
    never = await _handoff(floor, email="ana@example.com")
    mailed = await _handoff(floor, email="lee@example.com")
    async with floor.uow() as uow:
        customer = Actor.customer(
            mailed, (await conversation_service.routing_views(uow, [mailed]))[mailed].customer_id
        )  # type: ignore[arg-type]
        await routing.request_follow_up(
            uow, actor=customer, config=floor.routing, conversation_id=mailed, email="lee@example.com"
        )
    broker = floor.broker
    windows = {
        cid: await broker.subscribe(conversation_service.customer_presence_channel(cid))
        for cid in (gone, back, mailed)
    }
    assert await floor.abandon_vanished() == 0  # everyone with an open chat is seen
    for cid in (gone, back, mailed):
        await windows[cid].close()
    assert await floor.abandon_vanished() == 0  # gone since now
    floor.uow.clock.advance(seconds=after / 2)  # type: ignore[attr-defined]
    windows[back] = await broker.subscribe(conversation_service.customer_presence_channel(back))
    assert await floor.abandon_vanished() == 0  # the customer reloaded the page: the clock restarts
    floor.uow.clock.advance(seconds=after / 2 + 1)  # type: ignore[attr-defined]
    assert await floor.abandon_vanished() == 1
    assert (await _state(floor, gone))[0] is Owner.RESOLVED
    for cid in (back, never, mailed):
        assert (await _state(floor, cid))[0] is Owner.WAITING
    async with floor.uow(write=False) as uow:
        outcome = await conversation_service.get_outcome(uow, actor=SUPERVISOR, conversation_id=gone)
    assert outcome.resolved_by == "abandoned"
    await windows[back].close()


async def test_a_conversation_an_agent_took_is_never_abandoned(floor: Container) -> None:
    cid = await _handoff(floor)
    await _online(floor, ALEX)
    async with floor.uow() as uow:
        await routing.dispatch(uow, config=floor.routing)
    async with floor.uow() as uow:
        await routing.accept_offer(uow, actor=agent(ALEX), conversation_id=cid)
    async with floor.uow() as uow:
        assert await routing.abandon(uow, config=floor.routing, conversation_id=cid) is False
    assert await _state(floor, cid) == (Owner.HUMAN, ALEX)


async def test_leaving_the_queue_is_abandonment_with_the_time_waited(floor: Container) -> None:
    cid = await _handoff(floor)
    floor.uow.clock.advance(seconds=95)  # type: ignore[attr-defined]
    async with floor.uow() as uow:
        customer = Actor.customer(
            cid, (await conversation_service.routing_views(uow, [cid]))[cid].customer_id
        )  # type: ignore[arg-type]
        await conversation_service.close(uow, actor=customer, conversation_id=cid)
    async with floor.uow(write=False) as uow:
        outcome = await conversation_service.get_outcome(uow, actor=SUPERVISOR, conversation_id=cid)
        events = await conversation_service.list_events(uow, actor=SUPERVISOR, conversation_id=cid)
    assert outcome.resolved_by == "abandoned"
    resolve = next(e for e in events if e.type == "resolve")
    assert resolve.data["waited_seconds"] == pytest.approx(95, abs=1)
    async with floor.uow() as uow:
        report = await routing.dispatch(uow, config=floor.routing)
    assert report.closed == 1


async def test_sla_breaches_are_recorded_once(floor: Container) -> None:
    cid = await _handoff(floor)
    floor.uow.clock.advance(seconds=floor.routing.sla.first_response_seconds + 5)  # type: ignore[attr-defined]
    async with floor.uow() as uow:
        assert await sla.check_sla(uow, config=floor.routing) == 1
    async with floor.uow() as uow:
        assert await sla.check_sla(uow, config=floor.routing) == 0
        timers = await sla.list_sla(uow, actor=SUPERVISOR, config=floor.routing)
    assert timers[0].conversation_id == cid and timers[0].breached


async def test_a_bad_rules_file_stops_the_start_naming_file_and_line(
    demo_database_url: str, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "version: 1\nrules:\n  - rule: explicit_request\n  - rule: frustration\n    threshold: 7\n"
    )
    with pytest.raises(
        PolicyFileError, match=r"rules.yaml:5: rules\[1\].threshold: 7 is out of range; allowed: 0.0 to 1.0"
    ):
        build_container(make_settings(demo_database_url, tmp_path, escalation_rules=rules))


async def test_an_offer_cannot_be_accepted_once_a_colleague_has_taken_the_conversation(
    floor: Container,
) -> None:
    await _online(floor, ALEX, PRIYA)
    cid = await _handoff(floor)
    async with floor.uow() as uow:
        await routing.dispatch(uow, config=floor.routing)
    offered_to = ALEX if await _offers_of(floor, ALEX) else PRIYA
    colleague = PRIYA if offered_to == ALEX else ALEX
    async with floor.uow() as uow:  # the colleague answers publicly: that takes the conversation over
        await conversation_service.post_message(
            uow, actor=agent(colleague), conversation_id=cid, data=MessageCreate(body="I'm on it")
        )
    with pytest.raises(OfferNotFoundError, match="no longer waiting"):
        async with floor.uow() as uow:
            await routing.accept_offer(uow, actor=agent(offered_to), conversation_id=cid)
    assert await _state(floor, cid) == (Owner.HUMAN, colleague)


async def test_only_the_holder_or_a_supervisor_moves_a_colleagues_conversation(floor: Container) -> None:
    await _online(floor, ALEX, PRIYA)
    cid = await _handoff(floor)
    async with floor.uow() as uow:
        await routing.assign(uow, actor=agent(ALEX), config=floor.routing, conversation_id=cid)
    with pytest.raises(PermissionDeniedError):
        async with floor.uow() as uow:
            await routing.assign(uow, actor=agent(PRIYA), config=floor.routing, conversation_id=cid)
    with pytest.raises(PermissionDeniedError):
        async with floor.uow() as uow:
            await routing.transfer(
                uow,
                actor=agent(PRIYA),
                config=floor.routing,
                conversation_id=cid,
                data=TransferIn(queue="billing"),
            )
    with pytest.raises(PermissionDeniedError):
        async with floor.uow() as uow:
            await routing.escalate(
                uow,
                actor=agent(PRIYA),
                config=floor.routing,
                conversation_id=cid,
                data=EscalateIn(to="tier2", reason="mine now"),
            )
    assert await _state(floor, cid) == (Owner.HUMAN, ALEX)
    async with floor.uow() as uow:  # a supervisor may
        await routing.transfer(
            uow, actor=SUPERVISOR, config=floor.routing, conversation_id=cid, data=TransferIn(staff_id=PRIYA)
        )
    assert await _state(floor, cid) == (Owner.HUMAN, PRIYA)


async def test_asking_again_after_closing_puts_the_customer_back_in_the_queue(floor: Container) -> None:
    cid = await _handoff(floor)
    async with floor.uow() as uow:
        customer = Actor.customer(
            cid, (await conversation_service.routing_views(uow, [cid]))[cid].customer_id
        )  # type: ignore[arg-type]
        await conversation_service.close(uow, actor=customer, conversation_id=cid)
        await conversation_service.request_human(uow, actor=customer, conversation_id=cid)
    await _prepare(floor, cid)
    async with floor.uow(write=False) as uow:
        status = await routing.queue_status(uow, actor=agent(ALEX), config=floor.routing, conversation_id=cid)
    assert status.state == "waiting" and status.position == 1 and status.queue


async def test_a_handoff_job_for_a_customer_who_already_left_does_nothing(floor: Container) -> None:
    async with floor.uow() as uow:
        started = await conversation_service.start_conversation(
            uow, actor=None, data=ConversationCreate(first_message=MessageCreate(body="agent please"))
        )
        cid = ConversationId(started.conversation.id)
        await conversation_service.request_human(uow, actor=Actor.bot(), conversation_id=cid)
        seq = (await conversation_service.episode_messages(uow, cid, include_private=True))[-1].seq
        await conversation_service.close(uow, actor=Actor.system(), conversation_id=cid)
    async with floor.uow() as uow:
        await routing.prepare_handoff(uow, config=floor.routing, crm=floor.crm, conversation_id=cid, seq=seq)
    assert not [body for _, private, body in await _messages(floor, cid) if private]


async def test_going_away_withdraws_offers_without_excluding_the_agent(floor: Container) -> None:
    await _online(floor, ALEX)
    cid = await _handoff(floor)
    async with floor.uow() as uow:
        await routing.dispatch(uow, config=floor.routing)
    async with floor.uow() as uow:
        await routing.set_presence(uow, actor=agent(ALEX), config=floor.routing, presence=Presence.AWAY)
    assert await _offers_of(floor, ALEX) == []
    async with floor.uow() as uow:
        await routing.set_presence(uow, actor=agent(ALEX), config=floor.routing, presence=Presence.ONLINE)
        await routing.dispatch(uow, config=floor.routing)
    assert await _offers_of(floor, ALEX) == [cid]


async def test_a_transfer_keeps_the_original_trigger_so_the_override_still_applies(floor: Container) -> None:
    await _online(floor, ALEX)
    evidence = {
        "trace": {"escalation": {"rule": "frustration", "evidence": {"score": 0.7}, "threshold": 0.6}}
    }
    cid = await _handoff(floor, trigger=Trigger.SENTIMENT, evidence=evidence)
    async with floor.uow() as uow:
        await routing.assign(uow, actor=agent(ALEX), config=floor.routing, conversation_id=cid)
    async with floor.uow() as uow:
        await routing.transfer(
            uow,
            actor=agent(ALEX),
            config=floor.routing,
            conversation_id=cid,
            data=TransferIn(queue="billing"),
        )
    await _prepare(floor, cid)
    async with floor.uow() as uow:
        packet = await routing.get_packet(uow, actor=agent(ALEX), conversation_id=cid)
        assert packet.trigger == "sentiment"
        await overrides.override_escalation(
            uow, actor=agent(ALEX), conversation_id=cid, data=OverrideIn(reason="fine after all")
        )
    assert (await _state(floor, cid))[0] is Owner.BOT


async def test_escalation_reasons_come_from_the_fixed_taxonomy(floor: Container) -> None:
    cid = await _handoff(floor)
    async with floor.uow() as uow:
        await routing.tag_escalation_reason(
            uow, actor=agent(ALEX), config=floor.routing, conversation_id=cid, code="missing_knowledge"
        )
        await routing.tag_escalation_reason(
            uow, actor=agent(ALEX), config=floor.routing, conversation_id=cid, code="policy_exception"
        )
    with pytest.raises(InvalidInputError, match="Reasons: bot_misunderstood"):
        async with floor.uow() as uow:
            await routing.tag_escalation_reason(
                uow, actor=agent(ALEX), config=floor.routing, conversation_id=cid, code="vibes"
            )
    async with floor.uow(write=False) as uow:
        tags = (
            await conversation_service.access_conversation(uow, actor=agent(ALEX), conversation_id=cid)
        ).tags
    assert tags == ["reason:policy_exception"]  # one reason; a new one replaces the old

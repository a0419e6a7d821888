"""Presence follows the agent's live console connections, through the services on both databases with a
clock the tests move: the grace period (a reload changes nothing, a closed console makes the agent offline),
what routing, the queue's estimate, transfers and the supervisor's list then say (one answer), coming back
to the presence chosen, API clients that never connect, and conversations of an agent who stays away
going back to the queue."""

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
from tandem.core.connections import LiveConnection
from tandem.core.ids import ConversationId, StaffId
from tandem.customers.schemas import IdentityClaims
from tandem.routing import presence as routing_presence
from tandem.routing import service as routing
from tandem.routing.errors import AgentUnavailableError
from tandem.routing.schemas import AgentOut, AgentProfileIn, Presence, TransferIn

ALEX, PRIYA = StaffId(3), StaffId(6)
SUPERVISOR = Actor.staff(StaffId(2), Role.SUPERVISOR, "Sam Supervisor")
GRACE = 30.0


def agent(staff_id: StaffId) -> Actor:
    return Actor.staff(staff_id, Role.AGENT)


@pytest.fixture
async def floor(demo_database_url: str, tmp_path: Path) -> AsyncIterator[Container]:
    built = build_container(
        make_settings(demo_database_url, tmp_path, routing_tick_seconds=60, presence_grace_seconds=GRACE)
    )
    await built.start(migrate_schema=False, seed=False, workers=False, bot=False)
    built.uow.relay = None  # jobs stay in the outbox; the tests run the routing steps themselves
    built.uow.clock = FrozenClock()
    yield built
    await built.stop()


def _clock(floor: Container) -> FrozenClock:
    clock = floor.uow.clock
    assert isinstance(clock, FrozenClock)
    return clock


async def _profile(floor: Container, *staff: StaffId) -> None:
    async with floor.uow() as uow:
        for staff_id in staff:
            await routing.update_profile(
                uow,
                actor=SUPERVISOR,
                config=floor.routing,
                staff_id=staff_id,
                data=AgentProfileIn(languages=["en"], capacity=2),
            )


async def _open_console(floor: Container, staff_id: StaffId) -> LiveConnection:
    """What the gateway does when a console tab connects."""
    connection = await floor.connections.open(routing_presence.connection_key(staff_id))
    async with floor.uow() as uow:
        await routing_presence.agent_connected(
            uow, config=floor.routing, staff_id=staff_id, grace=floor.presence_grace
        )
    return connection


async def _choose(floor: Container, staff_id: StaffId, presence: Presence) -> AgentOut:
    async with floor.uow() as uow:
        return await routing.set_presence(
            uow,
            actor=agent(staff_id),
            config=floor.routing,
            presence=presence,
            connections=floor.connections,
            grace=floor.presence_grace,
        )


async def _me(floor: Container, staff_id: StaffId) -> AgentOut:
    async with floor.uow() as uow:
        agents = await routing.list_agents(uow, actor=SUPERVISOR, config=floor.routing)
    return next(a for a in agents if a.staff_id == staff_id)


async def _handoff(floor: Container, body: str = "where is my parcel ORD-10002?") -> ConversationId:
    async with floor.uow() as uow:
        started = await conversation_service.start_conversation(
            uow,
            actor=SUPERVISOR,
            data=ConversationCreate(
                locale="en",
                customer=IdentityClaims(email="maya@example.com", name="Maya Lopez"),
                first_message=MessageCreate(body=body),
            ),
        )
        cid = ConversationId(started.conversation.id)
        await conversation_service.request_human(
            uow, actor=Actor.bot(), conversation_id=cid, trigger=Trigger.CUSTOMER_REQUEST, reason="test"
        )
    await _prepare(floor, cid)
    return cid


async def _prepare(floor: Container, cid: int) -> None:
    async with floor.uow() as uow:
        seq = (await conversation_service.episode_messages(uow, cid, include_private=True))[-1].seq
        await routing.prepare_handoff(uow, config=floor.routing, crm=floor.crm, conversation_id=cid, seq=seq)


async def _offers(floor: Container, staff_id: StaffId) -> list[int]:
    async with floor.uow(write=False) as uow:
        return [offer.conversation_id for offer in await routing.list_offers(uow, actor=agent(staff_id))]


async def _tick(floor: Container) -> int:
    """The routing ticker's presence step."""
    return await floor.track_agents()


async def _status(floor: Container, cid: int) -> tuple[int | None, float | None, int]:
    async with floor.uow(write=False) as uow:
        status = await routing.queue_status(uow, actor=SUPERVISOR, config=floor.routing, conversation_id=cid)
    return status.position, status.expected_wait_seconds, status.agents_online


async def test_a_closed_console_makes_the_agent_offline_after_the_grace_and_everything_agrees(
    floor: Container,
) -> None:
    await _profile(floor, ALEX)
    console = await _open_console(floor, ALEX)
    assert (await _choose(floor, ALEX, Presence.ONLINE)).presence is Presence.ONLINE
    cid = await _handoff(floor)
    async with floor.uow() as uow:
        assert (await routing.dispatch(uow, config=floor.routing)).offered == 1
    assert await _offers(floor, ALEX) == [cid]
    assert await _status(floor, cid) == (1, 30.0, 1)  # "about 1 minute"

    await console.close()  # the agent closed the tab
    await _tick(floor)
    me = await _me(floor, ALEX)
    assert me.presence is Presence.ONLINE and not me.connected  # the grace runs: a reload changes nothing
    _clock(floor).advance(seconds=GRACE - 1)
    await _tick(floor)
    assert (await _me(floor, ALEX)).presence is Presence.ONLINE

    _clock(floor).advance(seconds=2)
    await _tick(floor)
    me = await _me(floor, ALEX)
    assert me.presence is Presence.OFFLINE and me.chosen_presence is Presence.ONLINE
    assert me.connection_lost and me.last_seen_at is not None
    assert await _offers(floor, ALEX) == []  # withdrawn at once, not left to expire
    assert await _status(floor, cid) == (1, None, 0)  # nobody online: no promise of a short wait
    async with floor.uow() as uow:
        queues = await routing.list_queues(uow, actor=SUPERVISOR, config=floor.routing)
        report = await routing.dispatch(uow, config=floor.routing)
    assert all(queue.agents_online == 0 for queue in queues)
    assert report.offered == 0, "never offered to an agent who is not there"
    async with floor.uow(write=False) as uow:
        events = await conversation_service.list_events(uow, actor=SUPERVISOR, conversation_id=cid)
    withdrawn = [e for e in events if e.type == "offer_withdrawn"]
    assert len(withdrawn) == 1 and not [e for e in events if e.type == "offer_expired"]

    await _profile(floor, PRIYA)
    await _open_console(floor, PRIYA)
    await _choose(floor, PRIYA, Presence.ONLINE)
    async with floor.uow() as uow:
        await routing.assign(uow, actor=agent(PRIYA), config=floor.routing, conversation_id=cid)
    with pytest.raises(AgentUnavailableError, match="offline"):  # not a transfer target
        async with floor.uow() as uow:
            await routing.transfer(
                uow,
                actor=agent(PRIYA),
                config=floor.routing,
                conversation_id=cid,
                data=TransferIn(staff_id=ALEX),
            )


async def test_the_waiting_customer_hears_at_once_that_nobody_is_online(floor: Container) -> None:
    await _profile(floor, ALEX)
    console = await _open_console(floor, ALEX)
    await _choose(floor, ALEX, Presence.ONLINE)
    cid = await _handoff(floor)
    live = await floor.broker.subscribe(conversation_service.conversation_channel(cid))
    await console.close()
    await _tick(floor)
    _clock(floor).advance(seconds=GRACE + 1)
    await _tick(floor)
    await floor.route()  # the routing round the presence change asked for
    frames = []
    iterator = live.__aiter__()
    while not live.queue.empty():  # type: ignore[attr-defined]
        frames.append(await iterator.__anext__())
    queue_frames = [f["status"] for f in frames if f.get("kind") == "queue"]
    assert queue_frames[-1] == {"position": 1, "expected_wait_seconds": None, "agents_online": 0}
    await live.close()


async def test_a_reload_within_the_grace_changes_nothing(floor: Container) -> None:
    await _profile(floor, ALEX)
    console = await _open_console(floor, ALEX)
    await _choose(floor, ALEX, Presence.ONLINE)
    cid = await _handoff(floor)
    async with floor.uow() as uow:
        await routing.dispatch(uow, config=floor.routing)
    await console.close()
    await _tick(floor)
    _clock(floor).advance(seconds=3)
    async with floor.uow() as uow:
        assert (await routing.dispatch(uow, config=floor.routing)).offered == 0  # it is still his
    console = await _open_console(floor, ALEX)  # the page is back
    _clock(floor).advance(seconds=GRACE * 3)
    await _tick(floor)
    me = await _me(floor, ALEX)
    assert me.presence is Presence.ONLINE and me.connected and not me.connection_lost
    assert await _offers(floor, ALEX) == [cid]  # the offer survived the reload
    await console.close()


async def test_no_new_offers_reach_an_agent_while_their_console_reconnects(floor: Container) -> None:
    await _profile(floor, ALEX)
    console = await _open_console(floor, ALEX)
    await _choose(floor, ALEX, Presence.ONLINE)
    await console.close()
    await _tick(floor)
    cid = await _handoff(floor)
    async with floor.uow() as uow:
        assert (await routing.dispatch(uow, config=floor.routing)).offered == 0
    assert (await _status(floor, cid))[2] == 1  # still counted as online during the grace
    await _open_console(floor, ALEX)
    async with floor.uow() as uow:
        assert (await routing.dispatch(uow, config=floor.routing)).offered == 1
    assert await _offers(floor, ALEX) == [cid]


async def test_an_agent_who_comes_back_returns_to_the_presence_they_chose(floor: Container) -> None:
    await _profile(floor, ALEX)
    console = await _open_console(floor, ALEX)
    await _choose(floor, ALEX, Presence.AWAY)
    await console.close()
    await _tick(floor)
    _clock(floor).advance(seconds=GRACE + 1)
    await _tick(floor)
    assert (await _me(floor, ALEX)).presence is Presence.OFFLINE
    await _open_console(floor, ALEX)
    me = await _me(floor, ALEX)
    assert me.presence is Presence.AWAY and me.chosen_presence is Presence.AWAY and me.connected


async def test_a_tab_open_elsewhere_keeps_the_agent_online(floor: Container) -> None:
    await _profile(floor, ALEX)
    first = await _open_console(floor, ALEX)
    second = await _open_console(floor, ALEX)
    await _choose(floor, ALEX, Presence.ONLINE)
    await first.close()
    _clock(floor).advance(seconds=GRACE * 2)
    await _tick(floor)
    assert (await _me(floor, ALEX)).presence is Presence.ONLINE
    await second.close()
    await _tick(floor)
    _clock(floor).advance(seconds=GRACE + 1)
    await _tick(floor)
    assert (await _me(floor, ALEX)).presence is Presence.OFFLINE


async def test_an_api_client_that_never_opened_the_console_keeps_the_presence_it_set(
    floor: Container,
) -> None:
    await _profile(floor, ALEX)
    assert (await _choose(floor, ALEX, Presence.ONLINE)).presence is Presence.ONLINE
    _clock(floor).advance(hours=2)
    await _tick(floor)
    me = await _me(floor, ALEX)
    assert me.presence is Presence.ONLINE and not me.follows_connections


async def test_choosing_online_with_every_tab_closed_takes_effect_when_the_console_is_back(
    floor: Container,
) -> None:
    """A supervisor sets a colleague online who has closed the console: routing does not pretend they
    are there; they are online as soon as a tab connects."""
    await _profile(floor, ALEX)
    console = await _open_console(floor, ALEX)
    await _choose(floor, ALEX, Presence.AWAY)
    await console.close()
    await _tick(floor)
    _clock(floor).advance(seconds=GRACE + 1)
    await _tick(floor)
    async with floor.uow() as uow:
        out = await routing.set_presence(
            uow,
            actor=SUPERVISOR,
            config=floor.routing,
            presence=Presence.ONLINE,
            staff_id=ALEX,
            connections=floor.connections,
            grace=floor.presence_grace,
        )
    assert out.presence is Presence.OFFLINE and out.chosen_presence is Presence.ONLINE
    await _open_console(floor, ALEX)
    assert (await _me(floor, ALEX)).presence is Presence.ONLINE


async def test_conversations_of_an_agent_who_stays_away_go_back_to_the_queue(floor: Container) -> None:
    after = floor.routing.requeue_after_disconnect_seconds
    assert after is not None and after > GRACE
    await _profile(floor, ALEX)
    console = await _open_console(floor, ALEX)
    await _choose(floor, ALEX, Presence.ONLINE)
    cid = await _handoff(floor)
    async with floor.uow() as uow:
        await routing.assign(uow, actor=agent(ALEX), config=floor.routing, conversation_id=cid)
    await console.close()
    await _tick(floor)
    _clock(floor).advance(seconds=GRACE + 1)
    assert await _tick(floor) == 0
    async with floor.uow(write=False) as uow:
        view = (await conversation_service.routing_views(uow, [cid]))[cid]
    assert (view.state, view.assignee_id) == (Owner.HUMAN, ALEX)  # offline, but still his for a while

    _clock(floor).advance(seconds=after)
    newer = await _handoff(floor, body="and another question, agent please")  # a new arrival
    assert await _tick(floor) == 1
    assert await _tick(floor) == 0  # once
    async with floor.uow(write=False) as uow:
        view = (await conversation_service.routing_views(uow, [cid]))[cid]
        messages = await conversation_service.episode_messages(uow, cid, include_private=False)
        events = await conversation_service.list_events(uow, actor=SUPERVISOR, conversation_id=cid)
    assert view.state is Owner.WAITING and view.assignee_id is None
    assert "lost their connection" in messages[-1].body  # the customer is told, in plain words
    requeue = [e for e in events if e.type == "requeue"][-1]
    assert "Alex Rivera lost their connection" in (requeue.reason or "")
    await _prepare(floor, cid)  # the handoff job the requeue queued
    async with floor.uow(write=False) as uow:
        packet = await routing.get_packet(uow, actor=SUPERVISOR, conversation_id=cid)
        places = await routing.queue_places(uow, [cid, newer])
    assert "lost their connection" in (packet.packet["transfers"][-1]["reason"] or "")
    assert places[cid].priority > places[newer].priority  # ahead of the ones who came later
    assert (await _status(floor, cid))[0] == 1


async def test_an_agent_back_in_time_keeps_their_conversations(floor: Container) -> None:
    after = floor.routing.requeue_after_disconnect_seconds
    assert after is not None
    await _profile(floor, ALEX)
    console = await _open_console(floor, ALEX)
    await _choose(floor, ALEX, Presence.ONLINE)
    cid = await _handoff(floor)
    async with floor.uow() as uow:
        await routing.assign(uow, actor=agent(ALEX), config=floor.routing, conversation_id=cid)
    await console.close()
    await _tick(floor)
    _clock(floor).advance(seconds=after - 10)
    await _tick(floor)
    await _open_console(floor, ALEX)
    _clock(floor).advance(seconds=60)
    assert await _tick(floor) == 0
    async with floor.uow(write=False) as uow:
        view = (await conversation_service.routing_views(uow, [cid]))[cid]
    assert (view.state, view.assignee_id) == (Owner.HUMAN, ALEX)
    async with floor.uow() as uow:  # and a stale decision is checked again under the locks
        assert not await routing_presence.return_to_queue(
            uow, config=floor.routing, staff_id=ALEX, conversation_id=cid
        )


def test_the_effective_presence_rule() -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    grace = timedelta(seconds=30)

    def rule(chosen: Presence, *, follows: bool, connected: bool, seen: float | None) -> Presence:
        return routing_presence.effective_presence(
            chosen=chosen,
            follows_connections=follows,
            connected=connected,
            last_seen_at=None if seen is None else now - timedelta(seconds=seen),
            now=now,
            grace=grace,
        )

    assert rule(Presence.ONLINE, follows=False, connected=False, seen=None) is Presence.ONLINE
    assert rule(Presence.ONLINE, follows=True, connected=True, seen=3600) is Presence.ONLINE
    assert rule(Presence.ONLINE, follows=True, connected=False, seen=29) is Presence.ONLINE
    assert rule(Presence.ONLINE, follows=True, connected=False, seen=30) is Presence.OFFLINE
    assert rule(Presence.AWAY, follows=True, connected=False, seen=31) is Presence.OFFLINE
    assert rule(Presence.OFFLINE, follows=True, connected=True, seen=0) is Presence.OFFLINE

"""Agent presence that follows the console's live connections.

An agent chooses a presence (online, away, offline). What everything else uses (offers, the transfer
targets, the queue's expected wait and "agents online", the supervisor view, the API) is one stored value,
``routing_agents.presence``, and only this module writes it:

- while a console tab of the agent is open (the socket ``/api/v1/live/agent``, on any instance): the
  presence they chose;
- when the last tab closes: still the chosen presence for the grace period (``TANDEM_PRESENCE_GRACE_SECONDS``,
  a reload or a network blip), though no new offers reach them; then **offline, connection lost**: pending
  offers are withdrawn (without excluding the agent) and a routing round runs at once, so the offers go to
  colleagues and waiting customers hear the new estimate, or that nobody is online;
- when a tab connects again: the chosen presence, at once;
- after ``requeue_after_disconnect_seconds`` without a tab (routing.yaml, 300 s; null: never): the
  conversations they still hold go back to the queue they came from, ahead of new arrivals, with the
  handoff packet and a note saying why; the customer is told, and supervisors see it on the floor.

The connections are counted by a ``ConnectionRegistry`` (in-process, or in Redis with a heartbeat and a TTL
so that an instance that dies stops counting). The routing ticker compares the counts with the stored state
and writes only changes, never a row per heartbeat.

An API client that never opened a live connection (an integration, a script, a benchmark) keeps the
presence it set: presence follows the connections of agents who use the live console, and setting one's
own presence with no tab open switches that off again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tandem.accounts import service as accounts_service
from tandem.accounts.actors import Actor, Role
from tandem.conversation import service as conversation_service
from tandem.conversation.state import Owner
from tandem.core.connections import ConnectionRegistry
from tandem.core.errors import NotFoundError
from tandem.core.ids import ConversationId, StaffId
from tandem.core.uow import UnitOfWork
from tandem.routing import repository
from tandem.routing import service as routing_service
from tandem.routing.config import RoutingConfig
from tandem.routing.models import AgentProfile
from tandem.routing.schemas import AgentOut, Presence

DEFAULT_GRACE = timedelta(seconds=30)


def connection_key(staff_id: int) -> str:
    """The registry key of an agent's live console connections."""
    return f"agent:{staff_id}"


def effective_presence(
    *,
    chosen: Presence,
    follows_connections: bool,
    connected: bool,
    last_seen_at: datetime | None,
    now: datetime,
    grace: timedelta,
) -> Presence:
    """What routing uses: the chosen presence, unless it follows live connections, none is open, and the
    last one was seen longer than ``grace`` ago; then offline."""
    if chosen is Presence.OFFLINE or not follows_connections or connected:
        return chosen
    if last_seen_at is not None and now - last_seen_at < grace:
        return chosen
    return Presence.OFFLINE


def _effective(profile: AgentProfile, *, now: datetime, grace: timedelta) -> Presence:
    return effective_presence(
        chosen=Presence(profile.chosen),
        follows_connections=profile.follows_connections,
        connected=profile.connected,
        last_seen_at=profile.last_seen_at,
        now=now,
        grace=grace,
    )


async def _open_tabs(connections: ConnectionRegistry | None, staff_id: int) -> int | None:
    if connections is None:
        return None
    counts = await connections.counts([connection_key(staff_id)])
    return None if counts is None else counts.get(connection_key(staff_id), 0)


def _seen(profile: AgentProfile, now: datetime) -> None:
    profile.follows_connections = True
    profile.connected = True
    profile.last_seen_at = now


async def _apply(
    uow: UnitOfWork, profile: AgentProfile, presence: Presence, *, announce: bool = False
) -> None:
    """Store the presence routing uses. A change withdraws pending offers when the agent no longer takes
    conversations and asks for a routing round (waiting customers are told their new estimate)."""
    changed = profile.presence != presence.value
    if changed:
        profile.presence = presence.value
        profile.presence_changed_at = uow.clock.now()
        if presence is not Presence.ONLINE:
            for entry in await repository.offers_for(uow.session, profile.staff_id):
                await routing_service._lapse(uow, entry, reason="offer_withdrawn")
        conversation_service.enqueue_dispatch(uow)
    if changed or announce:
        signal = {
            "kind": "presence",
            "staff_id": profile.staff_id,
            "presence": profile.presence,
            "chosen_presence": profile.chosen,
            "connected": profile.connected,
            "connection_lost": profile.connection_lost,
        }
        uow.publish(routing_service.ROUTING_CHANNEL, signal)  # supervisors, queue views
        uow.publish(routing_service.staff_channel(profile.staff_id), signal)  # the agent's other tabs


async def _require_profile(uow: UnitOfWork, config: RoutingConfig, staff_id: int) -> AgentProfile:
    profile = (await routing_service._profiles(uow, config)).get(staff_id)
    if profile is None:
        raise NotFoundError(f"No active staff account with id {staff_id}.")
    return profile


async def _out(uow: UnitOfWork, config: RoutingConfig, staff_id: int) -> AgentOut:
    await uow.session.flush()
    return (await routing_service._agents_out(uow, config, only={staff_id}))[0]


async def set_presence(
    uow: UnitOfWork,
    *,
    actor: Actor,
    config: RoutingConfig,
    presence: Presence,
    staff_id: StaffId | None = None,
    connections: ConnectionRegistry | None = None,
    grace: timedelta = DEFAULT_GRACE,
) -> AgentOut:
    """The agent (or a supervisor for them) chooses a presence. It takes effect at once while a console tab
    is open (or for an API client); for an agent whose tabs are all closed it takes effect when one
    connects again."""
    caller = routing_service.require_person(actor)
    target = staff_id or caller
    if target != caller:
        actor.require_staff(Role.SUPERVISOR)
    profile = await _require_profile(uow, config, target)
    now = uow.clock.now()
    tabs = await _open_tabs(connections, target)
    if tabs:
        _seen(profile, now)
    elif tabs == 0 and target == caller:
        profile.follows_connections = False  # set through the API with no console open: kept as set
        profile.connected = False
    profile.chosen_presence = presence.value
    await _apply(uow, profile, _effective(profile, now=now, grace=grace), announce=True)
    return await _out(uow, config, target)


async def agent_connected(
    uow: UnitOfWork, *, config: RoutingConfig, staff_id: StaffId, grace: timedelta = DEFAULT_GRACE
) -> AgentOut:
    """A console tab of the agent opened its live connection: presence follows the connections from now
    on, and an agent who was offline because their tabs had closed is back in the presence they chose."""
    profile = await _require_profile(uow, config, staff_id)
    was_connected = profile.connected and profile.follows_connections
    _seen(profile, uow.clock.now())
    if not was_connected:
        await _apply(uow, profile, _effective(profile, now=uow.clock.now(), grace=grace), announce=True)
    return await _out(uow, config, staff_id)


async def track_agents(
    uow: UnitOfWork,
    *,
    config: RoutingConfig,
    connections: ConnectionRegistry,
    grace: timedelta = DEFAULT_GRACE,
) -> list[tuple[int, int]]:
    """The routing ticker's presence check: who has a console tab open (on any instance), who lost the last
    one (the grace starts), whose grace ran out (offline), and who came back. Returns (agent, conversation)
    of the conversations held by agents without a tab for ``requeue_after_disconnect_seconds``: the caller
    gives each back to the queue in its own transaction (``return_to_queue``). When the registry cannot
    tell (Redis down), nothing changes."""
    await repository.lock_dispatch(uow.session, uow.dialect)  # one writer of routing rows at a time
    tracked = [p for p in (await routing_service._profiles(uow, config)).values() if p.follows_connections]
    if not tracked:
        return []
    counts = await connections.counts([connection_key(p.staff_id) for p in tracked])
    if counts is None:
        return []
    now = uow.clock.now()
    for profile in tracked:
        if counts.get(connection_key(profile.staff_id), 0) > 0:
            if not profile.connected:
                _seen(profile, now)  # a tab on another instance, or the registry caught up
        elif profile.connected:
            profile.connected = False  # the last tab closed since the previous check: the grace starts
            profile.last_seen_at = now
        await _apply(uow, profile, _effective(profile, now=now, grace=grace))
    after = config.requeue_after_disconnect_seconds
    if after is None:
        return []
    cutoff = now - timedelta(seconds=after)
    gone = [
        p.staff_id
        for p in tracked
        if not p.connected and p.last_seen_at is not None and p.last_seen_at <= cutoff
    ]
    return await conversation_service.held_conversations(uow, gone)


async def return_to_queue(
    uow: UnitOfWork, *, config: RoutingConfig, staff_id: int, conversation_id: int
) -> bool:
    """Give a conversation of an agent who has had no console tab for ``requeue_after_disconnect_seconds``
    back to its queue (checked again under the locks: an agent who came back, or a colleague who took it
    meanwhile, keeps it). The customer is told their agent lost the connection; the packet goes along with
    a note; the entry gets the ``returned`` priority."""
    view = await conversation_service.lock_for_routing(uow, conversation_id)
    if view.state is not Owner.HUMAN or view.assignee_id != staff_id:
        return False
    profile = await repository.lock_profile(uow.session, staff_id)
    after = config.requeue_after_disconnect_seconds
    now = uow.clock.now()
    if (
        profile is None
        or after is None
        or not profile.follows_connections
        or profile.connected
        or profile.last_seen_at is None
        or (now - profile.last_seen_at).total_seconds() < after
    ):
        return False
    name = (await accounts_service.get_staff_names(uow, {staff_id})).get(staff_id, f"Staff {staff_id}")
    minutes = max(1, round((now - profile.last_seen_at).total_seconds() / 60))
    queue = (await routing_service.last_queues(uow, [conversation_id])).get(conversation_id)
    reason = f"{name} lost their connection (no console open for {minutes} min)"
    await conversation_service.requeue(
        uow,
        actor=Actor.system(),
        conversation_id=ConversationId(conversation_id),
        tier=max(1, view.tier),
        reason=reason,
        data={"queue": queue, "note": reason, "by_name": None, "returned": True, "from_staff_id": staff_id},
        notice_key="agent_lost",
    )
    uow.publish(
        routing_service.ROUTING_CHANNEL,
        {"kind": "returned", "conversation_id": conversation_id, "staff_id": staff_id},
    )
    return True

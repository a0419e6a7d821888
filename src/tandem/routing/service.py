"""Routing use cases: from the moment a conversation waits for a person to the moment one has it.

- ``prepare_handoff`` (a job, after the transition committed): build and store the handoff packet, post it
  as a private note, put the conversation in its queue, and tell the customer their place and expected wait
  (or, honestly, that nobody is online).
- ``dispatch`` (a job after every load change, and on the ticker): expire ignored offers, drop entries whose
  conversation left the queue, recover waiting conversations without an entry, and offer the rest with the
  pure ``Router``.
- ``accept_offer`` / ``decline_offer`` / ``assign`` / ``transfer`` / ``escalate``: what people do, each
  checked for presence and capacity (409 with the reason).
- ``check_sla``: first- and next-response timers with one breach event each.

Presence (what the agent chose, and whether a console tab is open) is decided in ``routing/presence.py``.

Every function takes the caller's unit of work and never commits.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog

from tandem.accounts import service as accounts_service
from tandem.accounts.actors import Actor, Role
from tandem.accounts.schemas import StaffOut
from tandem.conversation import service as conversation_service
from tandem.conversation.errors import ConversationNotFoundError
from tandem.conversation.notices import notice, wait_text
from tandem.conversation.schemas import MessageCreate, TagsUpdate
from tandem.conversation.state import Owner, Transition
from tandem.core.broker import Broker
from tandem.core.connections import ConnectionRegistry
from tandem.core.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from tandem.core.ids import ConversationId, CustomerId, StaffId
from tandem.core.uow import UnitOfWork
from tandem.customers import service as customers_service
from tandem.customers.crm import CrmConnector
from tandem.routing import repository
from tandem.routing.config import QueueConfig, RoutingConfig
from tandem.routing.engine import AgentSlot, Router, WaitingItem, expected_wait_seconds
from tandem.routing.errors import (
    AgentUnavailableError,
    NotTransferableError,
    OfferNotFoundError,
)
from tandem.routing.handoff import TranscriptLine, build_packet, carry_over
from tandem.routing.models import AgentProfile, EscalationOverride, HandoffPacket, QueueEntry
from tandem.routing.schemas import (
    AgentOut,
    AgentProfileIn,
    DispatchReport,
    EscalateIn,
    IntentCorrectionIn,
    OfferOut,
    PacketOut,
    Presence,
    QueueOut,
    QueueStatus,
    ReasonOut,
    TransferIn,
)

log = structlog.get_logger(__name__)
SUPERVISOR_TIER = 3
ROUTING_CHANNEL = "routing"  # live queue and agent changes for consoles
HANDOFF_NOTE_PREFIX = "handoff:"


def staff_channel(staff_id: int) -> str:
    return f"staff:{staff_id}"


# --- handoff --------------------------------------------------------------------------------------------


async def prepare_handoff(
    uow: UnitOfWork, *, config: RoutingConfig, crm: CrmConnector | None, conversation_id: int, seq: int
) -> None:
    """Runs once per move to the queue (``seq`` is the transition notice's, or a negative stamp for a move
    without one). Safe to retry: the packet's source and the notes' client ids derive from it."""
    source = f"{HANDOFF_NOTE_PREFIX}{conversation_id}:{seq}"
    try:
        view = await conversation_service.lock_for_routing(uow, conversation_id)
    except ConversationNotFoundError:
        return  # erased before the job ran
    if view.state not in (Owner.WAITING, Owner.HUMAN):
        return  # the customer left, or it went back to the bot: nobody needs a packet now
    escalation = await conversation_service.latest_escalation(uow, conversation_id)
    data = dict(escalation.data) if escalation else {}
    previous = await repository.latest_packet(uow.session, conversation_id)
    if previous is not None and previous.episode != view.episode:
        previous = None
    existing = await repository.packet_by_source(uow.session, source)
    requeued = escalation is not None and escalation.type == Transition.REQUEUE.value
    if existing is not None:
        body = existing.packet  # a retry: the packet and its note are already stored
    elif requeued and previous is not None:
        body = carry_over(
            previous.packet,
            transfer={
                "by": data.get("by_name"),
                "to": data.get("queue") or f"tier {data.get('tier')}",
                "reason": escalation.reason if escalation else None,
                "note": data.get("note"),
                "at": uow.clock.now().isoformat(),
            },
        )
    else:
        body = await _new_packet(uow, crm=crm, view=view, escalation_data=data, escalation=escalation)
    # A requeue keeps the reason the customer first came to a person (priority, Tier-2 rules, overrides).
    trigger = (
        previous.trigger
        if requeued and previous is not None
        else (str(escalation.trigger) if escalation and escalation.trigger else None)
    )
    tier, skill = _needs(config, data=data, trigger=trigger, packet=body)
    queue = (
        config.queue(data["queue"])
        if data.get("queue")
        else config.choose_queue(tier=tier, skill=skill, language=language_of(view.locale))
    )
    if existing is None:
        body["summary"]["queue"] = queue.name
        uow.session.add(
            HandoffPacket(
                conversation_id=conversation_id,
                episode=view.episode,
                source=source,
                trigger=trigger,
                rule=body["summary"].get("rule"),
                packet=body,
                created_at=uow.clock.now(),
            )
        )
        await conversation_service.post_message(
            uow,
            actor=Actor.system(),
            conversation_id=ConversationId(conversation_id),
            data=MessageCreate(body=body["note"], private=True, client_message_id=source),
            meta={"event": "handoff_packet", "queue": queue.name},
        )
    if view.state is not Owner.WAITING:
        return  # someone took it before this job ran: they still get the packet
    await _enqueue(
        uow,
        config=config,
        view=view,
        queue=queue,
        tier=tier,
        trigger=trigger,
        priority=_priority(
            config, trigger=trigger, packet=body, tier=tier, returned=bool(data.get("returned"))
        ),
        since=escalation.created_at if escalation else None,
    )
    await _tell_customer_where(
        uow, config=config, conversation_id=conversation_id, locale=view.locale, seq=seq
    )
    uow.publish(ROUTING_CHANNEL, {"kind": "queued", "conversation_id": conversation_id, "queue": queue.name})


async def _enqueue(
    uow: UnitOfWork,
    *,
    config: RoutingConfig,
    view: conversation_service.RoutingView,
    queue: QueueConfig,
    tier: int,
    trigger: str | None,
    priority: int,
    since: datetime | None,
) -> None:
    """One open entry per conversation: entries of earlier episodes are closed; an entry older than this
    move (a transfer while waiting) is replaced (the customer's follow-up address is the conversation's,
    so it stays); a retry finds its own entry and changes nothing."""
    now = uow.clock.now()
    for entry in await repository.open_entries_of(uow.session, view.id):
        if entry.episode == view.episode and (since is None or entry.enqueued_at >= since):
            return
        entry.status = "closed"
        entry.closed_at = now
    requirement_tier, requirement_skill, language = config.requirements(
        queue, tier=tier, language=language_of(view.locale)
    )
    uow.session.add(
        QueueEntry(
            conversation_id=view.id,
            episode=view.episode,
            queue=queue.name,
            tier=requirement_tier,
            skill=requirement_skill,
            language=language,
            priority=priority,
            status="waiting",
            trigger=trigger,
            enqueued_at=now,
            excluded=[],
        )
    )
    await uow.session.flush()


async def _new_packet(
    uow: UnitOfWork,
    *,
    crm: CrmConnector | None,
    view: conversation_service.RoutingView,
    escalation_data: dict[str, Any],
    escalation: Any,
) -> dict[str, Any]:
    messages = await conversation_service.episode_messages(uow, view.id, include_private=False)
    transcript = [
        TranscriptLine(
            seq=m.seq,
            author=m.author_kind.value,
            body=m.body,
            at=m.created_at.isoformat(),
            trace=(
                {**m.meta["trace"], "in_reply_to": m.meta.get("in_reply_to")} if m.meta.get("trace") else None
            ),
            author_name=m.author_name,
        )
        for m in messages
    ]
    trace = escalation_data.get("trace") or {}
    found = trace.get("escalation") if isinstance(trace, dict) else None
    customer = await customers_service.require_customer(uow, customer_id=CustomerId(view.customer_id))
    profile = await customers_service.find_crm_profile(crm, customer)
    return build_packet(
        transcript=transcript,
        trigger=str(escalation.trigger) if escalation and escalation.trigger else None,
        reason=escalation.reason if escalation else None,
        escalation=found,
        customer_name=customer.display_name,
        profile=profile,
        locale=view.locale,
    )


def language_of(locale: str) -> str:
    return locale.split("-")[0].lower()


def _needs(
    config: RoutingConfig,
    *,
    data: dict[str, Any],
    trigger: str | None,
    packet: dict[str, Any],
) -> tuple[int, str | None]:
    """(tier, skill) of this handoff: Tier 2 for the configured triggers or an agent's escalation; the
    skill from the intent's topic."""
    tier = int(data.get("tier") or 1)
    if trigger in config.tier2_triggers:
        tier = max(tier, 2)
    intent = (packet["summary"].get("intent") or {}).get("intent")
    return tier, config.skill_of(intent)


def _priority(
    config: RoutingConfig, *, trigger: str | None, packet: dict[str, Any], tier: int, returned: bool = False
) -> int:
    weights = config.priority
    priority = weights.returned if returned else 0  # the agent who had it lost their connection
    if trigger == "sentiment" or packet["summary"].get("sentiment", {}).get("direction") == "rising":
        priority += weights.frustrated
    if trigger == "sensitive_topic":
        priority += weights.sensitive_topic
    membership = (packet.get("customer") or {}).get("membership")
    priority += weights.membership.get(membership, 0) if membership else 0
    if tier >= 2:
        priority += weights.tier2
    return priority


async def _tell_customer_where(
    uow: UnitOfWork, *, config: RoutingConfig, conversation_id: int, locale: str, seq: int
) -> None:
    status = await _status(uow, config=config, conversation_id=conversation_id)
    if status.agents_online == 0 or status.expected_wait_seconds is None:
        text = notice(locale, "no_agents")
    elif status.position == 1:
        text = notice(locale, "queue_next", wait=wait_text(locale, status.expected_wait_seconds))
    else:
        text = notice(
            locale,
            "queue_position",
            position=str(status.position),
            wait=wait_text(locale, status.expected_wait_seconds),
        )
    await conversation_service.post_message(
        uow,
        actor=Actor.system(),
        conversation_id=ConversationId(conversation_id),
        data=MessageCreate(body=text, client_message_id=f"queue:{conversation_id}:{seq}"),
        meta={
            "event": "queue_status",
            "position": status.position,
            "expected_wait_seconds": status.expected_wait_seconds,
            "agents_online": status.agents_online,
        },
    )


# --- dispatch -------------------------------------------------------------------------------------------


async def dispatch(uow: UnitOfWork, *, config: RoutingConfig, announce: bool = True) -> DispatchReport:
    """One routing round. Waiting customers are told their new place when something changed (or always,
    with ``announce``: after a handoff or a freed slot)."""
    report = DispatchReport()
    await repository.lock_dispatch(uow.session, uow.dialect)
    now = uow.clock.now()
    for entry in await repository.expired_offers(uow.session, now):
        await _lapse(uow, entry, reason="offer_expired")
        report.expired += 1
    entries = await repository.open_entries(uow.session)
    views = await conversation_service.routing_views(uow, [entry.conversation_id for entry in entries])
    live: list[QueueEntry] = []
    for entry in entries:
        view = views.get(entry.conversation_id)
        if view is None or view.state is not Owner.WAITING or view.episode != entry.episode:
            entry.status = "assigned" if view is not None and view.state is Owner.HUMAN else "closed"
            entry.assigned_to = view.assignee_id if view is not None else None
            entry.closed_at = now
            report.closed += 1
        else:
            live.append(entry)
    report.recovered = await _recover_orphans(uow, {entry.conversation_id for entry in live})
    waiting = [entry for entry in live if entry.status == "waiting"]
    if not waiting:
        return report
    await _offer_round(uow, config=config, report=report, waiting=waiting)
    if announce or report.offered or report.assigned or report.expired or report.closed:
        await _announce_positions(uow, config=config, entries=live)  # offered ones are still waiting too
    return report


async def _offer_round(
    uow: UnitOfWork, *, config: RoutingConfig, report: DispatchReport, waiting: list[QueueEntry]
) -> DispatchReport:
    now = uow.clock.now()
    router = Router(policy=config.engine_policy())
    router.add_agents(await _agent_slots(uow, config))
    by_id = {entry.conversation_id: entry for entry in waiting}
    items = [_item(entry, config=config, now=now) for entry in waiting]
    for decision in router.plan(items, now.timestamp()):
        entry = by_id[decision.conversation_id]
        if config.auto_accept:
            view = await conversation_service.lock_for_routing(uow, entry.conversation_id)
            if view.state is not Owner.WAITING or view.episode != entry.episode:
                continue  # it left the queue since the read above; the next round closes the entry
            await _assign_entry(uow, entry, staff_id=StaffId(decision.staff_id), actor=Actor.system())
            report.assigned += 1
        else:
            await _offer(uow, entry, staff_id=decision.staff_id, config=config)
            report.offered += 1
    return report


RECOVER_AFTER = timedelta(seconds=60)
HANDLE_TIME_WINDOW = timedelta(days=7)
HANDLE_TIME_SAMPLES = 20  # fewer recent conversations than this: the configured average is better


async def _handle_seconds(uow: UnitOfWork, config: RoutingConfig) -> float:
    """The median time people took on recent conversations (first person joined → resolved), or the
    configured average until there are enough of them."""
    samples = await conversation_service.recent_handle_seconds(
        uow, since=uow.clock.now() - HANDLE_TIME_WINDOW
    )
    if len(samples) < HANDLE_TIME_SAMPLES:
        return config.average_handle_seconds
    return statistics.median(samples)


@dataclass(frozen=True)
class _Place:
    position: int
    expected_wait_seconds: float | None
    agents_online: int


def _places(
    entries: list[QueueEntry], *, config: RoutingConfig, now: datetime, agents: list[AgentSlot], handle: float
) -> dict[int, _Place]:
    """Each waiting conversation's place in its queue, expected wait and the agents who could take it."""
    policy = config.engine_policy()
    by_queue: dict[str, list[QueueEntry]] = {}
    for entry in entries:
        by_queue.setdefault(entry.queue, []).append(entry)
    places: dict[int, _Place] = {}
    for members in by_queue.values():
        items = Router(policy=policy).order(
            [_item(e, config=config, now=now) for e in members], now.timestamp()
        )
        for position, item in enumerate(items, start=1):
            tier, skill, language, _ = policy.effective(item, now.timestamp())
            able = [agent for agent in agents if agent.can_take(tier, skill, language)]
            expected = expected_wait_seconds(position, able, handle_seconds=handle)
            places[item.conversation_id] = _Place(position, expected, len(able))
    return places


async def _announce_positions(uow: UnitOfWork, *, config: RoutingConfig, entries: list[QueueEntry]) -> None:
    """Tell every waiting customer their current place and expected wait, live (the widget shows it)."""
    if not entries:
        return
    places = _places(
        entries,
        config=config,
        now=uow.clock.now(),
        agents=await _agent_slots(uow, config),
        handle=await _handle_seconds(uow, config),
    )
    for conversation_id, place in places.items():
        uow.publish(
            conversation_service.conversation_channel(conversation_id),
            {"kind": "queue", "status": vars(place)},
        )


async def _recover_orphans(uow: UnitOfWork, queued: set[int]) -> int:
    """A conversation waiting a minute without an open entry (its handoff job was lost): run the handoff
    again, so nobody waits in a queue nobody looks at."""
    candidates = [
        cid for cid in await conversation_service.waiting_conversation_ids(uow) if cid not in queued
    ]
    if not candidates:
        return 0
    views = await conversation_service.routing_views(uow, candidates)
    cutoff = uow.clock.now() - RECOVER_AFTER
    missing = [cid for cid, view in views.items() if view.state_changed_at <= cutoff]
    for conversation_id in missing:
        # one recovery per waiting period (the key holds when it started waiting), never one per tick
        stamp = -int(views[conversation_id].state_changed_at.timestamp() * 1000)
        uow.enqueue(
            conversation_service.HANDOFF_JOB,
            {"conversation_id": conversation_id, "seq": stamp},
            dedupe_key=f"handoff-recover:{conversation_id}:{stamp}",
        )
    return len(missing)


def _item(entry: QueueEntry, *, config: RoutingConfig, now: datetime) -> WaitingItem:
    """The engine's view of an entry. Agents who let an offer lapse are skipped, until the wait passes the
    overflow time: then anyone who can take it may, rather than nobody."""
    waited = (now - entry.enqueued_at).total_seconds()
    overflowed = config.overflow_seconds is not None and waited >= config.overflow_seconds
    return WaitingItem(
        conversation_id=entry.conversation_id,
        tier=entry.tier,
        skill=entry.skill,
        language=entry.language,
        priority=entry.priority,
        enqueued_at=entry.enqueued_at.timestamp(),
        excluded=frozenset() if overflowed else frozenset(entry.excluded or ()),
    )


async def _agent_slots(
    uow: UnitOfWork, config: RoutingConfig, *, online_only: bool = True
) -> list[AgentSlot]:
    profiles = await _profiles(uow, config)
    loads = await _loads(uow)
    slots = []
    for profile in profiles.values():
        if online_only and profile.presence != Presence.ONLINE.value:
            continue
        slots.append(
            AgentSlot(
                staff_id=profile.staff_id,
                tier=profile.tier,
                skills=frozenset(profile.skills or ()),
                languages=frozenset(profile.languages or ()),
                capacity=profile.capacity,
                load=loads.get(profile.staff_id, 0),
                idle_since=(profile.last_assigned_at or profile.presence_changed_at).timestamp(),
                online=profile.presence == Presence.ONLINE.value,
                reachable=profile.reachable,
            )
        )
    return slots


async def _loads(uow: UnitOfWork) -> dict[int, int]:
    loads = await conversation_service.assigned_loads(uow)
    for staff_id, offers in (await repository.offers_per_agent(uow.session)).items():
        loads[staff_id] = loads.get(staff_id, 0) + offers
    return loads


async def _profiles(
    uow: UnitOfWork, config: RoutingConfig, *, staff: list[StaffOut] | None = None
) -> dict[int, AgentProfile]:
    """Every active staff member's routing profile; missing ones are created (offline) from the account:
    agents at Tier 1, supervisors and admins at the supervisor tier, with the account's languages."""
    stored = {profile.staff_id: profile for profile in await repository.list_profiles(uow.session)}
    staff = staff if staff is not None else await accounts_service.directory(uow)
    now = uow.clock.now()
    defaults = {
        member.id: {
            "staff_id": member.id,
            "tier": 1 if member.role is Role.AGENT else SUPERVISOR_TIER,
            "skills": [],
            "languages": list(member.languages),
            "capacity": config.default_capacity,
            "presence": Presence.OFFLINE.value,
            "presence_changed_at": now,
            "last_assigned_at": None,
            "chosen_presence": None,
            "follows_connections": False,
            "connected": False,
            "last_seen_at": None,
        }
        for member in staff
        if member.id not in stored
    }
    if defaults and uow.write:
        await repository.ensure_profiles(uow.session, dialect=uow.dialect, rows=list(defaults.values()))
        stored = {profile.staff_id: profile for profile in await repository.list_profiles(uow.session)}
    active = {member.id for member in staff}
    profiles = {staff_id: profile for staff_id, profile in stored.items() if staff_id in active}
    for staff_id, values in defaults.items():
        profiles.setdefault(staff_id, AgentProfile(**values))  # read-only: not stored, offline
    return profiles


async def _offer(uow: UnitOfWork, entry: QueueEntry, *, staff_id: int, config: RoutingConfig) -> None:
    await conversation_service.lock_for_routing(uow, entry.conversation_id)  # lock order: conversation first
    now = uow.clock.now()
    entry.status = "offered"
    entry.offered_to = staff_id
    entry.offered_at = now
    entry.offer_expires_at = now + timedelta(seconds=config.offer_timeout_seconds)
    profile = await repository.get_profile(uow.session, staff_id)
    if profile is not None:
        profile.last_assigned_at = now
    await conversation_service.record_event(
        uow,
        actor=Actor.system(),
        conversation_id=entry.conversation_id,
        event_type="offered",
        data={"staff_id": staff_id, "queue": entry.queue, "expires_at": entry.offer_expires_at.isoformat()},
    )
    uow.publish(
        staff_channel(staff_id),
        {
            "kind": "offer",
            "conversation_id": entry.conversation_id,
            "queue": entry.queue,
            "expires_at": entry.offer_expires_at.isoformat(),
        },
    )
    uow.publish(
        ROUTING_CHANNEL, {"kind": "offered", "conversation_id": entry.conversation_id, "staff_id": staff_id}
    )


async def _lapse(uow: UnitOfWork, entry: QueueEntry, *, reason: str) -> None:
    """An offer ignored, declined or withdrawn (the agent went away): back to waiting. Whoever ignored or
    declined it is not offered it again (until the overflow time); going away excludes nobody."""
    await conversation_service.lock_for_routing(uow, entry.conversation_id)  # lock order: conversation first
    staff_id = entry.offered_to
    entry.status = "waiting"
    if staff_id and reason in ("offer_expired", "offer_declined"):
        entry.excluded = sorted({*(entry.excluded or []), staff_id})
    entry.offered_to = None
    entry.offered_at = None
    entry.offer_expires_at = None
    await conversation_service.record_event(
        uow,
        actor=Actor.system(),
        conversation_id=entry.conversation_id,
        event_type=reason,
        data={"staff_id": staff_id},
    )
    if staff_id:
        uow.publish(
            staff_channel(staff_id), {"kind": "offer_withdrawn", "conversation_id": entry.conversation_id}
        )


async def _assign_entry(uow: UnitOfWork, entry: QueueEntry, *, staff_id: StaffId, actor: Actor) -> None:
    await conversation_service.assign(
        uow, actor=actor, conversation_id=ConversationId(entry.conversation_id), staff_id=staff_id
    )
    entry.status = "assigned"
    entry.assigned_to = staff_id
    entry.closed_at = uow.clock.now()
    profile = await repository.get_profile(uow.session, staff_id)
    if profile is not None:
        profile.last_assigned_at = uow.clock.now()


# --- what people do -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueuePlace:
    queue: str
    enqueued_at: datetime
    priority: int
    trigger: str | None
    status: str


async def queue_places(uow: UnitOfWork, conversation_ids: list[int]) -> dict[int, QueuePlace]:
    """The latest queue entry of each conversation: which queue, since when, with what priority."""
    entries = await repository.latest_entries(uow.session, conversation_ids)
    return {
        cid: QueuePlace(entry.queue, entry.enqueued_at, entry.priority, entry.trigger, entry.status)
        for cid, entry in entries.items()
    }


async def track_customer_presence(uow: UnitOfWork, *, config: RoutingConfig, broker: Broker) -> list[int]:
    """Whether each waiting customer still has the chat open (someone listens on their presence channel),
    and the conversations whose customer closed it ``abandon_after_seconds`` ago: the caller abandons those.

    Only customers seen with the chat open while waiting count, so an API client that never connects is
    never abandoned, and nor is a customer who left an e-mail address for a follow-up (their place is
    kept and a person answers by e-mail). When the broker cannot tell (Redis down), nothing changes."""
    if config.abandon_after_seconds is None:
        return []
    await repository.lock_dispatch(uow.session, uow.dialect)  # one writer of routing rows at a time
    entries = await repository.open_entries(uow.session)
    channels = {
        entry.id: conversation_service.customer_presence_channel(entry.conversation_id) for entry in entries
    }
    counts = await broker.listeners(sorted(set(channels.values()))) if entries else {}
    if counts is None:
        return []
    now = uow.clock.now()
    views = await conversation_service.routing_views(uow, [entry.conversation_id for entry in entries])
    gone: list[int] = []
    for entry in entries:
        view = views.get(entry.conversation_id)
        if counts.get(channels[entry.id], 0) > 0:
            entry.customer_seen_at = entry.customer_seen_at or now
            entry.customer_away_since = None
        elif entry.customer_seen_at is not None and view is not None and view.follow_up_email is None:
            entry.customer_away_since = entry.customer_away_since or now
            if (now - entry.customer_away_since).total_seconds() >= config.abandon_after_seconds:
                gone.append(entry.conversation_id)
    return gone


async def abandon(uow: UnitOfWork, *, config: RoutingConfig, conversation_id: int) -> bool:
    """The customer closed the chat while waiting and did not come back. Checked again under the locks: an
    agent who took it meanwhile keeps it, and a customer who came back keeps their place.

    Nobody who left a way to reach them is abandoned: with a follow-up address the wait simply goes on,
    and a customer whose e-mail address is verified (signed by the shop, or asserted by staff) gets an
    e-mail follow-up to it instead, with its confirmation. Only a customer we cannot reach is resolved as
    abandoned (with the time waited). True when it was abandoned."""
    view = await conversation_service.lock_for_routing(uow, conversation_id)
    entry = await repository.open_entry(uow.session, conversation_id, lock=True)
    after = config.abandon_after_seconds
    if view.state is not Owner.WAITING or entry is None or after is None or view.follow_up_email:
        return False
    away = entry.customer_away_since
    if away is None or (uow.clock.now() - away).total_seconds() < after:
        return False
    address = await conversation_service.verified_email(uow, conversation_id=conversation_id)
    if address is not None:
        await conversation_service.request_follow_up(
            uow,
            actor=Actor.system(),
            conversation_id=ConversationId(conversation_id),
            email=address,
            source=conversation_service.FollowUpSource.VERIFIED_IDENTITY,
        )
        return False
    await conversation_service.close(
        uow,
        actor=Actor.system(),
        conversation_id=ConversationId(conversation_id),
        reason="the customer closed the chat while waiting",
        abandoned=True,
    )
    return True


async def join(uow: UnitOfWork, *, actor: Actor, conversation_id: ConversationId) -> None:
    """A supervisor joins a live conversation to listen in and coach the agent with private notes, without
    taking it over (the assignee and routing do not change). The agent sees a note that they joined."""
    actor.require_staff(Role.SUPERVISOR)
    view = await conversation_service.access_conversation(uow, actor=actor, conversation_id=conversation_id)
    if view.state not in (Owner.WAITING, Owner.HUMAN):
        raise ConflictError(f"Conversation {conversation_id} is {view.state.value}: there is nobody to join.")
    await conversation_service.record_event(
        uow, actor=actor, conversation_id=conversation_id, event_type="supervisor_joined"
    )
    await conversation_service.post_message(
        uow,
        actor=Actor.system(),
        conversation_id=conversation_id,
        data=MessageCreate(
            body=f"{actor.name or 'A supervisor'} joined to listen in. Private notes reach them; the customer "
            "does not see them.",
            private=True,
        ),
        meta={"event": "supervisor_joined", "staff_id": actor.staff_id},
    )


async def list_offers(uow: UnitOfWork, *, actor: Actor) -> list[OfferOut]:
    staff_id = require_person(actor)
    return [OfferOut.model_validate(entry) for entry in await repository.offers_for(uow.session, staff_id)]


async def accept_offer(uow: UnitOfWork, *, actor: Actor, conversation_id: ConversationId) -> None:
    staff_id = require_person(actor)
    view = await conversation_service.lock_for_routing(uow, conversation_id)
    entry = await repository.open_entry(uow.session, conversation_id, lock=True)
    if entry is None or entry.status != "offered" or entry.offered_to != staff_id:
        raise OfferNotFoundError(
            "This conversation is not offered to you (the offer may have expired and gone to a colleague)."
        )
    if view.state is not Owner.WAITING or view.episode != entry.episode:
        entry.status = "closed"
        entry.closed_at = uow.clock.now()
        raise OfferNotFoundError("This conversation is no longer waiting for a person.")
    if entry.offer_expires_at is not None and entry.offer_expires_at <= uow.clock.now():
        raise OfferNotFoundError("This offer expired; the conversation is going to a colleague.")
    await _assign_entry(uow, entry, staff_id=staff_id, actor=actor)


async def decline_offer(
    uow: UnitOfWork, *, actor: Actor, conversation_id: ConversationId, reason: str | None = None
) -> None:
    staff_id = require_person(actor)
    await conversation_service.lock_for_routing(uow, conversation_id)
    entry = await repository.open_entry(uow.session, conversation_id, lock=True)
    if entry is None or entry.status != "offered" or entry.offered_to != staff_id:
        raise OfferNotFoundError("This conversation is not offered to you.")
    await _lapse(uow, entry, reason="offer_declined")
    conversation_service.enqueue_dispatch(uow)


async def assign(
    uow: UnitOfWork,
    *,
    actor: Actor,
    config: RoutingConfig,
    conversation_id: ConversationId,
    staff_id: StaffId | None = None,
    reason: str | None = None,
) -> None:
    """Take a conversation, or (supervisors) give it to someone: only to a person online with room."""
    caller = actor.require_staff()
    target = staff_id or caller
    if target is None:
        raise InvalidInputError("Say which staff member takes the conversation (staff_id).")
    if target != caller:
        actor.require_staff(Role.SUPERVISOR)
    await conversation_service.lock_for_routing(uow, conversation_id)  # lock order: conversation first
    await _require_available(
        uow, config=config, staff_id=target, actor=actor, conversation_id=conversation_id
    )
    await conversation_service.assign(
        uow, actor=actor, conversation_id=conversation_id, staff_id=target, reason=reason
    )
    await _close_entry(uow, conversation_id, staff_id=target)


async def _require_available(
    uow: UnitOfWork, *, config: RoutingConfig, staff_id: int, actor: Actor, conversation_id: int
) -> None:
    """409 with the reason when the person is not online or has no room. Supervisors taking a
    conversation themselves are exempt: they step in when the floor is full."""
    profiles = await _profiles(uow, config)
    profile = profiles.get(staff_id)
    if profile is None:
        raise InvalidInputError(f"No active staff account with id {staff_id}.")
    if staff_id == actor.staff_id and actor.role is not None and actor.role.rank >= Role.SUPERVISOR.rank:
        return
    await repository.lock_profile(uow.session, staff_id)  # two assignments cannot both take the last slot
    names = await accounts_service.get_staff_names(uow, {staff_id})
    name = names.get(staff_id, f"Staff {staff_id}")
    if profile.presence != Presence.ONLINE.value:
        raise AgentUnavailableError(
            f"{name} is {profile.presence}; only people who are online can take conversations.",
            staff_id=staff_id,
            presence=profile.presence,
        )
    loads = await _loads(uow)
    load = loads.get(staff_id, 0)
    views = await conversation_service.routing_views(uow, [conversation_id])
    view = views.get(conversation_id)
    if view is not None and view.assignee_id == staff_id:
        return  # already theirs
    entry = await repository.open_entry(uow.session, conversation_id)
    if entry is not None and entry.offered_to == staff_id:
        load -= 1  # the offer of this very conversation is already counted
    if load >= profile.capacity:
        raise AgentUnavailableError(
            f"{name} already has {load} of {profile.capacity} conversations; choose someone with room.",
            staff_id=staff_id,
            load=load,
            capacity=profile.capacity,
        )


async def _close_entry(uow: UnitOfWork, conversation_id: int, *, staff_id: int) -> None:
    entry = await repository.open_entry(uow.session, conversation_id, lock=True)
    if entry is not None:
        entry.status = "assigned"
        entry.assigned_to = staff_id
        entry.closed_at = uow.clock.now()


async def transfer(
    uow: UnitOfWork, *, actor: Actor, config: RoutingConfig, conversation_id: ConversationId, data: TransferIn
) -> None:
    """To a colleague (who must be online with room) or to a queue. The packet goes along, with a note."""
    caller = require_person(actor)
    view = await _transferable(uow, conversation_id)
    by_name = (await accounts_service.get_staff_names(uow, {caller})).get(caller)
    if data.staff_id is not None:
        target = StaffId(data.staff_id)
        if target == view.assignee_id:
            raise NotTransferableError("The conversation is already with this person.")
        await _require_available(
            uow, config=config, staff_id=target, actor=actor, conversation_id=conversation_id
        )
        to_name = (await accounts_service.get_staff_names(uow, {target})).get(target)
        await conversation_service.assign(
            uow,
            actor=actor,
            conversation_id=conversation_id,
            staff_id=target,
            reason=data.note or "transfer",
            transfer=True,
            data={"transfer": True, "from": view.assignee_id},
        )
        await _close_entry(uow, conversation_id, staff_id=target)
        await _carry_packet(
            uow,
            conversation_id,
            transfer={"by": by_name, "to": to_name, "note": data.note, "reason": "transfer"},
        )
        return
    queue = next((q for q in config.queues if q.name == data.queue), None)
    if queue is None and data.queue != config.fallback.name:
        known = ", ".join(q.name for q in config.queues) or config.fallback.name
        raise InvalidInputError(f"No queue named '{data.queue}'. Queues: {known}.")
    queue = queue or config.fallback
    await _requeue(
        uow,
        actor=actor,
        view=view,
        tier=queue.tier,
        queue=queue.name,
        note=data.note,
        by_name=by_name,
        reason=f"transferred to {queue.name}",
    )


async def escalate(
    uow: UnitOfWork, *, actor: Actor, config: RoutingConfig, conversation_id: ConversationId, data: EscalateIn
) -> None:
    """Tier 1 → Tier 2, or to a supervisor: back to the queue at that tier, the packet carried along."""
    caller = require_person(actor)
    view = await _transferable(uow, conversation_id)
    tier = 2 if data.to == "tier2" else SUPERVISOR_TIER
    queue = next((q for q in config.queues if q.tier == tier), None)
    by_name = (await accounts_service.get_staff_names(uow, {caller})).get(caller)
    await _requeue(
        uow,
        actor=actor,
        view=view,
        tier=tier,
        queue=queue.name if queue else None,
        note=data.note,
        by_name=by_name,
        reason=data.reason,
    )


async def _requeue(
    uow: UnitOfWork,
    *,
    actor: Actor,
    view: conversation_service.RoutingView,
    tier: int,
    queue: str | None,
    note: str | None,
    by_name: str | None,
    reason: str,
) -> None:
    if view.state is Owner.WAITING:
        # Still waiting: no ownership change, only a new entry (the job carries the packet over).
        await conversation_service.record_event(
            uow,
            actor=actor,
            conversation_id=view.id,
            event_type=Transition.REQUEUE.value,
            reason=reason,
            data={"tier": tier, "queue": queue, "note": note, "by_name": by_name},
        )
        stamp = -int(uow.clock.now().timestamp() * 1000)  # negative: never a message seq
        uow.enqueue(
            conversation_service.HANDOFF_JOB,
            {"conversation_id": view.id, "seq": stamp},
            dedupe_key=f"handoff:{view.id}:{stamp}",
        )
        return
    await conversation_service.requeue(
        uow,
        actor=actor,
        conversation_id=ConversationId(view.id),
        tier=tier,
        reason=reason,
        data={"queue": queue, "note": note, "by_name": by_name},
    )


async def _transferable(uow: UnitOfWork, conversation_id: int) -> conversation_service.RoutingView:
    view = await conversation_service.lock_for_routing(uow, conversation_id)
    if view.state is Owner.RESOLVED:
        raise NotTransferableError(
            "This conversation is closed; reopen it before transferring it.", state=view.state.value
        )
    if view.state is Owner.BOT:
        raise NotTransferableError(
            "The bot has this conversation; take it (assign) or send it to the queue (handoff) instead.",
            state=view.state.value,
        )
    return view


async def _carry_packet(uow: UnitOfWork, conversation_id: int, *, transfer: dict[str, Any]) -> None:
    previous = await repository.latest_packet(uow.session, conversation_id)
    if previous is None:
        return
    now = uow.clock.now()
    body = carry_over(previous.packet, transfer={**transfer, "at": now.isoformat()})
    source = f"transfer:{conversation_id}:{now.timestamp()}:{previous.id}"
    uow.session.add(
        HandoffPacket(
            conversation_id=conversation_id,
            episode=previous.episode,
            source=source[:80],
            trigger=previous.trigger,
            rule=previous.rule,
            packet=body,
            created_at=now,
        )
    )
    await conversation_service.post_message(
        uow,
        actor=Actor.system(),
        conversation_id=ConversationId(conversation_id),
        data=MessageCreate(body=body["note"], private=True, client_message_id=source[:100]),
        meta={"event": "handoff_packet", "transfer": True},
    )


async def get_packet(uow: UnitOfWork, *, actor: Actor, conversation_id: ConversationId) -> PacketOut:
    actor.require_staff()
    packet = await repository.latest_packet(uow.session, conversation_id)
    if packet is None:
        await conversation_service.get_outcome(uow, actor=actor, conversation_id=conversation_id)  # 404 first
        raise NotFoundError(
            "This conversation has not been handed to a person yet, so it has no handoff packet."
        )
    return PacketOut.model_validate(packet)


async def correct_intent(
    uow: UnitOfWork, *, actor: Actor, conversation_id: ConversationId, data: IntentCorrectionIn
) -> None:
    """An agent corrects the intent of the handoff summary: the customer's opening words with the right
    intent become a labelled example (an ``intent_corrected`` event, collected by the learning loop)."""
    actor.require_staff()
    packet = await repository.latest_packet(uow.session, conversation_id)
    if packet is None:
        await conversation_service.get_outcome(uow, actor=actor, conversation_id=conversation_id)  # 404 first
        raise ConflictError("Only a conversation handed to a person has a summary intent to correct.")
    said = await conversation_service.customer_words(uow, [conversation_id])
    if not said.get(conversation_id):
        raise ConflictError("The customer has not written anything to label.")
    summary = (packet.packet or {}).get("summary") or {}
    detected: dict[str, Any] = summary.get("intent") or {}
    await conversation_service.record_event(
        uow,
        actor=actor,
        conversation_id=conversation_id,
        event_type="intent_corrected",
        reason=data.note,
        data={
            "customer_text": said[conversation_id],
            "bot_intent": detected.get("intent"),
            "correct_intent": data.intent,
        },
    )


# --- presence, profiles, queues -------------------------------------------------------------------------


async def set_presence(
    uow: UnitOfWork,
    *,
    actor: Actor,
    config: RoutingConfig,
    presence: Presence,
    staff_id: StaffId | None = None,
    connections: ConnectionRegistry | None = None,
    grace: timedelta | None = None,
) -> AgentOut:
    """Choose a presence; the rules (it follows the console's live connections) are in routing/presence.py."""
    from tandem.routing import presence as presence_rules  # it builds on this module: imported on use

    return await presence_rules.set_presence(
        uow,
        actor=actor,
        config=config,
        presence=presence,
        staff_id=staff_id,
        connections=connections,
        grace=grace if grace is not None else presence_rules.DEFAULT_GRACE,
    )


async def update_profile(
    uow: UnitOfWork, *, actor: Actor, config: RoutingConfig, staff_id: StaffId, data: AgentProfileIn
) -> AgentOut:
    actor.require_staff(Role.SUPERVISOR)
    profiles = await _profiles(uow, config)
    profile = profiles.get(staff_id)
    if profile is None:
        raise NotFoundError(f"No active staff account with id {staff_id}.")
    profile.tier = data.tier
    profile.skills = sorted(set(data.skills))
    profile.languages = sorted(set(data.languages))
    profile.capacity = data.capacity
    await uow.session.flush()
    conversation_service.enqueue_dispatch(uow)
    return (await _agents_out(uow, config, only={staff_id}))[0]


async def list_agents(uow: UnitOfWork, *, actor: Actor, config: RoutingConfig) -> list[AgentOut]:
    actor.require_staff()
    return await _agents_out(uow, config)


async def _agents_out(
    uow: UnitOfWork, config: RoutingConfig, *, only: set[int] | None = None
) -> list[AgentOut]:
    directory = await accounts_service.directory(uow)
    profiles = await _profiles(uow, config, staff=directory)
    staff = {member.id: member for member in directory}
    loads = await _loads(uow)
    out = []
    for staff_id, profile in sorted(profiles.items()):
        if only is not None and staff_id not in only:
            continue
        member = staff[staff_id]
        out.append(
            AgentOut(
                staff_id=staff_id,
                name=member.name,
                role=member.role.value,
                tier=profile.tier,
                skills=list(profile.skills or []),
                languages=list(profile.languages or []),
                capacity=profile.capacity,
                presence=Presence(profile.presence),
                chosen_presence=Presence(profile.chosen),
                load=loads.get(staff_id, 0),
                presence_changed_at=profile.presence_changed_at,
                last_assigned_at=profile.last_assigned_at,
                follows_connections=profile.follows_connections,
                connected=profile.connected,
                last_seen_at=profile.last_seen_at,
                connection_lost=profile.connection_lost,
            )
        )
    return out


async def list_queues(uow: UnitOfWork, *, actor: Actor, config: RoutingConfig) -> list[QueueOut]:
    actor.require_staff()
    entries = await repository.open_entries(uow.session)
    agents = await _agent_slots(uow, config)
    now = uow.clock.now()
    queues = [*config.queues] if any(q.fallback for q in config.queues) else [*config.queues, config.fallback]
    out = []
    for queue in queues:
        mine = [entry for entry in entries if entry.queue == queue.name]
        tier, skill, language = config.requirements(queue, tier=queue.tier, language=queue.language)
        out.append(
            QueueOut(
                name=queue.name,
                tier=queue.tier,
                skill=queue.skill,
                language=queue.language,
                fallback=queue.fallback,
                waiting=sum(1 for entry in mine if entry.status == "waiting"),
                offered=sum(1 for entry in mine if entry.status == "offered"),
                oldest_wait_seconds=max(
                    ((now - entry.enqueued_at).total_seconds() for entry in mine), default=None
                ),
                agents_online=sum(
                    1 for agent in agents if agent.online and agent.can_take(tier, skill, language)
                ),
            )
        )
    return out


async def queue_status(
    uow: UnitOfWork, *, actor: Actor, config: RoutingConfig, conversation_id: ConversationId
) -> QueueStatus:
    """Where the customer stands: position and expected wait, or that nobody who could help is online."""
    actor.require_conversation(conversation_id)
    return await _status(uow, config=config, conversation_id=conversation_id)


async def _status(uow: UnitOfWork, *, config: RoutingConfig, conversation_id: int) -> QueueStatus:
    views = await conversation_service.routing_views(uow, [conversation_id])
    view = views.get(conversation_id)
    if view is None:
        raise ConversationNotFoundError(f"No conversation with id {conversation_id}.")
    entry = await repository.open_entry(uow.session, conversation_id)
    if view.state is not Owner.WAITING or entry is None or entry.episode != view.episode:
        return QueueStatus(conversation_id=conversation_id, state=view.state.value)
    same_queue = await repository.open_entries(uow.session, queue=entry.queue)
    places = _places(
        same_queue,
        config=config,
        now=uow.clock.now(),
        agents=await _agent_slots(uow, config),
        handle=await _handle_seconds(uow, config),
    )
    place = places.get(conversation_id)
    if place is None:  # assigned between the two reads
        return QueueStatus(conversation_id=conversation_id, state=view.state.value)
    return QueueStatus(
        conversation_id=conversation_id,
        state=view.state.value,
        queue=entry.queue,
        position=place.position,
        expected_wait_seconds=place.expected_wait_seconds,
        agents_online=place.agents_online,
        enqueued_at=entry.enqueued_at,
        follow_up_email=view.follow_up_email,
    )


async def request_follow_up(
    uow: UnitOfWork, *, actor: Actor, config: RoutingConfig, conversation_id: ConversationId, email: str
) -> QueueStatus:
    """The customer leaves an e-mail address for a person's reply (``conversation.request_follow_up``);
    the place in the queue is kept. Returns where they stand."""
    if not actor.is_customer:
        raise PermissionDeniedError("Only the customer can ask for an e-mail follow-up.")
    await conversation_service.request_follow_up(
        uow, actor=actor, conversation_id=conversation_id, email=email
    )
    return await _status(uow, config=config, conversation_id=conversation_id)


def require_person(actor: Actor) -> StaffId:
    staff_id = actor.require_staff()
    if staff_id is None:
        raise PermissionDeniedError("This action is for a signed-in staff member.")
    return staff_id


REASON_TAG_PREFIX = "reason:"


def escalation_reasons(*, actor: Actor, config: RoutingConfig) -> list[ReasonOut]:
    actor.require_staff()
    return [ReasonOut(code=r.code, label=r.label) for r in config.escalation_reasons]


async def tag_escalation_reason(
    uow: UnitOfWork, *, actor: Actor, config: RoutingConfig, conversation_id: ConversationId, code: str
) -> None:
    """Why this conversation needed a person, from the fixed taxonomy (one reason; a new one replaces it)."""
    actor.require_staff()
    known = [reason.code for reason in config.escalation_reasons]
    if code not in known:
        raise InvalidInputError(f"Unknown escalation reason '{code}'. Reasons: {', '.join(known)}.")
    current = await conversation_service.access_conversation(
        uow, actor=actor, conversation_id=conversation_id
    )
    stale = [
        tag for tag in current.tags if tag.startswith(REASON_TAG_PREFIX) and tag != REASON_TAG_PREFIX + code
    ]
    await conversation_service.update_tags(
        uow,
        actor=actor,
        conversation_id=conversation_id,
        data=TagsUpdate(add=[REASON_TAG_PREFIX + code], remove=stale),
    )


async def overrides_after(uow: UnitOfWork, *, after_id: int, limit: int = 5_000) -> list[EscalationOverride]:
    """Agents' overrides of sentiment escalations after ``after_id``, oldest first: the customer's words
    that were not frustration after all, for the learning loop."""
    return await repository.overrides_after(uow.session, after_id=after_id, limit=limit)


async def last_queues(uow: UnitOfWork, conversation_ids: list[int]) -> dict[int, str]:
    """The queue (team) that last had each of these conversations; absent: never queued."""
    entries = await repository.latest_entries(uow.session, conversation_ids)
    return {conversation_id: entry.queue for conversation_id, entry in entries.items()}

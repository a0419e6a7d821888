"""Service-level timers: first response (from the handoff to the first public reply of a person) and next
response (from a customer's message to the next reply). Computed from the stored messages and queue entries,
so they survive restarts; each breach is recorded once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tandem.accounts.actors import Actor
from tandem.conversation import service as conversation_service
from tandem.conversation.state import Owner
from tandem.core.uow import UnitOfWork
from tandem.routing import repository
from tandem.routing.config import RoutingConfig
from tandem.routing.schemas import DispatchReport, SlaItem
from tandem.routing.service import ROUTING_CHANNEL, dispatch


@dataclass(frozen=True)
class _Timer:
    conversation_id: int
    kind: str
    started_at: datetime
    due_at: datetime
    assignee_id: int | None


async def sla_timers(uow: UnitOfWork, *, config: RoutingConfig) -> list[_Timer]:
    """The running first- and next-response timers of every conversation waiting for or with a person."""
    ids = await conversation_service.conversation_ids_in(uow, [Owner.WAITING, Owner.HUMAN])
    if not ids:
        return []
    views = await conversation_service.routing_views(uow, ids)
    clocks = await conversation_service.response_clocks(uow, ids)
    entries = await repository.latest_entries(uow.session, ids)
    first = timedelta(seconds=config.sla.first_response_seconds)
    later = timedelta(seconds=config.sla.next_response_seconds)
    timers = []
    for conversation_id in ids:
        view, clock, entry = (
            views.get(conversation_id),
            clocks.get(conversation_id),
            entries.get(conversation_id),
        )
        if view is None or clock is None or entry is None or entry.episode != view.episode:
            continue
        replied = clock.last_agent_reply_at is not None and clock.last_agent_reply_at >= entry.enqueued_at
        if not replied:
            timers.append(
                _Timer(
                    conversation_id,
                    "first_response",
                    entry.enqueued_at,
                    entry.enqueued_at + first,
                    view.assignee_id,
                )
            )
        elif view.state is Owner.HUMAN and clock.oldest_unanswered_at is not None:
            start = clock.oldest_unanswered_at
            timers.append(_Timer(conversation_id, "next_response", start, start + later, view.assignee_id))
    return timers


async def check_sla(uow: UnitOfWork, *, config: RoutingConfig) -> int:
    """Record each breach once, as a conversation event and a live notice to supervisors."""
    now = uow.clock.now()
    breached = 0
    late = [timer for timer in await sla_timers(uow, config=config) if timer.due_at <= now]
    known = await repository.breach_keys(uow.session, [timer.conversation_id for timer in late])
    for timer in late:
        if (timer.conversation_id, timer.kind, timer.started_at) in known:
            continue  # recorded at an earlier tick
        values = {
            "conversation_id": timer.conversation_id,
            "kind": timer.kind,
            "started_at": timer.started_at,
            "due_at": timer.due_at,
            "breached_at": now,
            "assignee_id": timer.assignee_id,
        }
        if not await repository.insert_breach(uow.session, dialect=uow.dialect, values=values):
            continue
        breached += 1
        await conversation_service.record_event(
            uow,
            actor=Actor.system(),
            conversation_id=timer.conversation_id,
            event_type="sla_breached",
            data={"kind": timer.kind, "due_at": timer.due_at.isoformat(), "assignee_id": timer.assignee_id},
        )
        uow.publish(
            ROUTING_CHANNEL,
            {"kind": "sla_breached", "conversation_id": timer.conversation_id, "sla": timer.kind},
        )
    return breached


async def list_sla(uow: UnitOfWork, *, actor: Actor, config: RoutingConfig) -> list[SlaItem]:
    """Running timers, most urgent first: what a supervisor looks at to act before a breach."""
    actor.require_staff()
    now = uow.clock.now()
    items = [
        SlaItem(
            conversation_id=timer.conversation_id,
            kind=timer.kind,
            started_at=timer.started_at,
            due_at=timer.due_at,
            seconds_left=round((timer.due_at - now).total_seconds(), 1),
            breached=timer.due_at <= now,
            assignee_id=timer.assignee_id,
        )
        for timer in await sla_timers(uow, config=config)
    ]
    return sorted(items, key=lambda item: item.seconds_left)


async def tick(uow: UnitOfWork, *, config: RoutingConfig) -> DispatchReport:
    """The ticker's work: offers that lapsed, waiting conversations, then SLA timers."""
    report = await dispatch(uow, config=config, announce=False)
    await check_sla(uow, config=config)
    return report

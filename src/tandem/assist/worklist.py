"""What the agent's lists show: for each of my conversations and each waiting one, how long the customer
has waited, how they feel now (a badge from their latest messages) and the last thing they said."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tandem.accounts.actors import Actor, Role
from tandem.assist.mood import MoodReader
from tandem.assist.schemas import MoodOut, WorkItem, Worklist
from tandem.conversation import service as conversation_service
from tandem.conversation.schemas import ConversationOut
from tandem.conversation.state import Owner
from tandem.core.uow import UnitOfWork
from tandem.customers import service as customers_service
from tandem.routing import service as routing_service
from tandem.routing.service import QueuePlace

LIMIT = 300  # per list; the longest waiting are kept when there are more
PREVIEW = 140


async def worklist(uow: UnitOfWork, *, actor: Actor, moods: MoodReader, floor: bool = False) -> Worklist:
    """``floor``: supervisors see every conversation with a person in ``mine``, not only their own."""
    staff_id = routing_service.require_person(actor)
    if floor:
        actor.require_staff(Role.SUPERVISOR)
    mine = await conversation_service.list_conversations(
        uow,
        actor=actor,
        states=[Owner.HUMAN],
        assignee_id=None if floor else staff_id,
        limit=LIMIT,
        oldest_first=True,
    )
    waiting = await conversation_service.list_conversations(
        uow, actor=actor, states=[Owner.WAITING], limit=LIMIT, oldest_first=True
    )
    everything = mine.items + waiting.items
    ids = [c.id for c in everything]
    messages = await conversation_service.recent_messages(uow, conversation_ids=ids, per_conversation=10)
    names = await customers_service.display_names(uow, [c.customer_id for c in everything])
    places = await routing_service.queue_places(uow, [c.id for c in waiting.items])
    now = uow.clock.now()

    def item(conversation: ConversationOut) -> WorkItem:
        return _item(
            conversation,
            messages.get(conversation.id, []),
            names.get(conversation.customer_id),
            places.get(conversation.id),
            now=now,
            moods=moods,
        )

    mine_items = sorted((item(c) for c in mine.items), key=lambda i: -(i.awaiting_reply_seconds or 0.0))
    waiting_items = sorted(
        (item(c) for c in waiting.items), key=lambda i: (-i.priority, -(i.waiting_seconds or 0.0))
    )
    return Worklist(mine=mine_items, waiting=waiting_items)


def _item(
    conversation: ConversationOut,
    messages: list[Any],
    name: str | None,
    place: QueuePlace | None,
    *,
    now: datetime,
    moods: MoodReader,
) -> WorkItem:
    customer = [m for m in messages if m.author_kind == "customer"]
    answered = [m for m in messages if m.author_kind in ("agent", "bot")]
    unanswered = bool(customer) and (not answered or customer[-1].seq > answered[-1].seq)
    latest = customer[-4:]
    mood = moods.read(
        (conversation.id, latest[-1].seq if latest else 0),
        [m.body for m in latest],
        language=conversation.locale.split("-")[0],
    )
    waiting = place is not None and conversation.state == Owner.WAITING
    return WorkItem(
        conversation_id=conversation.id,
        assignee_id=conversation.assignee_id,
        customer_name=name,
        locale=conversation.locale,
        subject=conversation.subject,
        state=conversation.state.value,
        tier=conversation.tier,
        queue=place.queue if place else None,
        priority=place.priority if waiting and place else conversation.priority,
        waiting_seconds=round((now - place.enqueued_at).total_seconds(), 1) if waiting and place else None,
        awaiting_reply_seconds=round((now - customer[-1].created_at).total_seconds(), 1)
        if unanswered
        else None,
        last_message=customer[-1].body[:PREVIEW] if customer else None,
        mood=MoodOut(score=round(mood.score, 3), label=mood.label, direction=mood.direction),
        tags=conversation.tags,
    )

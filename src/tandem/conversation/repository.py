"""The only place in conversation that builds SQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.conversation.models import (
    Conversation,
    ConversationEvent,
    ConversationOutcome,
    ConversationTag,
    Message,
)


async def get(session: AsyncSession, conversation_id: int) -> Conversation | None:
    return await session.get(Conversation, conversation_id)


async def lock(session: AsyncSession, conversation_id: int) -> Conversation | None:
    """Load for update: in PostgreSQL this row lock serialises sequence numbers per conversation."""
    statement = (
        select(Conversation)
        .where(Conversation.id == conversation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return await session.scalar(statement)


@dataclass(frozen=True)
class PostTarget:
    """What posting a message needs to know about its conversation."""

    state: str
    episode: int
    follow_up_email: str | None


async def lock_for_post(session: AsyncSession, *, conversation_id: int) -> PostTarget | None:
    """Lock the conversation row (PostgreSQL) and read only what posting needs.

    The idempotency check must be a separate, later statement: in READ COMMITTED a statement that waited
    for this lock still sees other tables as of its own start, so a joined lookup would miss the copy
    committed by the transaction it waited for.
    """
    table: Any = Conversation.__table__
    statement = (
        select(table.c.state, table.c.episode, table.c.follow_up_email)
        .where(table.c.id == conversation_id)
        .with_for_update()
    )
    row = (await session.execute(statement)).first()
    return None if row is None else PostTarget(row[0], row[1], row[2])


# The message hot path uses statements built once: building and coercing a statement per call costs more
# CPU than the database round trip on small machines.
_conversations: Any = Conversation.__table__
_messages: Any = Message.__table__
_ADVANCE_SEQ = (
    update(_conversations)
    .where(_conversations.c.id == bindparam("cid"))
    .values(
        last_seq=_conversations.c.last_seq + 1,
        updated_at=bindparam("now", type_=_conversations.c.updated_at.type),
    )
    .returning(_conversations.c.last_seq)
)
_CLAIM_SEQ = (
    update(_conversations)
    .where(_conversations.c.id == bindparam("cid"), _conversations.c.state != "resolved")
    .values(
        last_seq=_conversations.c.last_seq + 1,
        updated_at=bindparam("now", type_=_conversations.c.updated_at.type),
    )
    .returning(
        _conversations.c.last_seq,
        _conversations.c.state,
        _conversations.c.episode,
        _conversations.c.follow_up_email,
    )
)
_RELEASE_SEQ = (
    update(_conversations)
    .where(_conversations.c.id == bindparam("cid"))
    .values(last_seq=_conversations.c.last_seq - 1)
)
_INSERT_MESSAGE = insert(_messages).returning(_messages.c.id)
_INSERT_MESSAGE_ONCE = {
    name: module.insert(_messages)
    .on_conflict_do_nothing(index_elements=["conversation_id", "client_message_id"])
    .returning(_messages.c.id)
    for name, module in (("postgresql", postgresql), ("sqlite", sqlite))
}


@dataclass(frozen=True)
class ClaimedSeq:
    seq: int
    state: str
    episode: int
    follow_up_email: str | None


async def claim_seq(session: AsyncSession, *, conversation_id: int, now: datetime) -> ClaimedSeq | None:
    """Lock an open conversation and take its next sequence number in one statement (the fast path).

    None when the conversation does not exist or is resolved.
    """
    row = (await session.execute(_CLAIM_SEQ, {"cid": conversation_id, "now": now})).first()
    return None if row is None else ClaimedSeq(int(row[0]), row[1], row[2], row[3])


async def release_seq(session: AsyncSession, *, conversation_id: int) -> None:
    """Give back a claimed number that will not be used (the row is still locked by this transaction)."""
    await session.execute(_RELEASE_SEQ, {"cid": conversation_id})


async def advance_seq(session: AsyncSession, *, conversation_id: int, now: datetime) -> int:
    """Take the next sequence number (the caller holds the row lock)."""
    return int((await session.execute(_ADVANCE_SEQ, {"cid": conversation_id, "now": now})).scalar_one())


async def insert_message(session: AsyncSession, values: dict[str, Any]) -> int:
    return int((await session.execute(_INSERT_MESSAGE, values)).scalar_one())


async def insert_message_once(session: AsyncSession, *, dialect: str, values: dict[str, Any]) -> int | None:
    """Insert unless this client message id is already stored; None for a duplicate."""
    return (await session.execute(_INSERT_MESSAGE_ONCE[dialect], values)).scalar_one_or_none()


async def find_by_token_hash(session: AsyncSession, token_hash: str) -> Conversation | None:
    return await session.scalar(select(Conversation).where(Conversation.access_token_hash == token_hash))


async def list_conversations(
    session: AsyncSession,
    *,
    states: Sequence[str] | None,
    assignee_id: int | None,
    customer_id: int | None,
    before_id: int | None,
    limit: int,
    oldest_first: bool = False,
) -> list[Conversation]:
    order = (Conversation.state_changed_at, Conversation.id) if oldest_first else (Conversation.id.desc(),)
    statement = select(Conversation).order_by(*order).limit(limit)
    if states:
        statement = statement.where(Conversation.state.in_(states))
    if assignee_id is not None:
        statement = statement.where(Conversation.assignee_id == assignee_id)
    if customer_id is not None:
        statement = statement.where(Conversation.customer_id == customer_id)
    if before_id is not None:
        statement = statement.where(Conversation.id < before_id)
    return list((await session.scalars(statement)).all())


async def get_message_by_client_id(
    session: AsyncSession, *, conversation_id: int, client_message_id: str
) -> Any | None:
    """The stored row (attribute access like a Message), or None. Core: it runs on every post."""
    table: Any = Message.__table__
    statement = select(table).where(
        table.c.conversation_id == conversation_id, table.c.client_message_id == client_message_id
    )
    return (await session.execute(statement)).first()


async def list_messages(
    session: AsyncSession, *, conversation_id: int, after_seq: int, limit: int, include_private: bool
) -> list[Message]:
    statement = (
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.seq > after_seq)
        .order_by(Message.seq)
        .limit(limit)
    )
    if not include_private:
        statement = statement.where(Message.private.is_(False))
    return list((await session.scalars(statement)).all())


async def list_events(session: AsyncSession, conversation_id: int) -> list[ConversationEvent]:
    statement = (
        select(ConversationEvent)
        .where(ConversationEvent.conversation_id == conversation_id)
        .order_by(ConversationEvent.id)
    )
    return list((await session.scalars(statement)).all())


async def events_after(
    session: AsyncSession, *, types: Sequence[str], after_id: int, limit: int
) -> list[Any]:
    """Events of these types after ``after_id``, oldest first, with the conversation's customer and locale."""
    statement = (
        select(ConversationEvent, Conversation.customer_id, Conversation.locale)
        .join(Conversation, Conversation.id == ConversationEvent.conversation_id)
        .where(ConversationEvent.type.in_(list(types)), ConversationEvent.id > after_id)
        .order_by(ConversationEvent.id)
        .limit(limit)
    )
    return list((await session.execute(statement)).all())


async def bot_replies_between(
    session: AsyncSession, *, since: datetime, until: datetime, limit: int
) -> list[Any]:
    """(conversation_id, seq, meta, created_at) of the bot's replies in [since, until), newest first."""
    statement = (
        select(Message.conversation_id, Message.seq, Message.meta, Message.created_at)
        .where(Message.author_kind == "bot", Message.created_at >= since, Message.created_at < until)
        .order_by(Message.id.desc())
        .limit(limit)
    )
    return list((await session.execute(statement)).all())


async def events_between(
    session: AsyncSession, *, event_type: str, since: datetime, until: datetime, limit: int
) -> list[ConversationEvent]:
    statement = (
        select(ConversationEvent)
        .where(
            ConversationEvent.type == event_type,
            ConversationEvent.created_at >= since,
            ConversationEvent.created_at < until,
        )
        .order_by(ConversationEvent.id.desc())
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())


async def customer_lines(session: AsyncSession, conversation_ids: Sequence[int]) -> list[Any]:
    """(conversation_id, seq, body, created_at) of the customers' messages, in order."""
    rows: list[Any] = []
    ids = sorted(set(conversation_ids))
    for start in range(0, len(ids), 500):
        statement = (
            select(Message.conversation_id, Message.seq, Message.body, Message.created_at)
            .where(Message.author_kind == "customer", Message.conversation_id.in_(ids[start : start + 500]))
            .order_by(Message.conversation_id, Message.seq)
        )
        rows += (await session.execute(statement)).all()
    return rows


async def get_outcome(session: AsyncSession, conversation_id: int) -> ConversationOutcome | None:
    return await session.get(ConversationOutcome, conversation_id)


async def list_tags(session: AsyncSession, conversation_ids: Sequence[int]) -> dict[int, list[str]]:
    if not conversation_ids:
        return {}
    statement = (
        select(ConversationTag.conversation_id, ConversationTag.tag)
        .where(ConversationTag.conversation_id.in_(conversation_ids))
        .order_by(ConversationTag.tag)
    )
    tags: dict[int, list[str]] = {}
    for conversation_id, tag in (await session.execute(statement)).all():
        tags.setdefault(conversation_id, []).append(tag)
    return tags


async def add_tag(session: AsyncSession, *, dialect: str, values: dict[str, object]) -> None:
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(ConversationTag).values(**values).on_conflict_do_nothing()
    await session.execute(statement)


async def remove_tag(session: AsyncSession, *, conversation_id: int, tag: str) -> None:
    await session.execute(
        delete(ConversationTag).where(
            ConversationTag.conversation_id == conversation_id, ConversationTag.tag == tag
        )
    )


# --- bulk reads for routing --------------------------------------------------------------------------


async def routing_rows(session: AsyncSession, *, conversation_ids: Sequence[int]) -> list[Any]:
    if not conversation_ids:
        return []
    c = Conversation
    statement = select(
        c.id,
        c.state,
        c.episode,
        c.locale,
        c.channel,
        c.customer_id,
        c.assignee_id,
        c.tier,
        c.state_changed_at,
        c.follow_up_email,
    ).where(c.id.in_(list(conversation_ids)))
    return list((await session.execute(statement)).all())


async def ids_in_state(session: AsyncSession, state: str) -> list[int]:
    statement = select(Conversation.id).where(Conversation.state == state)
    return list((await session.scalars(statement)).all())


async def assigned_ids(session: AsyncSession, state: str, staff_ids: Sequence[int]) -> list[tuple[int, int]]:
    """(assignee, conversation) of the conversations in ``state`` that these people hold, oldest first."""
    if not staff_ids:
        return []
    statement = (
        select(Conversation.assignee_id, Conversation.id)
        .where(Conversation.state == state, Conversation.assignee_id.in_(list(staff_ids)))
        .order_by(Conversation.state_changed_at, Conversation.id)
    )
    rows = (await session.execute(statement)).all()
    return [(int(staff_id), int(cid)) for staff_id, cid in rows if staff_id is not None]


async def assigned_counts(session: AsyncSession, state: str) -> dict[int, int]:
    statement = (
        select(Conversation.assignee_id, func.count())
        .where(Conversation.state == state, Conversation.assignee_id.is_not(None))
        .group_by(Conversation.assignee_id)
    )
    rows = (await session.execute(statement)).all()
    return {int(staff_id): int(count) for staff_id, count in rows if staff_id is not None}


async def latest_event(
    session: AsyncSession, *, conversation_id: int, types: Sequence[str]
) -> ConversationEvent | None:
    statement = (
        select(ConversationEvent)
        .where(ConversationEvent.conversation_id == conversation_id, ConversationEvent.type.in_(list(types)))
        .order_by(ConversationEvent.id.desc())
        .limit(1)
    )
    return await session.scalar(statement)


async def response_clocks(session: AsyncSession, *, conversation_ids: Sequence[int]) -> list[Any]:
    """Per conversation: the last public reply of a person in this episode, and the oldest customer message
    after it. Two correlated subqueries over the (conversation_id, seq) index."""
    if not conversation_ids:
        return []
    c = Conversation
    agent = Message.__table__.alias("agent")
    customer = Message.__table__.alias("customer")
    public_agent_replies = (
        agent.c.conversation_id == c.id,
        agent.c.episode == c.episode,
        agent.c.author_kind == "agent",
        agent.c.private.is_(False),
    )
    last_agent_seq = select(func.max(agent.c.seq)).where(*public_agent_replies).scalar_subquery()
    last_agent_at = select(func.max(agent.c.created_at)).where(*public_agent_replies).scalar_subquery()
    waiting_customer_at = (
        select(func.min(customer.c.created_at))
        .where(
            customer.c.conversation_id == c.id,
            customer.c.episode == c.episode,
            customer.c.author_kind == "customer",
            customer.c.seq > func.coalesce(last_agent_seq, 0),
        )
        .scalar_subquery()
    )
    statement = select(
        c.id, last_agent_at.label("last_agent_at"), waiting_customer_at.label("waiting_customer_at")
    ).where(c.id.in_(list(conversation_ids)))
    return list((await session.execute(statement)).all())


async def escalation_counts(session: AsyncSession, *, trigger: str, since: datetime) -> list[tuple[str, int]]:
    statement = (
        select(Conversation.locale, func.count())
        .join(ConversationEvent, ConversationEvent.conversation_id == Conversation.id)
        .where(
            ConversationEvent.type == "request_human",
            ConversationEvent.trigger == trigger,
            ConversationEvent.created_at >= since,
        )
        .group_by(Conversation.locale)
    )
    return [(str(locale), int(count)) for locale, count in (await session.execute(statement)).all()]


async def handled_spans(
    session: AsyncSession, *, since: datetime, limit: int
) -> list[tuple[datetime, datetime]]:
    o = ConversationOutcome
    statement = (
        select(o.first_human_at, o.resolved_at)
        .where(
            o.started_at >= since - timedelta(days=1),  # the started_at index bounds the scan
            o.resolved_by == "human",
            o.first_human_at.is_not(None),
            o.resolved_at >= since,
        )
        .order_by(o.resolved_at.desc())
        .limit(limit)
    )
    rows = (await session.execute(statement)).all()
    return [(joined, resolved) for joined, resolved in rows if joined is not None and resolved is not None]


async def reply_pairs(
    session: AsyncSession, *, after_message_id: int, limit: int
) -> list[tuple[int, int, str, str]]:
    """(message id, conversation id, customer message, the agent's public reply to it) for agent replies
    after ``after_message_id``: the newest ``limit`` of them, oldest first."""
    replies = (
        await session.execute(
            select(Message.id, Message.conversation_id, Message.seq, Message.body)
            .where(Message.author_kind == "agent", Message.private.is_(False), Message.id > after_message_id)
            .order_by(Message.id.desc())
            .limit(limit)
        )
    ).all()
    if not replies:
        return []
    conversation_ids = list({row.conversation_id for row in replies})
    by_conversation: dict[int, list[tuple[int, str]]] = {}
    for start in range(0, len(conversation_ids), 500):  # bounded IN lists
        asked = (
            await session.execute(
                select(Message.conversation_id, Message.seq, Message.body)
                .where(
                    Message.author_kind == "customer",
                    Message.conversation_id.in_(conversation_ids[start : start + 500]),
                )
                .order_by(Message.conversation_id, Message.seq)
            )
        ).all()
        for row in asked:
            by_conversation.setdefault(row.conversation_id, []).append((row.seq, row.body))
    pairs = []
    for reply in reversed(replies):
        earlier = [body for seq, body in by_conversation.get(reply.conversation_id, []) if seq < reply.seq]
        if earlier:
            pairs.append((reply.id, reply.conversation_id, earlier[-1], reply.body))
    return pairs


async def recent_messages(
    session: AsyncSession, *, conversation_ids: Sequence[int], per_conversation: int
) -> list[Any]:
    """The last ``per_conversation`` public messages of each conversation (conversation_id, seq,
    author_kind, body, created_at), in order: what the agent's lists show about each one. Private notes
    never push the customer's words out of the window."""
    if not conversation_ids:
        return []
    numbered = (
        select(
            Message.conversation_id,
            Message.seq,
            Message.author_kind,
            Message.body,
            Message.created_at,
            func.row_number()
            .over(partition_by=Message.conversation_id, order_by=Message.seq.desc())
            .label("newest_first"),
        )
        .where(Message.conversation_id.in_(list(conversation_ids)), Message.private.is_(False))
        .subquery()
    )
    statement = (
        select(
            numbered.c.conversation_id,
            numbered.c.seq,
            numbered.c.author_kind,
            numbered.c.body,
            numbered.c.created_at,
        )
        .where(numbered.c.newest_first <= per_conversation)
        .order_by(numbered.c.conversation_id, numbered.c.seq)
    )
    return list((await session.execute(statement)).all())


async def get_message(session: AsyncSession, *, conversation_id: int, seq: int) -> Message | None:
    statement = select(Message).where(Message.conversation_id == conversation_id, Message.seq == seq)
    return await session.scalar(statement)


async def customer_text_before(session: AsyncSession, *, conversation_id: int, seq: int) -> str | None:
    """The customer's last message before ``seq`` (what a bot reply answered)."""
    statement = (
        select(Message.body)
        .where(
            Message.conversation_id == conversation_id, Message.seq < seq, Message.author_kind == "customer"
        )
        .order_by(Message.seq.desc())
        .limit(1)
    )
    return await session.scalar(statement)


async def parties(session: AsyncSession, conversation_ids: Sequence[int]) -> dict[int, tuple[int, str]]:
    """conversation id → (customer id, locale)."""
    found: dict[int, tuple[int, str]] = {}
    ids = sorted(set(conversation_ids))
    for start in range(0, len(ids), 500):
        statement = select(Conversation.id, Conversation.customer_id, Conversation.locale).where(
            Conversation.id.in_(ids[start : start + 500])
        )
        found.update({int(i): (int(c), str(loc)) for i, c, loc in (await session.execute(statement)).all()})
    return found


async def escalations_between(
    session: AsyncSession, *, since: datetime, until: datetime, limit: int
) -> list[Any]:
    """(conversation_id, escalated_at, trigger, reason, csat) of conversations first handed to a person in
    [since, until)."""
    statement = (
        select(
            ConversationOutcome.conversation_id,
            ConversationOutcome.escalated_at,
            ConversationOutcome.escalation_trigger,
            ConversationOutcome.escalation_reason,
            ConversationOutcome.csat,
        )
        .where(
            ConversationOutcome.escalated.is_(True),
            ConversationOutcome.escalated_at >= since,
            ConversationOutcome.escalated_at < until,
        )
        .order_by(ConversationOutcome.escalated_at)
        .limit(limit)
    )
    return list((await session.execute(statement)).all())


async def outcome_rows(session: AsyncSession, conversation_ids: Sequence[int]) -> list[ConversationOutcome]:
    rows: list[ConversationOutcome] = []
    ids = sorted(set(conversation_ids))
    for start in range(0, len(ids), 500):
        statement = select(ConversationOutcome).where(
            ConversationOutcome.conversation_id.in_(ids[start : start + 500])
        )
        rows += list((await session.scalars(statement)).all())
    return rows


async def event_positions_after(session: AsyncSession, *, after_id: int, limit: int) -> list[tuple[int, int]]:
    """(event id, conversation id) of the next ``limit`` events after ``after_id``, oldest first."""
    statement = (
        select(ConversationEvent.id, ConversationEvent.conversation_id)
        .where(ConversationEvent.id > after_id)
        .order_by(ConversationEvent.id)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in (await session.execute(statement)).all()]


async def conversation_heads(session: AsyncSession, conversation_ids: Sequence[int]) -> list[Any]:
    """(id, customer_id, channel, locale, created_at, the customer's next conversation's start, the
    customer's previous conversation's id) of these conversations."""
    later = Conversation.__table__.alias("later")
    earlier = Conversation.__table__.alias("earlier")
    next_start = (
        select(func.min(later.c.created_at))
        .where(later.c.customer_id == Conversation.customer_id, later.c.created_at > Conversation.created_at)
        .scalar_subquery()
    )
    previous = (
        select(earlier.c.id)
        .where(
            earlier.c.customer_id == Conversation.customer_id, earlier.c.created_at < Conversation.created_at
        )
        .order_by(earlier.c.created_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    statement = select(
        Conversation.id,
        Conversation.customer_id,
        Conversation.channel,
        Conversation.locale,
        Conversation.created_at,
        next_start.label("next_started_at"),
        previous.label("previous_id"),
    ).where(Conversation.id.in_(list(conversation_ids)))
    return list((await session.execute(statement)).all())


async def events_of(
    session: AsyncSession, conversation_ids: Sequence[int], types: Sequence[str]
) -> list[Any]:
    statement = (
        select(
            ConversationEvent.conversation_id,
            ConversationEvent.type,
            ConversationEvent.from_state,
            ConversationEvent.data,
            ConversationEvent.created_at,
        )
        .where(
            ConversationEvent.conversation_id.in_(list(conversation_ids)), ConversationEvent.type.in_(types)
        )
        .order_by(ConversationEvent.id)
    )
    return list((await session.execute(statement)).all())


async def bot_reply_traces(session: AsyncSession, conversation_ids: Sequence[int]) -> list[Any]:
    """(conversation id, created_at, meta) of the bot's replies, in order."""
    statement = (
        select(Message.conversation_id, Message.created_at, Message.meta)
        .where(Message.conversation_id.in_(list(conversation_ids)), Message.author_kind == "bot")
        .order_by(Message.conversation_id, Message.seq)
    )
    return list((await session.execute(statement)).all())


async def first_agent_replies(session: AsyncSession, conversation_ids: Sequence[int]) -> dict[int, datetime]:
    statement = (
        select(Message.conversation_id, func.min(Message.created_at))
        .where(
            Message.conversation_id.in_(list(conversation_ids)),
            Message.author_kind == "agent",
            Message.private.is_(False),
        )
        .group_by(Message.conversation_id)
    )
    return {row[0]: row[1] for row in (await session.execute(statement)).all()}


async def customer_message_bodies(session: AsyncSession, *, since: datetime, limit: int) -> list[str]:
    """The newest customer messages since ``since`` (bodies only): unlabelled traffic for the bot's
    out-of-scope operating point."""
    statement = (
        select(Message.body)
        .where(Message.author_kind == "customer", Message.created_at >= since)
        .order_by(Message.id.desc())
        .limit(limit)
    )
    return [str(body) for body in (await session.execute(statement)).scalars()]

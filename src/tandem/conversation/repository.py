"""The only place in conversation that builds SQL."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
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
) -> list[Conversation]:
    statement = select(Conversation).order_by(Conversation.id.desc()).limit(limit)
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
) -> Message | None:
    statement = select(Message).where(
        Message.conversation_id == conversation_id, Message.client_message_id == client_message_id
    )
    return await session.scalar(statement)


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

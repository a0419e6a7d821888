"""The only place in assist that builds SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.assist.models import SuggestionFeedback


async def learned_replies(
    session: AsyncSession, *, after_id: int, limit: int
) -> list[tuple[int, int, str, str]]:
    """(feedback id, conversation id, customer text, what the agent sent) of suggestions agents accepted or
    edited after ``after_id``: the newest ``limit``, oldest first."""
    statement = (
        select(
            SuggestionFeedback.id,
            SuggestionFeedback.conversation_id,
            SuggestionFeedback.customer_text,
            SuggestionFeedback.final_text,
            SuggestionFeedback.suggested_text,
        )
        .where(
            SuggestionFeedback.action.in_(("accepted", "edited")),
            SuggestionFeedback.customer_text.is_not(None),
            SuggestionFeedback.id > after_id,
        )
        .order_by(SuggestionFeedback.id.desc())
        .limit(limit)
    )
    rows = (await session.execute(statement)).all()
    return [
        (
            int(row.id),
            int(row.conversation_id),
            str(row.customer_text),
            str(row.final_text or row.suggested_text),
        )
        for row in reversed(rows)
    ]


async def verdicts_after(session: AsyncSession, *, after_id: int, limit: int) -> list[SuggestionFeedback]:
    """Every verdict on a suggestion (accepted, edited, rejected) after ``after_id``, oldest first."""
    statement = (
        select(SuggestionFeedback)
        .where(SuggestionFeedback.id > after_id)
        .order_by(SuggestionFeedback.id)
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())


async def assisted_conversations(session: AsyncSession, conversation_ids: Sequence[int]) -> set[int]:
    """Those of these conversations in which a person used a suggestion (accepted it or edited it)."""
    statement = (
        select(SuggestionFeedback.conversation_id)
        .where(
            SuggestionFeedback.conversation_id.in_(list(conversation_ids)),
            SuggestionFeedback.action.in_(("accepted", "edited")),
        )
        .distinct()
    )
    return set((await session.scalars(statement)).all())


async def verdict_counts(session: AsyncSession, *, since: datetime, until: datetime) -> dict[str, int]:
    statement = (
        select(SuggestionFeedback.action, func.count())
        .where(SuggestionFeedback.created_at >= since, SuggestionFeedback.created_at < until)
        .group_by(SuggestionFeedback.action)
    )
    return {row[0]: row[1] for row in (await session.execute(statement)).all()}

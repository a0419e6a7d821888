"""The only place in assist that builds SQL."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.assist.models import SuggestionFeedback


async def learned_replies(session: AsyncSession, *, limit: int) -> list[tuple[str, str]]:
    """(customer text, what the agent sent) of suggestions agents accepted or edited, newest first."""
    statement = (
        select(
            SuggestionFeedback.customer_text, SuggestionFeedback.final_text, SuggestionFeedback.suggested_text
        )
        .where(
            SuggestionFeedback.action.in_(("accepted", "edited")),
            SuggestionFeedback.customer_text.is_not(None),
        )
        .order_by(SuggestionFeedback.id.desc())
        .limit(limit)
    )
    return [
        (str(customer), str(final or suggested))
        for customer, final, suggested in (await session.execute(statement)).all()
    ]

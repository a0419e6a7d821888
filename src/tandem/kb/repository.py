"""The only place in kb that builds SQL."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.kb.models import KbArticle


async def list_articles(session: AsyncSession, *, status: str | None = "published") -> list[KbArticle]:
    statement = select(KbArticle).order_by(KbArticle.slug, KbArticle.locale)
    if status is not None:
        statement = statement.where(KbArticle.status == status)
    return list((await session.scalars(statement)).all())


async def get_article(session: AsyncSession, *, slug: str, locale: str) -> KbArticle | None:
    return await session.scalar(select(KbArticle).where(KbArticle.slug == slug, KbArticle.locale == locale))


async def count_articles(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(KbArticle)) or 0)

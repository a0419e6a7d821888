"""The only place in kb that builds SQL."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.kb.models import KbArticle, KbArticleVersion


async def list_articles(session: AsyncSession, *, status: str | None = "published") -> list[KbArticle]:
    statement = select(KbArticle).order_by(KbArticle.slug, KbArticle.locale)
    if status is not None:
        statement = statement.where(KbArticle.status == status)
    return list((await session.scalars(statement)).all())


async def get_article(session: AsyncSession, *, slug: str, locale: str) -> KbArticle | None:
    return await session.scalar(select(KbArticle).where(KbArticle.slug == slug, KbArticle.locale == locale))


async def count_articles(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(KbArticle)) or 0)


async def get_version(
    session: AsyncSession, version_id: int, *, lock: bool = False
) -> KbArticleVersion | None:
    statement = select(KbArticleVersion).where(KbArticleVersion.id == version_id)
    if lock:
        statement = statement.with_for_update()
    return await session.scalar(statement)


async def list_versions(
    session: AsyncSession,
    *,
    status: str | None,
    author_id: int | None,
    limit: int,
    slug: str | None = None,
    locale: str | None = None,
) -> list[KbArticleVersion]:
    statement = select(KbArticleVersion).order_by(KbArticleVersion.id.desc()).limit(limit)
    if slug is not None:
        statement = statement.where(KbArticleVersion.slug == slug)
    if locale is not None:
        statement = statement.where(KbArticleVersion.locale == locale)
    if status is not None:
        statement = statement.where(KbArticleVersion.status == status)
    if author_id is not None:
        statement = statement.where(KbArticleVersion.author_id == author_id)
    return list((await session.scalars(statement)).all())


async def search_articles(
    session: AsyncSession, *, text: str, locale: str | None, limit: int
) -> list[KbArticle]:
    statement = (
        select(KbArticle).where(KbArticle.status == "published").order_by(KbArticle.title).limit(limit)
    )
    if locale:
        statement = statement.where(KbArticle.locale == locale)
    if text:
        wanted = text.lower()
        statement = statement.where(
            func.lower(KbArticle.title).contains(wanted, autoescape=True)
            | KbArticle.slug.contains(wanted, autoescape=True)
        )
    return list((await session.scalars(statement)).all())

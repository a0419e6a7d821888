"""Knowledge base use cases. Versions, drafts and review come with the learning loop; this is the store of
published articles the bot retrieves from."""

from __future__ import annotations

from tandem.core.uow import UnitOfWork
from tandem.kb import repository
from tandem.kb.models import KbArticle
from tandem.kb.schemas import ArticleIn, ArticleOut


async def list_published_articles(uow: UnitOfWork) -> list[ArticleOut]:
    return [ArticleOut.model_validate(a) for a in await repository.list_articles(uow.session)]


async def upsert_article(uow: UnitOfWork, *, data: ArticleIn) -> ArticleOut:
    """Create the (slug, locale) article or replace its content; used by seeding and imports."""
    now = uow.clock.now()
    article = await repository.get_article(uow.session, slug=data.slug, locale=data.locale)
    if article is None:
        article = KbArticle(slug=data.slug, locale=data.locale, created_at=now, status="published")
        uow.session.add(article)
    article.title = data.title
    article.body = data.body
    article.tags = list(data.tags)
    article.intents = list(data.intents)
    article.updated_at = now
    await uow.session.flush()
    return ArticleOut.model_validate(article)


async def count_articles(uow: UnitOfWork) -> int:
    return await repository.count_articles(uow.session)

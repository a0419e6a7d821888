"""Knowledge base use cases: the published articles the bot and agent assist retrieve from, and versions
written from conversations. An agent proposes a new article or an edit as a draft; a supervisor or admin
publishes it (the article changes and the retrieval indexes are rebuilt by the caller) or rejects it with
a note. Imports publish directly and leave a version each, so the history shows them too. (Per-article
use, success and staleness need the conversations: ``learning.knowledge``.)"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from tandem.accounts.actors import Actor, Role
from tandem.core.errors import ConflictError, InvalidInputError, NotFoundError
from tandem.core.uow import UnitOfWork
from tandem.kb import repository
from tandem.kb.models import KbArticle, KbArticleVersion
from tandem.kb.schemas import ArticleIn, ArticleOut, DraftIn, ImportReport, ReviewIn, VersionOut

DRAFT, PUBLISHED, REJECTED = "draft", "published", "rejected"
STATUSES = (DRAFT, PUBLISHED, REJECTED)


async def list_published_articles(uow: UnitOfWork) -> list[ArticleOut]:
    return [ArticleOut.model_validate(a) for a in await repository.list_articles(uow.session)]


async def upsert_article(uow: UnitOfWork, *, data: ArticleIn) -> ArticleOut:
    """Create the (slug, locale) article or replace its content; used by seeding, imports and publishing."""
    now = uow.clock.now()
    article = await repository.get_article(uow.session, slug=data.slug, locale=data.locale)
    if article is None:
        article = KbArticle(slug=data.slug, locale=data.locale, created_at=now, status=PUBLISHED)
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


async def find_articles(
    uow: UnitOfWork, *, actor: Actor, text: str = "", locale: str | None = None, limit: int = 50
) -> list[ArticleOut]:
    actor.require_staff()
    found = await repository.search_articles(uow.session, text=text.strip(), locale=locale, limit=limit)
    return [ArticleOut.model_validate(a) for a in found]


async def get_article(uow: UnitOfWork, *, actor: Actor, slug: str, locale: str) -> ArticleOut:
    actor.require_staff()
    article = await repository.get_article(uow.session, slug=slug, locale=locale)
    if article is None:
        raise NotFoundError(f"No article '{slug}' in {locale}.")
    return ArticleOut.model_validate(article)


def slugify(title: str) -> str:
    """'Returns & refunds: how?' -> 'returns-refunds-how'."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:120].rstrip("-")


async def propose(uow: UnitOfWork, *, actor: Actor, data: DraftIn) -> VersionOut:
    """A draft from an agent: a new article, or a new version of ``data.edit_of``."""
    author = actor.require_staff()
    if data.edit_of is not None:
        if await repository.get_article(uow.session, slug=data.edit_of, locale=data.locale) is None:
            raise NotFoundError(f"No article '{data.edit_of}' in {data.locale} to edit.")
        slug = data.edit_of
    else:
        slug = data.slug or slugify(data.title)
        if not slug:
            raise InvalidInputError("The title needs letters or digits to make the article's address (slug).")
        if await repository.get_article(uow.session, slug=slug, locale=data.locale) is not None:
            raise ConflictError(
                f"An article '{slug}' exists already in {data.locale}; propose an edit of it instead."
            )
    version = KbArticleVersion(
        slug=slug,
        locale=data.locale,
        is_edit=data.edit_of is not None,
        title=data.title,
        body=data.body,
        tags=list(data.tags),
        intents=list(data.intents),
        status=DRAFT,
        author_id=author,
        source_conversation_id=data.conversation_id,
        note=data.note,
        created_at=uow.clock.now(),
    )
    uow.session.add(version)
    await uow.session.flush()
    return VersionOut.model_validate(version)


async def list_versions(
    uow: UnitOfWork, *, actor: Actor, status: str | None = DRAFT, limit: int = 100
) -> list[VersionOut]:
    """Reviewers see everyone's; agents see their own."""
    staff_id = actor.require_staff()
    if status is not None and status not in STATUSES:
        raise InvalidInputError(f"Unknown status '{status}'; allowed: {', '.join(STATUSES)}.")
    reviewer = actor.role is None or actor.role.rank >= Role.SUPERVISOR.rank
    rows = await repository.list_versions(
        uow.session, status=status, author_id=None if reviewer else staff_id, limit=limit
    )
    return [VersionOut.model_validate(v) for v in rows]


async def publish(uow: UnitOfWork, *, actor: Actor, version_id: int, data: ReviewIn) -> ArticleOut:
    """The draft becomes the article's published content. The caller rebuilds the retrieval indexes."""
    reviewer = actor.require_staff(Role.SUPERVISOR)
    version = await _open_draft(uow, version_id)
    current = await repository.get_article(uow.session, slug=version.slug, locale=version.locale)
    exists = current is not None
    if current is not None and version.is_edit and current.updated_at > version.created_at:
        raise ConflictError(
            f"The article '{version.slug}' ({version.locale}) changed after this draft was written; publishing "
            "it would undo that change. Reject it and write the edit again from the current article."
        )
    if exists and not version.is_edit:
        raise ConflictError(
            f"An article '{version.slug}' was published in {version.locale} since this draft was written; "
            "reject the draft or ask for an edit of that article."
        )
    article = await upsert_article(
        uow,
        data=ArticleIn(
            slug=version.slug,
            locale=version.locale,
            title=version.title,
            body=version.body,
            tags=version.tags,
            intents=version.intents,
        ),
    )
    _review(uow, version, status=PUBLISHED, reviewer=reviewer, note=data.note)
    return article


async def reject(uow: UnitOfWork, *, actor: Actor, version_id: int, data: ReviewIn) -> VersionOut:
    reviewer = actor.require_staff(Role.SUPERVISOR)
    version = await _open_draft(uow, version_id)
    _review(uow, version, status=REJECTED, reviewer=reviewer, note=data.note)
    return VersionOut.model_validate(version)


async def _open_draft(uow: UnitOfWork, version_id: int) -> KbArticleVersion:
    version = await repository.get_version(uow.session, version_id, lock=True)
    if version is None:
        raise NotFoundError(f"No article draft {version_id}.")
    if version.status != DRAFT:
        raise ConflictError(f"Draft {version_id} was {version.status} already.")
    return version


def _review(
    uow: UnitOfWork, version: KbArticleVersion, *, status: str, reviewer: int | None, note: str | None
) -> None:
    version.status = status
    version.reviewer_id = reviewer
    version.review_note = note
    version.reviewed_at = uow.clock.now()


async def article_history(
    uow: UnitOfWork, *, actor: Actor, slug: str, locale: str | None
) -> list[VersionOut]:
    """Every version of an article (drafts, published, rejected, imported), newest first."""
    actor.require_staff()
    rows = await repository.list_versions(
        uow.session, status=None, author_id=None, limit=500, slug=slug, locale=locale
    )
    if not rows and await repository.get_article(uow.session, slug=slug, locale=locale or "en") is None:
        raise NotFoundError(f"No article '{slug}'.")
    return [VersionOut.model_validate(v) for v in rows]


async def export_articles(uow: UnitOfWork, *, actor: Actor, locale: str | None = None) -> list[ArticleOut]:
    actor.require_staff(Role.SUPERVISOR)
    articles = await repository.list_articles(uow.session)
    return [ArticleOut.model_validate(a) for a in articles if locale is None or a.locale == locale]


async def import_articles(uow: UnitOfWork, *, actor: Actor, articles: list[ArticleIn]) -> ImportReport:
    """Publish articles from a file: new ones are created, changed ones updated, each with a version in the
    history ("imported"); identical ones are left alone. The caller rebuilds the retrieval indexes."""
    reviewer = actor.require_staff(Role.SUPERVISOR)
    counts = Counter((a.slug, a.locale) for a in articles)
    repeated = sorted(f"{slug}/{locale}" for (slug, locale), n in counts.items() if n > 1)
    if repeated:
        raise InvalidInputError(f"The import has the same article twice: {', '.join(repeated[:5])}.")
    report = ImportReport(created=[], updated=[], unchanged=0)
    now = uow.clock.now()
    for data in articles:
        current = await repository.get_article(uow.session, slug=data.slug, locale=data.locale)
        if current is not None and (current.title, current.body, list(current.tags), list(current.intents)) == (
            data.title, data.body, list(data.tags), list(data.intents),
        ):  # fmt: skip
            report.unchanged += 1
            continue
        (report.updated if current is not None else report.created).append(f"{data.slug}/{data.locale}")
        await upsert_article(uow, data=data)
        uow.session.add(
            KbArticleVersion(
                slug=data.slug, locale=data.locale, is_edit=current is not None, title=data.title, body=data.body,
                tags=list(data.tags), intents=list(data.intents), status=PUBLISHED, author_id=reviewer,
                note="imported", reviewer_id=reviewer, reviewed_at=now, created_at=now,
            )
        )  # fmt: skip
    await uow.session.flush()
    return report

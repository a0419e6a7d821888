"""Knowledge base: find articles, propose a new one or an edit from a conversation, review drafts, each
article's history and health (use, success, flags), import and export."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Path, Query, status

from tandem.conversation import service as conversation_service
from tandem.core.ids import ConversationId
from tandem.core.text import MAX_ID
from tandem.kb import service
from tandem.kb.schemas import ArticleIn, ArticleOut, DraftIn, ImportReport, ReviewIn, VersionOut
from tandem.learning import service as learning_service
from tandem.learning.knowledge import ArticleHealth
from tandem.learning.schemas import GapOut
from tandem.web.deps import ContainerDep, StaffActor
from tandem.web.errors import ERROR_RESPONSES

router = APIRouter(prefix="/api/v1/kb", tags=["knowledge base"], responses=ERROR_RESPONSES)
VersionPath = Annotated[int, Path(ge=1, le=MAX_ID)]
LOCALE_PATTERN = r"^[a-z]{2}(-[A-Za-z]{2})?$"
Locale = Annotated[str, Query(pattern=LOCALE_PATTERN)]
AnyLocale = Annotated[str | None, Query(pattern=LOCALE_PATTERN, description="Every language when left out")]


@router.get("/articles", response_model=list[ArticleOut])
async def find_articles(
    container: ContainerDep,
    actor: StaffActor,
    q: Annotated[str, Query(max_length=200, description="Words of the title or slug")] = "",
    locale: AnyLocale = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[ArticleOut]:
    async with container.uow(write=False) as uow:
        return await service.find_articles(uow, actor=actor, text=q, locale=locale, limit=limit)


@router.get("/articles/{slug}", response_model=ArticleOut)
async def get_article(
    slug: Annotated[str, Path(max_length=120)],
    container: ContainerDep,
    actor: StaffActor,
    locale: Locale = "en",
) -> ArticleOut:
    async with container.uow(write=False) as uow:
        return await service.get_article(uow, actor=actor, slug=slug, locale=locale)


@router.post("/drafts", status_code=status.HTTP_201_CREATED, response_model=VersionOut)
async def propose(data: DraftIn, container: ContainerDep, actor: StaffActor) -> VersionOut:
    """A new article, or an edit of ``edit_of``, as a draft for a supervisor to publish."""
    async with container.uow() as uow:
        if data.conversation_id is not None:
            await conversation_service.access_conversation(
                uow, actor=actor, conversation_id=ConversationId(data.conversation_id)
            )
        return await service.propose(uow, actor=actor, data=data)


@router.get("/gaps", response_model=list[GapOut])
async def knowledge_gaps(
    container: ContainerDep,
    actor: StaffActor,
    days: Annotated[int, Query(ge=1, le=90, description="The window, ending now")] = 7,
) -> list[GapOut]:
    """Supervisors: topics customers asked about that the bot could not answer or that went to a person,
    with volume, trend and a draft to start from."""
    async with container.uow(write=False) as uow:
        return await learning_service.knowledge_gaps(uow, actor=actor, settings=container.settings, days=days)


@router.get("/drafts", response_model=list[VersionOut])
async def list_drafts(
    container: ContainerDep,
    actor: StaffActor,
    status_: Annotated[Literal["draft", "published", "rejected"], Query(alias="status")] = "draft",
) -> list[VersionOut]:
    """Supervisors and admins see every draft; agents their own."""
    async with container.uow(write=False) as uow:
        return await service.list_versions(uow, actor=actor, status=status_)


@router.post("/drafts/{version_id}/publish", response_model=ArticleOut)
async def publish(
    version_id: VersionPath, container: ContainerDep, actor: StaffActor, data: ReviewIn | None = None
) -> ArticleOut:
    """Supervisors and admins: the draft becomes the article, and the bot and assist search it at once."""
    async with container.uow() as uow:
        article = await service.publish(uow, actor=actor, version_id=version_id, data=data or ReviewIn())
    await container.knowledge_changed()
    return article


@router.post("/drafts/{version_id}/reject", response_model=VersionOut)
async def reject(
    version_id: VersionPath, container: ContainerDep, actor: StaffActor, data: ReviewIn | None = None
) -> VersionOut:
    async with container.uow() as uow:
        return await service.reject(uow, actor=actor, version_id=version_id, data=data or ReviewIn())


@router.get("/articles/{slug}/history", response_model=list[VersionOut])
async def article_history(
    slug: Annotated[str, Path(max_length=120)],
    container: ContainerDep,
    actor: StaffActor,
    locale: AnyLocale = None,
) -> list[VersionOut]:
    """Every version of the article (drafts, published, rejected, imported), newest first."""
    async with container.uow(write=False) as uow:
        return await service.article_history(uow, actor=actor, slug=slug, locale=locale)


@router.get("/health", response_model=list[ArticleHealth])
async def article_health(
    container: ContainerDep,
    actor: StaffActor,
    days: Annotated[int, Query(ge=1, le=365, description="Use and success over these last days")] = 30,
) -> list[ArticleHealth]:
    """Supervisors: per article, how often the bot answered with it, how many of those conversations
    ended without a person, agents' "bot failed here" on it, and flags; flagged articles first."""
    async with container.uow(write=False) as uow:
        return await learning_service.article_health(uow, actor=actor, days=days)


@router.get("/export", response_model=list[ArticleIn])
async def export_articles(
    container: ContainerDep,
    actor: StaffActor,
    locale: AnyLocale = None,
) -> list[ArticleIn]:
    """Supervisors: the published articles as JSON, the shape POST /kb/import takes back."""
    async with container.uow(write=False) as uow:
        articles = await service.export_articles(uow, actor=actor, locale=locale)
    return [ArticleIn.model_validate(a.model_dump()) for a in articles]


@router.post("/import", response_model=ImportReport)
async def import_articles(
    container: ContainerDep,
    actor: StaffActor,
    articles: Annotated[list[ArticleIn], Body(max_length=2000)],
) -> ImportReport:
    """Supervisors: publish these articles (new ones created, changed ones updated with a version in their
    history, identical ones left alone); the bot and assist search them at once."""
    async with container.uow() as uow:
        report = await service.import_articles(uow, actor=actor, articles=articles)
    if report.created or report.updated:
        await container.knowledge_changed()
    return report

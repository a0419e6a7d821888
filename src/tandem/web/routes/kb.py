"""Knowledge base: find articles, propose a new one or an edit from a conversation, review drafts."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, status

from tandem.conversation import service as conversation_service
from tandem.core.ids import ConversationId
from tandem.core.text import MAX_ID
from tandem.kb import service
from tandem.kb.schemas import ArticleOut, DraftIn, ReviewIn, VersionOut
from tandem.learning import service as learning_service
from tandem.learning.schemas import GapOut
from tandem.web.deps import ContainerDep, StaffActor
from tandem.web.errors import ERROR_RESPONSES

router = APIRouter(prefix="/api/v1/kb", tags=["knowledge base"], responses=ERROR_RESPONSES)
VersionPath = Annotated[int, Path(ge=1, le=MAX_ID)]
Locale = Annotated[str, Query(pattern=r"^[a-z]{2}(-[A-Za-z]{2})?$")]


@router.get("/articles", response_model=list[ArticleOut])
async def find_articles(
    container: ContainerDep,
    actor: StaffActor,
    q: Annotated[str, Query(max_length=200, description="Words of the title or slug")] = "",
    locale: Annotated[str | None, Query(pattern=r"^[a-z]{2}(-[A-Za-z]{2})?$")] = None,
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

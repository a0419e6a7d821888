"""The learning loop over HTTP: the model registry, retraining as a background job with its progress,
rollback, and the agents whose corrections taught the bot."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from tandem.learning import service
from tandem.learning.schemas import Contributor, ModelVersionOut, RunStatus
from tandem.web.deps import ContainerDep, StaffActor
from tandem.web.errors import ERROR_RESPONSES

router = APIRouter(prefix="/api/v1/learning", tags=["learning"], responses=ERROR_RESPONSES)


@router.get("/models", response_model=list[ModelVersionOut])
async def models(
    container: ContainerDep, actor: StaffActor, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[ModelVersionOut]:
    """Supervisors and admins: every trained version, newest first, with metrics and the decision."""
    async with container.uow(write=False) as uow:
        return await service.list_versions(uow, actor=actor, limit=limit)


@router.post("/runs", status_code=status.HTTP_202_ACCEPTED, response_model=RunStatus)
async def start_run(container: ContainerDep, actor: StaffActor) -> RunStatus:
    """Admins: retrain from the corrections collected so far, in the background. Poll /status."""
    if container.learning_status.state in ("queued", "running"):
        return container.learning_status
    previous = container.learning_status
    container.learning_status = RunStatus(state="queued")  # before the job can start and report "running"
    try:
        async with container.uow() as uow:
            service.request_run(uow, actor=actor, trigger="manual")
    except BaseException:
        container.learning_status = previous
        raise
    return container.learning_status


@router.get("/status", response_model=RunStatus)
async def run_status(container: ContainerDep, actor: StaffActor) -> RunStatus:
    """The latest retraining on this server: its stage and progress, then the result."""
    actor.require_staff()
    return container.learning_status


@router.post("/models/{version}/rollback", response_model=ModelVersionOut)
async def rollback(
    version: Annotated[int, Path(ge=1, le=2**31 - 1)], container: ContainerDep, actor: StaffActor
) -> ModelVersionOut:
    """Admins: serve this version again (here at once, on other servers within 30 seconds)."""
    async with container.uow() as uow:
        restored = await service.rollback(uow, actor=actor, version=version)
    if container.bot_built:
        await container.follow_champion()
    return restored


@router.get("/leaderboard", response_model=list[Contributor])
async def leaderboard(container: ContainerDep, actor: StaffActor) -> list[Contributor]:
    """Agents whose corrections taught the bot, most promoted models first."""
    async with container.uow(write=False) as uow:
        return await service.leaderboard(uow, actor=actor)

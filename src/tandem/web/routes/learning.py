"""The learning loop over HTTP: labelled examples and the review of doubtful ones, the regression cases,
the model registry, retraining as a background job with its progress, rollback, and the agents whose
corrections taught the bot."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, status
from fastapi.responses import PlainTextResponse, Response

from tandem.accounts.actors import Role
from tandem.learning import review, service
from tandem.learning.schemas import (
    Contributor,
    ExampleOut,
    FeedbackSummary,
    ModelVersionOut,
    ReviewIn,
    RunStatus,
)
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


@router.get("/examples", response_model=list[ExampleOut])
async def examples(
    container: ContainerDep,
    actor: StaffActor,
    kind: Annotated[
        str | None, Query(max_length=30, description="intent, article, escalation_reason...")
    ] = None,
    review: Annotated[
        str | None, Query(max_length=12, description="held (the review queue), approved...")
    ] = None,
    after_id: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ExampleOut]:
    """Supervisors: labelled examples from every kind of feedback, oldest first after ``after_id``."""
    async with container.uow(write=False) as uow:
        return await service.list_examples(
            uow, actor=actor, kind=kind, review=review, after_id=after_id, limit=limit
        )


@router.post("/examples/collect", response_model=FeedbackSummary)
async def collect_examples(container: ContainerDep, actor: StaffActor) -> FeedbackSummary:
    """Supervisors: turn the feedback given since the last collection into labelled examples now (a
    retraining collects first anyway)."""
    actor.require_staff(Role.SUPERVISOR)
    async with container.uow() as uow:
        await service.collect(uow, default_consent=container.settings.learning_default_consent)
    async with container.uow(write=False) as uow:
        return await service.feedback_summary(uow, actor=actor)


@router.get("/examples/summary", response_model=FeedbackSummary)
async def examples_summary(container: ContainerDep, actor: StaffActor) -> FeedbackSummary:
    """Supervisors: examples per kind, and how many corrections wait for review."""
    async with container.uow(write=False) as uow:
        return await service.feedback_summary(uow, actor=actor)


@router.post("/examples/{example_id}/review", response_model=ExampleOut)
async def review_example(
    example_id: Annotated[int, Path(ge=1, le=2**62)],
    data: ReviewIn,
    container: ContainerDep,
    actor: StaffActor,
) -> ExampleOut:
    """Supervisors: approve a correction the model doubted (it is learned next time) or reject a label."""
    async with container.uow() as uow:
        return await service.review_example(
            uow, actor=actor, example_id=example_id, approve=data.decision == "approve"
        )


@router.get(
    "/cases",
    response_class=Response,
    responses={200: {"content": {"application/x-ndjson": {}}, "description": "tandem replay cases"}},
)
async def regression_cases(container: ContainerDep, actor: StaffActor) -> Response:
    """Supervisors: every corrected conversation as a ``tandem replay`` case expecting the agent's intent
    (JSON Lines)."""
    async with container.uow(write=False) as uow:
        cases = await service.regression_cases(uow, actor=actor)
    body = "".join(json.dumps(case, ensure_ascii=False) + "\n" for case in cases)
    return Response(body, media_type="application/x-ndjson")


@router.get(
    "/review",
    response_model=review.WeeklyReview,
    responses={200: {"content": {"text/markdown": {}}, "description": "with format=markdown"}},
)
async def weekly_review(
    container: ContainerDep,
    actor: StaffActor,
    days: Annotated[
        int, Query(ge=1, le=90, description="The window; trends compare with the one before")
    ] = 7,
    format: Annotated[
        Literal["json", "markdown"], Query(description="markdown: a document to share")
    ] = "json",
) -> Any:
    """Supervisors: the weekly review of escalated conversations (by reason, trigger and topic, with
    trends), the top 10 improvement opportunities and the product team's section."""
    labels = {reason.code: reason.label for reason in container.routing.escalation_reasons}
    async with container.uow(write=False) as uow:
        found = await service.weekly_review(
            uow, actor=actor, settings=container.settings, reason_labels=labels, days=days
        )
    if format == "markdown":
        return PlainTextResponse(review.to_markdown(found), media_type="text/markdown; charset=utf-8")
    return found

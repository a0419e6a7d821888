"""Agent assist: suggestions for a conversation, and what the agent did with them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, status

from tandem.assist import service, worklist
from tandem.assist.schemas import AssistOut, FeedbackIn, Worklist
from tandem.core.ids import ConversationId
from tandem.core.text import MAX_ID
from tandem.web.deps import ContainerDep, StaffActor
from tandem.web.errors import ERROR_RESPONSES

router = APIRouter(prefix="/api/v1", tags=["assist"], responses=ERROR_RESPONSES)
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/conversations/{conversation_id}/assist", response_model=AssistOut)
async def assist(conversation_id: IdPath, container: ContainerDep, actor: StaffActor) -> AssistOut:
    """Reply suggestions (the handoff's first reply, colleagues' replies to similar messages, articles),
    matching articles, the next best action and a coaching tip."""
    async with container.uow(write=False) as uow:
        return await service.assist(
            uow,
            actor=actor,
            conversation_id=ConversationId(conversation_id),
            knowledge=container.knowledge,
            crm=container.crm,
            history=container.reply_history,
        )


@router.post("/conversations/{conversation_id}/assist/feedback", status_code=status.HTTP_204_NO_CONTENT)
async def feedback(
    conversation_id: IdPath, data: FeedbackIn, container: ContainerDep, actor: StaffActor
) -> None:
    """Record that a suggestion was accepted, edited or rejected (the engine learns from the first two)."""
    async with container.uow() as uow:
        await service.record_feedback(
            uow, actor=actor, conversation_id=ConversationId(conversation_id), data=data
        )


@router.get("/worklist", response_model=Worklist)
async def my_worklist(
    container: ContainerDep,
    actor: StaffActor,
    scope: Annotated[
        Literal["mine", "floor"], Query(description="floor: every agent's (supervisors)")
    ] = "mine",
) -> Worklist:
    """My conversations and the waiting ones, with how long each customer has waited, a mood badge from
    their latest messages, and the last thing they said."""
    async with container.uow(write=False) as uow:
        return await worklist.worklist(uow, actor=actor, moods=container.moods(), floor=scope == "floor")

"""Agent assist: suggestions for a conversation, and what the agent did with them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from tandem.assist import service
from tandem.assist.schemas import AssistOut, FeedbackIn
from tandem.core.ids import ConversationId
from tandem.core.text import MAX_ID
from tandem.web.deps import ContainerDep, StaffActor
from tandem.web.errors import ERROR_RESPONSES

router = APIRouter(prefix="/api/v1/conversations", tags=["assist"], responses=ERROR_RESPONSES)
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/{conversation_id}/assist", response_model=AssistOut)
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


@router.post("/{conversation_id}/assist/feedback", status_code=status.HTTP_204_NO_CONTENT)
async def feedback(
    conversation_id: IdPath, data: FeedbackIn, container: ContainerDep, actor: StaffActor
) -> None:
    """Record that a suggestion was accepted, edited or rejected (the engine learns from the first two)."""
    async with container.uow() as uow:
        await service.record_feedback(
            uow, actor=actor, conversation_id=ConversationId(conversation_id), data=data
        )

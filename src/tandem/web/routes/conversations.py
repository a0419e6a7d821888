"""Conversations, messages and ownership. Each route calls one service function inside one unit of work."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from tandem.conversation import service
from tandem.conversation.schemas import (
    AssignRequest,
    BotFailureIn,
    CloseRequest,
    ConversationCreate,
    ConversationOut,
    ConversationPage,
    ConversationStarted,
    EventOut,
    HandBackRequest,
    HandoffRequest,
    MessageCreate,
    MessageOut,
    OutcomeOut,
    PostedMessage,
    RatingCreate,
    ReopenRequest,
    TagsUpdate,
)
from tandem.conversation.state import Owner, Trigger
from tandem.core.ids import ConversationId, CustomerId, StaffId
from tandem.core.text import MAX_ID
from tandem.routing import service as routing_service
from tandem.web.deps import ContainerDep, ConversationActor, OptionalStaffActor, StaffActor
from tandem.web.errors import ERROR_RESPONSES

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"], responses=ERROR_RESPONSES)
ConversationIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="The conversation id.")]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ConversationStarted)
async def start_conversation(
    data: ConversationCreate, container: ContainerDep, actor: OptionalStaffActor
) -> ConversationStarted:
    """Start a conversation with the bot. Public for the chat widget; with a staff token the customer's
    identities count as verified. Returns the conversation token, once."""
    async with container.uow() as uow:
        return await service.start_conversation(
            uow,
            actor=actor,
            data=data,
            identity_secret=container.settings.identity_secret,
            limits=container.limits,
        )


@router.get("", response_model=ConversationPage)
async def list_conversations(
    container: ContainerDep,
    actor: StaffActor,
    state: Annotated[list[Owner] | None, Query(description="Filter by owner state; repeatable.")] = None,
    assignee_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    customer_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    before_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Cursor from next_cursor.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ConversationPage:
    async with container.uow(write=False) as uow:
        return await service.list_conversations(
            uow,
            actor=actor,
            states=state,
            assignee_id=StaffId(assignee_id) if assignee_id else None,
            customer_id=CustomerId(customer_id) if customer_id else None,
            before_id=before_id,
            limit=limit,
        )


@router.get("/{conversation_id}", response_model=ConversationOut)
async def get_conversation(
    conversation_id: ConversationIdPath, container: ContainerDep, actor: ConversationActor
) -> ConversationOut:
    async with container.uow(write=False) as uow:
        return await service.access_conversation(
            uow, actor=actor, conversation_id=ConversationId(conversation_id)
        )


@router.post(
    "/{conversation_id}/messages",
    status_code=status.HTTP_201_CREATED,
    response_model=PostedMessage,
    responses={200: {"model": PostedMessage, "description": "Already stored under this client_message_id."}},
)
async def post_message(
    conversation_id: ConversationIdPath,
    data: MessageCreate,
    container: ContainerDep,
    actor: ConversationActor,
    response: Response,
) -> PostedMessage:
    """Post a message as the caller: the customer with a conversation token, an agent with a staff token
    (an agent's public reply takes the conversation over from the bot). Safe to retry with the same
    ``client_message_id``: the first copy is returned with status 200."""
    async with container.uow() as uow:
        posted = await service.post_message(
            uow,
            actor=actor,
            conversation_id=ConversationId(conversation_id),
            data=data,
            limits=container.limits,
        )
    if not posted.created:
        response.status_code = status.HTTP_200_OK
    return posted


@router.get("/{conversation_id}/messages", response_model=list[MessageOut])
async def list_messages(
    conversation_id: ConversationIdPath,
    container: ContainerDep,
    actor: ConversationActor,
    after_seq: Annotated[
        int, Query(ge=0, le=MAX_ID, description="Only messages after this sequence number.")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[MessageOut]:
    async with container.uow(write=False) as uow:
        return await service.list_messages(
            uow,
            actor=actor,
            conversation_id=ConversationId(conversation_id),
            after_seq=after_seq,
            limit=limit,
        )


@router.post("/{conversation_id}/handoff", response_model=ConversationOut)
async def request_human(
    conversation_id: ConversationIdPath,
    container: ContainerDep,
    actor: ConversationActor,
    data: HandoffRequest | None = None,
) -> ConversationOut:
    """ "Talk to an agent": works from every state and is safe to repeat."""
    trigger = Trigger.CUSTOMER_REQUEST if actor.is_customer else Trigger.AGENT
    async with container.uow() as uow:
        return await service.request_human(
            uow,
            actor=actor,
            conversation_id=ConversationId(conversation_id),
            trigger=trigger,
            reason=data.reason if data else None,
        )


@router.post("/{conversation_id}/assign", response_model=ConversationOut)
async def assign(
    conversation_id: ConversationIdPath,
    container: ContainerDep,
    actor: StaffActor,
    data: AssignRequest | None = None,
) -> ConversationOut:
    """Take the conversation (no body), or give it to another agent (supervisors). The person must be
    online with room: 409 says why not."""
    data = data or AssignRequest()
    async with container.uow() as uow:
        await routing_service.assign(
            uow,
            actor=actor,
            config=container.routing,
            conversation_id=ConversationId(conversation_id),
            staff_id=StaffId(data.staff_id) if data.staff_id else None,
            reason=data.reason,
        )
        return await service.access_conversation(
            uow, actor=actor, conversation_id=ConversationId(conversation_id)
        )


@router.post("/{conversation_id}/hand-back", response_model=ConversationOut)
async def hand_back(
    conversation_id: ConversationIdPath,
    container: ContainerDep,
    actor: StaffActor,
    data: HandBackRequest | None = None,
) -> ConversationOut:
    async with container.uow() as uow:
        return await service.hand_back(
            uow,
            actor=actor,
            conversation_id=ConversationId(conversation_id),
            reason=data.reason if data else None,
        )


@router.post("/{conversation_id}/close", response_model=ConversationOut)
async def close(
    conversation_id: ConversationIdPath,
    container: ContainerDep,
    actor: ConversationActor,
    data: CloseRequest | None = None,
) -> ConversationOut:
    data = data or CloseRequest()
    async with container.uow() as uow:
        return await service.close(
            uow,
            actor=actor,
            conversation_id=ConversationId(conversation_id),
            reason=data.reason,
            abandoned=data.abandoned,
        )


@router.post("/{conversation_id}/reopen", response_model=ConversationOut)
async def reopen(
    conversation_id: ConversationIdPath,
    container: ContainerDep,
    actor: ConversationActor,
    data: ReopenRequest | None = None,
) -> ConversationOut:
    async with container.uow() as uow:
        return await service.reopen(
            uow,
            actor=actor,
            conversation_id=ConversationId(conversation_id),
            reason=data.reason if data else None,
        )


@router.post("/{conversation_id}/rating", response_model=OutcomeOut)
async def rate(
    conversation_id: ConversationIdPath, data: RatingCreate, container: ContainerDep, actor: ConversationActor
) -> OutcomeOut:
    """CSAT (1-5) and/or NPS (0-10), from the customer."""
    async with container.uow() as uow:
        return await service.rate(
            uow, actor=actor, conversation_id=ConversationId(conversation_id), data=data
        )


@router.post("/{conversation_id}/tags", response_model=ConversationOut)
async def update_tags(
    conversation_id: ConversationIdPath, data: TagsUpdate, container: ContainerDep, actor: StaffActor
) -> ConversationOut:
    async with container.uow() as uow:
        return await service.update_tags(
            uow, actor=actor, conversation_id=ConversationId(conversation_id), data=data
        )


@router.get("/{conversation_id}/events", response_model=list[EventOut])
async def list_events(
    conversation_id: ConversationIdPath, container: ContainerDep, actor: StaffActor
) -> list[EventOut]:
    """The append-only event log: every ownership change with its trigger and reason."""
    async with container.uow(write=False) as uow:
        return await service.list_events(uow, actor=actor, conversation_id=ConversationId(conversation_id))


@router.get("/{conversation_id}/outcome", response_model=OutcomeOut)
async def get_outcome(
    conversation_id: ConversationIdPath, container: ContainerDep, actor: StaffActor
) -> OutcomeOut:
    async with container.uow(write=False) as uow:
        return await service.get_outcome(uow, actor=actor, conversation_id=ConversationId(conversation_id))


@router.post(
    "/{conversation_id}/messages/{seq}/bot-failure",
    status_code=status.HTTP_201_CREATED,
    response_model=EventOut,
)
async def flag_bot_reply(
    conversation_id: ConversationIdPath,
    seq: Annotated[int, Path(ge=1, le=MAX_ID, description="The bot reply's sequence number.")],
    data: BotFailureIn,
    container: ContainerDep,
    actor: StaffActor,
) -> EventOut:
    """ "The bot failed here", with the right intent or article: training data for the learning loop."""
    async with container.uow() as uow:
        return await service.flag_bot_reply(
            uow, actor=actor, conversation_id=ConversationId(conversation_id), seq=seq, data=data
        )

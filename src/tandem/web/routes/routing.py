"""Routing: presence, agent profiles, queues, offers, transfers, escalation overrides and SLA timers.
Each route calls one service function inside one unit of work."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from tandem.core.ids import ConversationId, StaffId
from tandem.core.text import MAX_ID
from tandem.routing import overrides, service, sla
from tandem.routing.schemas import (
    AgentOut,
    AgentProfileIn,
    CalibrationRow,
    DispatchReport,
    EscalateIn,
    FollowUpIn,
    IntentCorrectionIn,
    OfferOut,
    OverrideIn,
    PacketOut,
    PresenceIn,
    QueueOut,
    QueueStatus,
    ReasonIn,
    ReasonOut,
    SlaItem,
    TransferIn,
)
from tandem.web.deps import ContainerDep, ConversationActor, StaffActor
from tandem.web.errors import ERROR_RESPONSES

router = APIRouter(prefix="/api/v1", tags=["routing"], responses=ERROR_RESPONSES)
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/routing/queues", response_model=list[QueueOut])
async def list_queues(container: ContainerDep, actor: StaffActor) -> list[QueueOut]:
    """Each queue with its waiting and offered conversations, the oldest wait and who could take them."""
    async with container.uow() as uow:
        return await service.list_queues(uow, actor=actor, config=container.routing)


@router.get("/routing/agents", response_model=list[AgentOut])
async def list_agents(container: ContainerDep, actor: StaffActor) -> list[AgentOut]:
    """Every staff member's routing profile and presence: the one routing uses, the one they chose,
    whether a console tab is open and when one was last seen."""
    async with container.uow() as uow:
        return await service.list_agents(uow, actor=actor, config=container.routing)


@router.put("/routing/agents/{staff_id}", response_model=AgentOut)
async def update_agent(
    staff_id: IdPath, data: AgentProfileIn, container: ContainerDep, actor: StaffActor
) -> AgentOut:
    """Tier, skills, languages and capacity of a staff member (supervisors)."""
    async with container.uow() as uow:
        return await service.update_profile(
            uow, actor=actor, config=container.routing, staff_id=StaffId(staff_id), data=data
        )


@router.put("/routing/presence", response_model=AgentOut)
async def set_my_presence(data: PresenceIn, container: ContainerDep, actor: StaffActor) -> AgentOut:
    """Online takes new conversations; away and offline do not (and pending offers go to colleagues). With
    the console open, presence then follows its live connection: closing every tab makes you offline after
    the grace period, and reopening the console brings back what you chose here."""
    async with container.uow() as uow:
        return await service.set_presence(
            uow,
            actor=actor,
            config=container.routing,
            presence=data.presence,
            connections=container.connections,
            grace=container.presence_grace,
        )


@router.put("/routing/agents/{staff_id}/presence", response_model=AgentOut)
async def set_presence(
    staff_id: IdPath, data: PresenceIn, container: ContainerDep, actor: StaffActor
) -> AgentOut:
    async with container.uow() as uow:
        return await service.set_presence(
            uow,
            actor=actor,
            config=container.routing,
            presence=data.presence,
            staff_id=StaffId(staff_id),
            connections=container.connections,
            grace=container.presence_grace,
        )


@router.get("/routing/offers", response_model=list[OfferOut])
async def list_offers(container: ContainerDep, actor: StaffActor) -> list[OfferOut]:
    """Conversations offered to me, waiting for accept or decline."""
    async with container.uow(write=False) as uow:
        return await service.list_offers(uow, actor=actor)


@router.post("/routing/offers/{conversation_id}/accept", status_code=status.HTTP_204_NO_CONTENT)
async def accept_offer(conversation_id: IdPath, container: ContainerDep, actor: StaffActor) -> None:
    async with container.uow() as uow:
        await service.accept_offer(uow, actor=actor, conversation_id=ConversationId(conversation_id))


@router.post("/routing/offers/{conversation_id}/decline", status_code=status.HTTP_204_NO_CONTENT)
async def decline_offer(conversation_id: IdPath, container: ContainerDep, actor: StaffActor) -> None:
    async with container.uow() as uow:
        await service.decline_offer(uow, actor=actor, conversation_id=ConversationId(conversation_id))


@router.post("/routing/dispatch", response_model=DispatchReport)
async def dispatch(container: ContainerDep, actor: StaffActor) -> DispatchReport:
    """Run one routing round now (it also runs after every change and every few seconds)."""
    actor.require_staff()
    return await container.route()


@router.get("/routing/sla", response_model=list[SlaItem])
async def list_sla(container: ContainerDep, actor: StaffActor) -> list[SlaItem]:
    """Running first- and next-response timers, most urgent first."""
    async with container.uow(write=False) as uow:
        return await sla.list_sla(uow, actor=actor, config=container.routing)


@router.get("/escalation/calibration", response_model=list[CalibrationRow])
async def calibration(
    container: ContainerDep,
    actor: StaffActor,
    days: Annotated[int, Query(ge=1, le=365)] = 30,
) -> list[CalibrationRow]:
    """Per locale: sentiment escalations, agents' overrides, and a suggested threshold (supervisors)."""
    async with container.uow(write=False) as uow:
        return await overrides.calibration(
            uow, actor=actor, thresholds=frustration_thresholds(container), days=days
        )


def frustration_thresholds(container: ContainerDep) -> dict[str, float | None]:
    rule = container.escalation_policy.rule("frustration")
    if rule is None:
        return {"*": None}
    return {"*": rule.threshold, **rule.locales}


@router.get("/conversations/{conversation_id}/queue", response_model=QueueStatus)
async def queue_status(
    conversation_id: IdPath, container: ContainerDep, actor: ConversationActor
) -> QueueStatus:
    """Position and expected wait while waiting for a person (the customer's widget polls this)."""
    async with container.uow(write=False) as uow:
        return await service.queue_status(
            uow, actor=actor, config=container.routing, conversation_id=ConversationId(conversation_id)
        )


@router.post("/conversations/{conversation_id}/follow-up", response_model=QueueStatus)
async def follow_up(
    conversation_id: IdPath, data: FollowUpIn, container: ContainerDep, actor: ConversationActor
) -> QueueStatus:
    """The customer leaves an e-mail address for a reply; their place in the queue is kept."""
    async with container.uow() as uow:
        return await service.request_follow_up(
            uow,
            actor=actor,
            config=container.routing,
            conversation_id=ConversationId(conversation_id),
            email=data.email,
        )


@router.get("/conversations/{conversation_id}/handoff-packet", response_model=PacketOut)
async def handoff_packet(conversation_id: IdPath, container: ContainerDep, actor: StaffActor) -> PacketOut:
    """The newest handoff packet: summary, customer and orders, transcript, suggested first reply."""
    async with container.uow(write=False) as uow:
        return await service.get_packet(uow, actor=actor, conversation_id=ConversationId(conversation_id))


@router.post("/conversations/{conversation_id}/transfer", status_code=status.HTTP_204_NO_CONTENT)
async def transfer(
    conversation_id: IdPath, data: TransferIn, container: ContainerDep, actor: StaffActor
) -> None:
    """To a colleague (online, with room) or to a queue; the handoff packet goes along with your note."""
    async with container.uow() as uow:
        await service.transfer(
            uow,
            actor=actor,
            config=container.routing,
            conversation_id=ConversationId(conversation_id),
            data=data,
        )


@router.post("/conversations/{conversation_id}/join", status_code=status.HTTP_204_NO_CONTENT)
async def join(conversation_id: IdPath, container: ContainerDep, actor: StaffActor) -> None:
    """Supervisors: listen in on a live conversation and coach with private notes, without taking it over."""
    async with container.uow() as uow:
        await service.join(uow, actor=actor, conversation_id=ConversationId(conversation_id))


@router.post("/conversations/{conversation_id}/escalate", status_code=status.HTTP_204_NO_CONTENT)
async def escalate(
    conversation_id: IdPath, data: EscalateIn, container: ContainerDep, actor: StaffActor
) -> None:
    """Tier 1 → Tier 2, or to a supervisor."""
    async with container.uow() as uow:
        await service.escalate(
            uow,
            actor=actor,
            config=container.routing,
            conversation_id=ConversationId(conversation_id),
            data=data,
        )


@router.post("/conversations/{conversation_id}/escalation/override", status_code=status.HTTP_204_NO_CONTENT)
async def override_escalation(
    conversation_id: IdPath, data: OverrideIn, container: ContainerDep, actor: StaffActor
) -> None:
    """Mark a sentiment escalation as unnecessary, with a reason (and by default hand back to the bot)."""
    async with container.uow() as uow:
        await overrides.override_escalation(
            uow, actor=actor, conversation_id=ConversationId(conversation_id), data=data
        )


@router.get("/routing/escalation-reasons", response_model=list[ReasonOut])
async def escalation_reasons(container: ContainerDep, actor: StaffActor) -> list[ReasonOut]:
    """The fixed taxonomy of why conversations need a person (routing.yaml)."""
    return service.escalation_reasons(actor=actor, config=container.routing)


@router.post("/conversations/{conversation_id}/escalation-reason", status_code=status.HTTP_204_NO_CONTENT)
async def tag_escalation_reason(
    conversation_id: IdPath, data: ReasonIn, container: ContainerDep, actor: StaffActor
) -> None:
    """Tag why this conversation needed a person; an unknown code is 422 with the allowed ones."""
    async with container.uow() as uow:
        await service.tag_escalation_reason(
            uow,
            actor=actor,
            config=container.routing,
            conversation_id=ConversationId(conversation_id),
            code=data.code,
        )


@router.post("/conversations/{conversation_id}/intent-correction", status_code=status.HTTP_204_NO_CONTENT)
async def correct_intent(
    conversation_id: IdPath, data: IntentCorrectionIn, container: ContainerDep, actor: StaffActor
) -> None:
    """Correct the intent of the handoff summary; the learning loop learns the customer's words with it.
    404 for an unknown conversation, 409 for one never handed to a person."""
    async with container.uow() as uow:
        await service.correct_intent(
            uow, actor=actor, conversation_id=ConversationId(conversation_id), data=data
        )

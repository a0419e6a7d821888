"""Workforce management over HTTP: one interval's staffing, and a plan (forecast, people per interval,
shifts and breaks, the bot's what-if) from this deployment's history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from tandem.web.deps import ContainerDep, StaffActor
from tandem.web.errors import ERROR_RESPONSES
from tandem.wfm import service
from tandem.wfm.erlang import Demand, Target, staff_erlang_a, staff_erlang_c
from tandem.wfm.schemas import PlanIn, PlanOut, StaffOut

router = APIRouter(prefix="/api/v1/wfm", tags=["workforce"], responses=ERROR_RESPONSES)


@router.get("/staff", response_model=StaffOut)
async def staff(
    actor: StaffActor,
    volume: Annotated[float, Query(ge=0, le=1_000_000, description="Contacts in the interval")],
    interval_minutes: Annotated[int, Query(ge=1, le=1440)] = 30,
    aht_seconds: Annotated[float, Query(gt=0, le=86_400)] = 180,
    service_level: Annotated[float, Query(gt=0, lt=1)] = 0.8,
    answer_seconds: Annotated[float, Query(ge=0, le=86_400)] = 20,
    patience_seconds: Annotated[float | None, Query(ge=1, le=86_400, description="Set: Erlang A")] = None,
    shrinkage: Annotated[float, Query(ge=0, lt=1)] = 0.0,
    max_occupancy: Annotated[float, Query(gt=0, le=1)] = 1.0,
    concurrency: Annotated[int, Query(ge=1, le=10)] = 1,
) -> StaffOut:
    """Supervisors: the people one interval needs (Erlang C; Erlang A with ``patience_seconds``)."""
    service.require_planner(actor)
    demand = Demand(volume, interval_minutes * 60, aht_seconds)
    target = Target(service_level, answer_seconds, max_occupancy, shrinkage, concurrency)
    found = (
        staff_erlang_a(demand, target, patience_seconds)
        if patience_seconds
        else staff_erlang_c(demand, target)
    )
    return StaffOut(
        model="erlang_a" if patience_seconds else "erlang_c", agents=found.agents, positions=found.positions,
        service_level=found.service_level, asa_seconds=found.asa_seconds, occupancy=found.occupancy,
        waiting_probability=found.waiting_probability, abandonment=found.abandonment,
    )  # fmt: skip


@router.post("/plan", response_model=PlanOut)
async def plan(data: PlanIn, container: ContainerDep, actor: StaffActor) -> PlanOut:
    """Supervisors: forecast the next days from this deployment's conversations, staff what reaches
    people given the bot's containment, schedule shifts and breaks, and compare with no bot and a target
    containment. Takes a few seconds (the shift solver stops at 20)."""
    async with container.uow(write=False) as uow:
        return await service.plan(uow, actor=actor, settings=container.settings, request=data)

"""What the workforce plan takes and returns over HTTP."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class PlanIn(BaseModel):
    interval_minutes: Literal[15, 30, 60] = 30
    days: int = Field(default=7, ge=1, le=14, description="Days to plan, from tomorrow (UTC)")
    history_days: int = Field(default=56, ge=14, le=730, description="Days of this deployment's history")
    aht_seconds: float = Field(default=300, gt=0, le=86_400)
    service_level: float = Field(default=0.8, gt=0, lt=1)
    answer_seconds: float = Field(default=60, ge=0, le=86_400)
    patience_seconds: float | None = Field(default=None, ge=1, le=86_400, description="Set: Erlang A")
    shrinkage: float = Field(default=0.3, ge=0, lt=1)
    max_occupancy: float = Field(default=0.85, gt=0, le=1)
    concurrency: int = Field(default=1, ge=1, le=10)
    containment: float | None = Field(default=None, ge=0, le=1, description="Null: as measured (30 days)")
    target_containment: float | None = Field(default=None, ge=0, le=1)
    channel: str | None = Field(default=None, max_length=20)
    intent: str | None = Field(default=None, max_length=80)


class StaffOut(BaseModel):
    model: str = Field(description="erlang_c | erlang_a")
    agents: int = Field(description="People to schedule, after shrinkage and chat concurrency")
    positions: int = Field(description="Contacts the floor takes at once")
    service_level: float
    asa_seconds: float
    occupancy: float
    waiting_probability: float
    abandonment: float | None = Field(description="Erlang A: the share who give up")


class IntervalOut(BaseModel):
    start: datetime
    volume: float
    human_volume: float
    agents: int  # required, after shrinkage and concurrency
    scheduled: int  # people on the floor from the shifts


class ShiftOut(BaseModel):
    start: datetime
    break_start: datetime
    end: datetime
    people: int


class ScenarioOut(BaseModel):
    name: str
    containment: float
    contacts: float
    human_contacts: float
    agent_hours: float
    peak_agents: int
    people_cost: float
    bot_cost: float
    cost: float
    cost_per_contact: float | None
    savings: float


class BacktestOut(BaseModel):
    held_out_days: int
    mape: float | None
    wape: float | None
    naive_mape: float | None
    naive_wape: float | None
    beats_naive: bool


class ValidationOut(BaseModel):
    """The busiest interval simulated (SimPy) with the scheduled people."""

    start: datetime
    positions: int
    promised_service_level: float
    achieved_service_level: float
    promised_abandonment: float | None
    achieved_abandonment: float


class PlanOut(BaseModel):
    model: str = Field(description="erlang_c | erlang_a")
    containment: float
    containment_measured: bool
    history_days: int
    backtest: BacktestOut
    intervals: list[IntervalOut]
    shifts: list[ShiftOut]
    people_scheduled: int
    shortfall_intervals: int
    schedule_status: str
    scenarios: list[ScenarioOut]
    validation: ValidationOut | None

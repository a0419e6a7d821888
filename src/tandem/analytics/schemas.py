"""What the dashboard and the per-metric endpoints return."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

NO_INTENT = "unknown"  # the dimension values of a conversation without an intent, or never queued
NO_TEAM = "none"


class MetricValue(BaseModel):
    """A rate (numerator over denominator, with a 95 % Wilson interval) or a figure (a value over
    ``count`` observations). ``value`` is null when there is no data, never 0."""

    name: str
    label: str
    kind: str = Field(description="rate | figure")
    unit: str = Field(description="share (0-1) | seconds | score | money")
    value: float | None
    numerator: int | None = None
    denominator: int | None = None
    low: float | None = None
    high: float | None = None
    count: int | None = None


class SeriesPoint(BaseModel):
    bucket: datetime
    conversations: int
    values: dict[str, float | None] = Field(description="Each requested metric's value in this bucket.")


class BreakdownRow(BaseModel):
    key: str
    conversations: int
    containment: MetricValue
    escalation_rate: MetricValue
    csat: MetricValue
    rules: dict[str, int] = Field(description="Escalations by the rule that moved them to a person.")
    reasons: dict[str, int] = Field(description="Escalations by the reason agents tagged (untagged: none).")


class TriggerRow(BaseModel):
    trigger: str
    escalations: int
    share: float | None


class ReasonRow(BaseModel):
    reason: str = Field(
        description="The code agents tagged (routing.yaml's escalation_reasons), or untagged."
    )
    label: str
    escalations: int
    share: float | None


class FunnelStage(BaseModel):
    stage: str = Field(description="bot | queue | agent | resolved")
    label: str
    count: int


class IntentMatrixRow(BaseModel):
    intent: str
    conversations: int
    containment: MetricValue
    csat: MetricValue
    quadrant: str = Field(description="route_to_people | bot_works | people_work | fix_both | too_few")


class CostsOut(BaseModel):
    contacts: int
    bot_only: int
    with_person: int
    cost: float
    cost_per_contact: float | None
    savings: float
    bot_price: float
    human_price: float


class WindowOut(BaseModel):
    start: date
    end: date = Field(description="The last day included.")
    grain: str = Field(description="hour (windows of up to 2 days) or day")
    filters: dict[str, str]


class DashboardOut(BaseModel):
    window: WindowOut
    metrics: list[MetricValue]
    series: list[SeriesPoint]
    funnel: list[FunnelStage]
    breakdowns: dict[str, list[BreakdownRow]] = Field(
        description="By channel, locale, intent, team and topic."
    )
    triggers: list[TriggerRow]
    reasons: list[ReasonRow]
    intents: list[IntentMatrixRow]
    costs: CostsOut
    refreshed_at: datetime | None = Field(description="When the rollups last caught up with the event log.")


class MetricOut(BaseModel):
    window: WindowOut
    metric: MetricValue
    series: list[SeriesPoint]


class RefreshOut(BaseModel):
    conversations: int
    days: int
    position: int

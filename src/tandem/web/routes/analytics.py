"""Analytics over HTTP: the dashboard's figures, one endpoint per metric, CSV exports (streamed), and a
refresh on demand. Every figure comes from the rollups; only the contacts export reads record by record."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import StreamingResponse

from tandem.accounts.actors import Role
from tandem.analytics import service
from tandem.analytics.schemas import DashboardOut, MetricOut, MetricValue, RefreshOut
from tandem.web.deps import ContainerDep, StaffActor
from tandem.web.errors import ERROR_RESPONSES

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"], responses=ERROR_RESPONSES)

Day = Annotated[date | None, Query(description="YYYY-MM-DD (UTC); the window is [start, end], both included")]
Filter = Annotated[str | None, Query(max_length=80, description="Only conversations with this value")]
Grain = Annotated[Literal["hour", "day"] | None, Query(description="Default: hour up to 2 days, else day")]
Table = Literal[
    "series", "intents", "triggers", "reasons", "channel", "locale", "intent", "team", "topic", "contacts"
]


def window_query(
    container: ContainerDep,
    start: Day = None,
    end: Day = None,
    channel: Filter = None,
    locale: Filter = None,
    intent: Filter = None,
    team: Filter = None,
    grain: Grain = None,
) -> service.Query:
    """The window and filters every analytics endpoint takes (a 422 names what is wrong)."""
    return service.make_query(
        start=start,
        end=end,
        filters={"channel": channel, "locale": locale, "intent": intent, "team": team},
        today=container.clock.now().date(),
        retention_days=container.settings.analytics_retention_days,
        grain=grain,
    )


WindowQuery = Annotated[service.Query, Depends(window_query)]


@router.get("/dashboard", response_model=DashboardOut)
async def dashboard(
    container: ContainerDep,
    actor: StaffActor,
    query: WindowQuery,
) -> DashboardOut:
    """Supervisors: every metric, the series, the funnel, breakdowns by channel, locale, intent and team,
    escalations by rule, and containment x CSAT per intent, for a window (default: the last 30 days)."""
    async with container.uow(write=False) as uow:
        return await service.dashboard(
            uow,
            actor=actor,
            query=query,
            settings=container.settings,
            reason_labels=_reason_labels(container),
        )


@router.get("/metrics", response_model=list[MetricValue])
async def catalogue(container: ContainerDep, actor: StaffActor) -> list[MetricValue]:
    """The metrics, by name, label, kind and unit (values empty); docs/metrics.md has the formulas."""
    service.require_reader(actor)
    return service.catalogue()


@router.get("/metrics/{name}", response_model=MetricOut)
async def one_metric(
    container: ContainerDep,
    actor: StaffActor,
    name: Annotated[str, Path(max_length=40, description="See GET /api/v1/analytics/metrics")],
    query: WindowQuery,
) -> MetricOut:
    """Supervisors: one metric over the window, with its value per hour or day."""
    async with container.uow(write=False) as uow:
        return await service.metric(uow, actor=actor, name=name, query=query, settings=container.settings)


@router.get(
    "/export/{table}",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "CSV, streamed"}},
)
async def export(
    container: ContainerDep,
    actor: StaffActor,
    table: Annotated[Table, Path(description="A dashboard table, or contacts: every record of the window")],
    query: WindowQuery,
) -> StreamingResponse:
    """Supervisors: a dashboard table as CSV. ``contacts`` streams every conversation record of the window
    (no text, only ids, codes and times), in batches, whatever the window's size."""
    service.require_reader(actor)
    filename = f"tandem-{table}-{query.window().start}-{query.window().end}.csv"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if table == "contacts":
        return StreamingResponse(_contacts_csv(container, query), media_type="text/csv", headers=headers)
    async with container.uow(write=False) as uow:
        found = await service.dashboard(
            uow,
            actor=actor,
            query=query,
            settings=container.settings,
            reason_labels=_reason_labels(container),
        )
    return StreamingResponse(iter([_csv(_table(found, table))]), media_type="text/csv", headers=headers)


@router.post("/refresh", response_model=RefreshOut)
async def refresh(container: ContainerDep, actor: StaffActor) -> RefreshOut:
    """Admins: bring the rollups up to date now (the background job does it every minute)."""
    actor.require_staff(Role.ADMIN)
    report = await service.refresh(container.uow)
    return RefreshOut(conversations=report.conversations, days=report.days, position=report.position)


def _reason_labels(container: Any) -> dict[str, str]:
    return {reason.code: reason.label for reason in container.routing.escalation_reasons}


async def _contacts_csv(container: Any, query: service.Query) -> AsyncIterator[str]:
    yield _csv([list(service.CONTACT_EXPORT_COLUMNS)])
    async with container.uow(write=False) as uow:
        batch: list[Iterable[Any]] = []
        async for row in service.export_contacts(uow, query=query):
            batch.append(["" if v is None else v.isoformat() if hasattr(v, "isoformat") else v for v in row])
            if len(batch) >= 2_000:
                yield _csv(batch)
                batch = []
        if batch:
            yield _csv(batch)


def _csv(rows: Iterable[Iterable[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()


def _table(found: DashboardOut, table: str) -> list[list[Any]]:
    if table == "series":
        names = list(found.series[0].values) if found.series else []
        return [["bucket", "conversations", *names]] + [
            [p.bucket.isoformat(), p.conversations, *(p.values[n] for n in names)] for p in found.series
        ]
    if table == "intents":
        return [["intent", "conversations", "containment", "containment_low", "containment_high", "csat",
                 "csat_low", "csat_high", "quadrant"]] + [
            [r.intent, r.conversations, r.containment.value, r.containment.low, r.containment.high,
             r.csat.value, r.csat.low, r.csat.high, r.quadrant]
            for r in found.intents
        ]  # fmt: skip
    if table == "triggers":
        return [["trigger", "escalations", "share"]] + [
            [t.trigger, t.escalations, t.share] for t in found.triggers
        ]
    if table == "reasons":
        return [["reason", "label", "escalations", "share"]] + [
            [r.reason, r.label, r.escalations, r.share] for r in found.reasons
        ]
    return [[table, "conversations", "containment", "escalation_rate", "csat"]] + [
        [r.key, r.conversations, r.containment.value, r.escalation_rate.value, r.csat.value]
        for r in found.breakdowns[table]
    ]

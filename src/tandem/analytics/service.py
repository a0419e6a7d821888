"""Analytics: contact records from the conversation log, hourly and daily rollups kept by a resumable
job, and the dashboard's figures read from the rollups only (never from messages).

The refresh reads the event log after its cursor, rebuilds the contact record of every conversation
that logged something (and of the same customer's previous conversation, whose repeat-contact status may
have changed), re-rolls the days those conversations started on, and moves the cursor, all in one
transaction per batch: a refresh that fails resumes from its last finished batch.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import structlog

from tandem.accounts.actors import Actor, Role
from tandem.analytics import metrics as m
from tandem.analytics import repository
from tandem.analytics.schemas import (
    NO_INTENT,
    NO_TEAM,
    BreakdownRow,
    CostsOut,
    DashboardOut,
    FunnelStage,
    IntentMatrixRow,
    MetricOut,
    MetricValue,
    ReasonRow,
    SeriesPoint,
    TriggerRow,
    WindowOut,
)
from tandem.assist import service as assist_service
from tandem.conversation import service as conversation_service
from tandem.conversation.service import ConversationFacts
from tandem.core.errors import InvalidInputError
from tandem.core.uow import UnitOfWork, UnitOfWorkFactory
from tandem.routing import service as routing_service
from tandem.routing.service import REASON_TAG_PREFIX
from tandem.settings import Settings
from tandem.store.content import load_intents

log = structlog.get_logger(__name__)

REFRESH_JOB = "analytics.refresh"
EVENTS_CURSOR = "events"
DAY, HOUR = timedelta(days=1), timedelta(hours=1)
HOURLY_UP_TO_DAYS = 2  # longer windows are drawn by day
SIGNAL_FRUSTRATION = 0.5  # a bot trace this frustrated (or with a signal) marks the first signal
FILTERS = ("channel", "locale", "intent", "team")
BREAKDOWNS = (*FILTERS, "topic")
# The topic of each of the demo store's intents (account, orders, billing...); others are "other".
TOPICS = {spec.name: spec.topic for spec in load_intents()}
OTHER_TOPIC = "other"

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Metric:
    label: str
    kind: str  # rate | figure
    unit: str  # share | seconds | score | money
    compute: Callable[[m.Tally, Settings], m.Rate | m.Figure]


METRICS: dict[str, Metric] = {
    "containment": Metric("Containment", "rate", "share", lambda t, s: m.containment(t)),
    "escalation_rate": Metric("Escalation rate", "rate", "share", lambda t, s: m.escalation_rate(t)),
    "escalation_speed": Metric(
        "Speed of escalation (median)", "figure", "seconds", lambda t, s: m.escalation_speed(t)
    ),
    "resolution_after_handoff": Metric(
        "Resolution after handoff", "rate", "share", lambda t, s: m.resolution_after_handoff(t)
    ),
    "first_contact_resolution": Metric(
        "First-contact resolution", "rate", "share", lambda t, s: m.first_contact_resolution(t)
    ),
    "csat": Metric("CSAT (top-2 box)", "rate", "share", lambda t, s: m.csat(t)),
    "csat_bot_only": Metric("CSAT, bot only", "rate", "share", lambda t, s: m.csat(t, "bot_only")),
    "csat_after_handoff": Metric(
        "CSAT after handoff", "rate", "share", lambda t, s: m.csat(t, "after_handoff")
    ),
    "csat_human_only": Metric("CSAT, human only", "rate", "share", lambda t, s: m.csat(t, "human_only")),
    "nps": Metric("NPS", "figure", "score", lambda t, s: m.nps(t)),
    "average_handle_time": Metric(
        "Average handle time", "figure", "seconds", lambda t, s: m.average_handle_time(t)
    ),
    "first_response_time": Metric(
        "First response time (median)", "figure", "seconds", lambda t, s: m.first_response_time(t)
    ),
    "abandonment_in_bot": Metric(
        "Abandoned in the bot", "rate", "share", lambda t, s: m.abandonment_in_bot(t)
    ),
    "abandonment_in_queue": Metric(
        "Abandoned in the queue", "rate", "share", lambda t, s: m.abandonment_in_queue(t)
    ),
    "service_level": Metric(
        "Service level", "rate", "share", lambda t, s: m.service_level(t, s.analytics_answer_seconds)
    ),
    "human_touch_score": Metric("Human-touch score", "rate", "share", lambda t, s: m.human_touch_score(t)),
    "cost_per_contact": Metric(
        "Cost per contact",
        "figure",
        "money",
        lambda t, s: _cost_figure(
            m.costs(t, bot_price=s.price_bot_conversation, human_price=s.price_human_conversation)
        ),
    ),
}
ASSIST_ACCEPTANCE = "assist_acceptance"  # from the verdicts on suggestions, not from the rollups
ASSIST_METRIC = Metric("Agent-assist acceptance", "rate", "share", lambda t, s: m.Rate(None, 0, 0))
METRIC_NAMES = (*METRICS, ASSIST_ACCEPTANCE)


def catalogue() -> list[MetricValue]:
    """Every metric by name, label, kind and unit (no values)."""
    described = {**METRICS, ASSIST_ACCEPTANCE: ASSIST_METRIC}
    return [
        MetricValue(name=name, label=metric.label, kind=metric.kind, unit=metric.unit, value=None)
        for name, metric in described.items()
    ]


def _cost_figure(costs: m.Costs) -> m.Figure:
    return m.Figure(costs.cost_per_contact, costs.contacts)


def check_settings(settings: Settings) -> None:
    """At start-up: the service level's target must be a bin edge (exact across rollups)."""
    if settings.analytics_answer_seconds not in m.WAIT_EDGES:
        from tandem.core.errors import ConfigurationError

        raise ConfigurationError(
            "TANDEM_ANALYTICS_ANSWER_SECONDS must be one of " + ", ".join(map(str, m.WAIT_EDGES))
        )


# --- contact records ---------------------------------------------------------------------------------


def contact_from(facts: ConversationFacts, *, team: str | None, assisted: bool) -> m.Contact:
    """One conversation's record: the outcome row plus what its log says (intent, first signal,
    where it was abandoned, a person's first reply)."""
    outcome = facts.outcome
    intent: str | None = None
    reason: str | None = None
    for kind, _, data, _ in facts.events:
        if kind == "intent_corrected" and data.get("correct_intent"):
            intent = str(data["correct_intent"])  # an agent's correction wins, the newest last
        elif kind == "tagged":
            reason = _tagged_reason(reason, data)
    first_signal_at = None
    for at, trace in facts.bot_traces:
        found = trace.get("intent")
        if (
            intent is None
            and isinstance(found, dict)
            and found.get("intent")
            and not found.get("out_of_scope")
        ):
            intent = str(found["intent"])
        frustrated = float(trace.get("frustration") or 0.0) >= SIGNAL_FRUSTRATION
        if first_signal_at is None and (trace.get("signals") or frustrated):
            first_signal_at = at
    abandoned_in = None
    if outcome.resolved_by == "abandoned":
        left = [state for kind, state, data, _ in facts.events if kind == "resolve" and data.get("abandoned")]
        abandoned_in = "queue" if left and left[-1] in ("waiting", "human") else "bot"
    handle = None
    if outcome.resolved_by == "human" and outcome.first_human_at and outcome.resolved_at:
        handle = max(0.0, (outcome.resolved_at - outcome.first_human_at).total_seconds())
    if (
        first_signal_at is not None
        and outcome.escalated_at is not None
        and first_signal_at > outcome.escalated_at
    ):
        first_signal_at = None  # a signal after the handoff did not start it
    return m.Contact(
        conversation_id=facts.conversation_id,
        customer_id=facts.customer_id,
        started_at=facts.started_at,
        channel=facts.channel,
        locale=facts.locale,
        intent=intent,
        resolved_by=outcome.resolved_by,
        abandoned_in=abandoned_in,
        resolved_at=outcome.resolved_at,
        human_involved=outcome.human_involved,
        escalated=outcome.escalated,
        escalation_trigger=outcome.escalation_trigger,
        escalation_reason=reason,
        first_signal_at=first_signal_at,
        escalated_at=outcome.escalated_at,
        first_human_at=outcome.first_human_at,
        first_response_at=facts.first_agent_reply_at,
        handle_seconds=handle,
        csat=outcome.csat,
        nps=outcome.nps,
        assisted=assisted and outcome.human_involved,
        next_started_at=facts.next_started_at,
        team=team,
    )


def _tagged_reason(current: str | None, data: dict[str, Any]) -> str | None:
    """The escalation reason after one tag change: routing tags ``reason:<code>``, one at a time."""
    for tag in data.get("remove") or []:
        if isinstance(tag, str) and tag == f"{REASON_TAG_PREFIX}{current}":
            current = None
    for tag in data.get("add") or []:
        if isinstance(tag, str) and tag.startswith(REASON_TAG_PREFIX):
            current = tag.removeprefix(REASON_TAG_PREFIX)[:60] or None
    return current


def contact_row(contact: m.Contact) -> dict[str, Any]:
    row = {name: getattr(contact, name) for name in repository.CONTACT_COLUMNS}
    row["intent"] = contact.intent or NO_INTENT
    row["team"] = contact.team or NO_TEAM
    return row


def contact_of(row: Any) -> m.Contact:
    return m.Contact(**{name: getattr(row, name) for name in repository.CONTACT_COLUMNS})


# --- the refresh job ------------------------------------------------------------------------------------


@dataclass
class RefreshReport:
    conversations: int = 0
    days: int = 0
    position: int = 0


async def refresh(
    uow: UnitOfWorkFactory, *, batch: int = 500, max_batches: int | None = None
) -> RefreshReport:
    """Catch up with the event log, one committed batch at a time (see the module's docstring)."""
    report = RefreshReport()
    batches = 0
    while max_batches is None or batches < max_batches:
        async with uow() as work:
            position = await repository.cursor(work.session, EVENTS_CURSOR, dialect=work.dialect)
            changed, last = await conversation_service.changed_since(
                work, after_event_id=position, limit=batch
            )
            report.position = last
            if not changed:
                break
            days = await _rebuild_contacts(work, changed)
            for day in sorted(days):
                await _roll_day(work, day)
            await repository.set_cursor(work.session, EVENTS_CURSOR, last, work.clock.now())
        report.conversations += len(changed)
        report.days += len(days)
        batches += 1
    if report.conversations:
        log.info("analytics_refreshed", conversations=report.conversations, days=report.days)
    return report


async def _rebuild_contacts(work: UnitOfWork, conversation_ids: list[int]) -> set[datetime]:
    facts = await conversation_service.analytics_facts(work, conversation_ids)
    previous = sorted({f.previous_id for f in facts if f.previous_id is not None} - set(conversation_ids))
    facts += await conversation_service.analytics_facts(work, previous)
    ids = [f.conversation_id for f in facts]
    teams = await routing_service.last_queues(work, ids)
    assisted = await assist_service.assisted_conversations(work, ids)
    contacts = [
        contact_from(f, team=teams.get(f.conversation_id), assisted=f.conversation_id in assisted)
        for f in facts
    ]
    days = {_day(at) for at in await repository.contact_days(work.session, ids)}
    await repository.replace_contacts(work.session, [contact_row(c) for c in contacts])
    return days | {_day(c.started_at) for c in contacts}


async def rebuild(
    uow: UnitOfWorkFactory,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    progress: Progress | None = None,
) -> int:
    """Re-roll every day of [since, until) from the contact records (all of them by default), one
    transaction per day; returns the days rolled. After an import, or a change of the tally's layout."""
    async with uow(write=False) as work:
        first, last, _ = await repository.contact_span(work.session)
    if first is None or last is None:
        return 0
    start = _day(since or first)
    end = _day(until or last + DAY) if until else _day(last) + DAY
    days = [start + i * DAY for i in range((end - start) // DAY)]
    for done, day in enumerate(days, 1):
        async with uow() as work:
            await _roll_day(work, day)
        if progress is not None:
            progress(done, len(days))
    return len(days)


async def _roll_day(work: UnitOfWork, day: datetime) -> None:
    """The hourly and daily rollups of one day, from its contact records."""
    hours: dict[tuple[Any, ...], m.Tally] = {}
    async for row in repository.contacts_between(work.session, day, day + DAY):
        key = (
            row.started_at.replace(minute=0, second=0, microsecond=0),
            row.channel,
            row.locale,
            row.intent,
            row.team,
        )
        tally = hours.get(key)
        if tally is None:
            tally = hours[key] = m.Tally()
        tally.add(contact_of(row))
    days: dict[tuple[Any, ...], np.ndarray] = {}
    day_reasons: dict[tuple[Any, ...], dict[str, int]] = {}
    rows: list[dict[str, Any]] = []
    for (hour, *dims), tally in hours.items():
        vector = tally.to_vector()
        rows.append(_rollup("hour", hour, dims, tally.conversations, vector, tally.reasons))
        key = tuple(dims)
        days[key] = days[key] + np.asarray(vector) if key in days else np.asarray(vector, dtype=float)
        _add_counts(day_reasons.setdefault(key, {}), tally.reasons)
    for key, summed in days.items():
        rows.append(_rollup("day", day, list(key), int(summed[0]), _plain(summed), day_reasons[key]))
    await repository.replace_rollups(work.session, day, day + DAY, rows)


def _rollup(
    grain: str,
    bucket: datetime,
    dims: list[str],
    conversations: int,
    vector: list[float],
    reasons: dict[str, int],
) -> dict[str, Any]:
    channel, locale, intent, team = dims
    return {
        "grain": grain, "bucket": bucket, "channel": channel, "locale": locale, "intent": intent,
        "team": team, "conversations": conversations, "tally": vector, "reasons": reasons or None,
    }  # fmt: skip


def _add_counts(into: dict[str, int], counts: dict[str, int]) -> None:
    for key, count in counts.items():
        into[key] = into.get(key, 0) + count


def _plain(vector: np.ndarray) -> list[float]:
    """Whole numbers as ints (smaller JSON), the handle-time sum as a float."""
    return [int(v) if float(v).is_integer() else round(float(v), 3) for v in vector]


def _day(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


# --- reading: the window, filters and figures ---------------------------------------------------------


@dataclass(frozen=True)
class Query:
    start: datetime
    end: datetime  # exclusive
    grain: str
    filters: dict[str, str]

    def window(self) -> WindowOut:
        return WindowOut(
            start=self.start.date(), end=(self.end - DAY).date(), grain=self.grain, filters=self.filters
        )


def make_query(
    *,
    start: date | None,
    end: date | None,
    filters: dict[str, str | None],
    today: date,
    retention_days: int,
    grain: str | None = None,
) -> Query:
    """Days [start, end], both included, in UTC; by default the 30 days up to today."""
    end = end or today
    if end > today + timedelta(days=1):  # a day of slack for time zones ahead of UTC
        raise InvalidInputError(f"The end ({end}) is in the future; today is {today} (UTC).", field="end")
    start = start or end - timedelta(days=29)
    if end < start:
        raise InvalidInputError(f"The end ({end}) is before the start ({start}).", field="end")
    days = (end - start).days + 1
    if days > retention_days:
        raise InvalidInputError(
            f"The window is {days} days; at most {retention_days} (TANDEM_ANALYTICS_RETENTION_DAYS).",
            field="start",
        )
    if start < today - timedelta(days=retention_days):
        raise InvalidInputError(
            f"{start} is beyond the retention limit of {retention_days} days.", field="start"
        )
    if grain is not None and grain not in ("hour", "day"):
        raise InvalidInputError(f"Unknown grain {grain!r}; allowed: hour, day.", field="grain")
    chosen = grain or ("hour" if days <= HOURLY_UP_TO_DAYS else "day")
    if chosen == "hour" and days > 31:
        raise InvalidInputError("Hourly figures cover at most 31 days; use grain=day.", field="grain")
    begin = datetime(start.year, start.month, start.day, tzinfo=UTC)
    return Query(
        start=begin,
        end=begin + days * DAY,
        grain=chosen,
        filters={k: v for k, v in filters.items() if v},
    )


@dataclass
class Rows:
    """Rollup rows as arrays: one tally vector per row, its escalations by reason (one column per reason
    code seen), and each row's bucket and dimensions. Sums per key are NumPy reductions."""

    vectors: np.ndarray
    reasons: np.ndarray
    codes: list[str]
    buckets: list[datetime]
    dims: dict[str, list[str]]

    def total(self) -> m.Tally:
        if not self.buckets:
            return m.Tally()
        return self._tally(self.vectors.sum(axis=0), self.reasons.sum(axis=0))

    def by(self, keys: Iterable[Any]) -> dict[Any, m.Tally]:
        """Tallies per key (one key per row)."""
        keyed = list(keys)
        if not keyed:
            return {}
        unique, inverse = np.unique(np.array(keyed, dtype=object), return_inverse=True)
        order = np.argsort(inverse, kind="stable")
        starts = np.searchsorted(inverse[order], np.arange(len(unique)))
        sums = np.add.reduceat(self.vectors[order], starts, axis=0)  # every key has at least one row
        reasons = np.add.reduceat(self.reasons[order], starts, axis=0) if self.codes else sums[:, :0]
        return {key: self._tally(sums[i], reasons[i]) for i, key in enumerate(unique)}

    def _tally(self, vector: np.ndarray, reasons: np.ndarray) -> m.Tally:
        counts = {code: int(n) for code, n in zip(self.codes, reasons, strict=True) if n}
        return m.Tally.from_vector(vector.tolist(), counts)


async def _rows(work: UnitOfWork, query: Query, *, retention_days: int) -> Rows:
    found = await repository.rollup_rows(
        work.session, grain=query.grain, start=query.start, end=query.end, filters=query.filters
    )
    if not found and query.filters:
        await _check_filters(work, query.filters, retention_days=retention_days)
    width = m.VECTOR_WIDTH
    kept = [row for row in found if len(row.tally) == width]  # another layout: `tandem analytics rebuild`
    codes = sorted({code for row in kept if row.reasons for code in row.reasons})
    column = {code: i for i, code in enumerate(codes)}
    reasons = np.zeros((len(kept), len(codes)))
    for i, row in enumerate(kept):
        for code, count in (row.reasons or {}).items():
            reasons[i, column[code]] = count
    dims = {name: [getattr(row, name) for row in kept] for name in FILTERS}
    dims["topic"] = [TOPICS.get(intent, OTHER_TOPIC) for intent in dims["intent"]]
    return Rows(
        vectors=np.array([row.tally for row in kept], dtype=float).reshape(-1, width),
        reasons=reasons,
        codes=codes,
        buckets=[row.bucket for row in kept],
        dims=dims,
    )


async def _check_filters(work: UnitOfWork, filters: dict[str, str], *, retention_days: int) -> None:
    """An empty result: a real value with no data in the window, or a value never seen (422)."""
    since = work.clock.now() - timedelta(days=retention_days)
    known = await repository.dimension_values(work.session, since)
    for name, value in filters.items():
        if value not in known[name]:
            allowed = ", ".join(sorted(known[name])[:50]) or "none yet"
            raise InvalidInputError(f"Unknown {name} {value!r}; allowed: {allowed}.", field=name)


def _value(name: str, metric: Metric, found: m.Rate | m.Figure) -> MetricValue:
    if isinstance(found, m.Rate):
        return MetricValue(
            name=name, label=metric.label, kind="rate", unit=metric.unit, value=found.value,
            numerator=found.numerator, denominator=found.denominator, low=found.low, high=found.high,
        )  # fmt: skip
    return MetricValue(
        name=name, label=metric.label, kind="figure", unit=metric.unit, value=found.value, count=found.count
    )


def _compute(name: str, tally: m.Tally, settings: Settings) -> MetricValue:
    metric = METRICS[name]
    return _value(name, metric, metric.compute(tally, settings))


async def _assist_acceptance(work: UnitOfWork, query: Query) -> MetricValue:
    counts = await assist_service.verdict_counts(work, since=query.start, until=query.end)
    found = m.assist_acceptance(counts.get("accepted", 0), counts.get("edited", 0), counts.get("rejected", 0))
    return _value(ASSIST_ACCEPTANCE, ASSIST_METRIC, found)


SERIES_METRICS = ("containment", "escalation_rate", "csat", "csat_after_handoff", "abandonment_in_bot",
                  "abandonment_in_queue", "service_level", "average_handle_time")  # fmt: skip


def _series(rows: Rows, query: Query, settings: Settings, names: Iterable[str]) -> list[SeriesPoint]:
    by_bucket = rows.by(rows.buckets)
    step = HOUR if query.grain == "hour" else DAY
    points = []
    bucket = query.start
    chosen = list(names)
    while bucket < query.end:
        tally = by_bucket.get(bucket) or m.Tally()
        points.append(
            SeriesPoint(
                bucket=bucket,
                conversations=tally.conversations,
                values={name: METRICS[name].compute(tally, settings).value for name in chosen},
            )
        )
        bucket += step
    return points


async def dashboard(
    work: UnitOfWork,
    *,
    actor: Actor,
    query: Query,
    settings: Settings,
    reason_labels: dict[str, str] | None = None,
) -> DashboardOut:
    """Every figure of the dashboard for one window and filter, from the rollups."""
    require_reader(actor)
    rows = await _rows(work, query, retention_days=settings.analytics_retention_days)
    total = rows.total()
    values = [_compute(name, total, settings) for name in METRICS]
    values.append(await _assist_acceptance(work, query))
    grouped = {name: rows.by(rows.dims[name]) for name in BREAKDOWNS}  # the intent matrix reuses its group
    breakdowns = {
        name: sorted(
            (
                BreakdownRow(
                    key=str(key),
                    conversations=tally.conversations,
                    containment=_compute("containment", tally, settings),
                    escalation_rate=_compute("escalation_rate", tally, settings),
                    csat=_compute("csat", tally, settings),
                    rules=tally.triggers,
                    reasons=tally.reasons,
                )
                for key, tally in groups.items()
            ),
            key=lambda r: (-r.conversations, r.key),
        )
        for name, groups in grouped.items()
    }
    matrix = m.containment_by_csat(grouped["intent"])
    costs = m.costs(
        total, bot_price=settings.price_bot_conversation, human_price=settings.price_human_conversation
    )
    cursor = await repository.cursor_row(work.session, EVENTS_CURSOR)
    return DashboardOut(
        window=query.window(),
        metrics=values,
        series=_series(rows, query, settings, SERIES_METRICS),
        funnel=_funnel(total),
        breakdowns=breakdowns,
        triggers=[
            TriggerRow(
                trigger=trigger,
                escalations=count,
                share=round(count / total.escalated, 4) if total.escalated else None,
            )
            for trigger, count in sorted(total.triggers.items(), key=lambda kv: -kv[1])
        ],
        reasons=[
            ReasonRow(
                reason=reason,
                label=(reason_labels or {}).get(reason, reason.replace("_", " ")),
                escalations=count,
                share=round(count / total.escalated, 4) if total.escalated else None,
            )
            for reason, count in sorted(total.reasons.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        intents=[
            IntentMatrixRow(
                intent=row.intent,
                conversations=row.conversations,
                containment=_value("containment", METRICS["containment"], row.containment),
                csat=_value("csat", METRICS["csat"], row.csat),
                quadrant=row.quadrant,
            )
            for row in matrix
        ],
        costs=CostsOut(
            **vars(costs),
            bot_price=settings.price_bot_conversation,
            human_price=settings.price_human_conversation,
        ),
        refreshed_at=cursor.updated_at if cursor is not None else None,
    )


def _funnel(total: m.Tally) -> list[FunnelStage]:
    joined = sum(total.answer_waits)
    return [
        FunnelStage(stage="bot", label="Started with the bot", count=total.conversations),
        FunnelStage(stage="queue", label="Handed to a person", count=total.escalated),
        FunnelStage(stage="agent", label="A person joined", count=joined),
        FunnelStage(stage="resolved", label="Resolved by a person", count=total.resolved_after_handoff),
    ]


async def metric(work: UnitOfWork, *, actor: Actor, name: str, query: Query, settings: Settings) -> MetricOut:
    """One metric over the window, with its series."""
    require_reader(actor)
    if name not in METRIC_NAMES:
        raise InvalidInputError(f"Unknown metric {name!r}; allowed: {', '.join(METRIC_NAMES)}.", field="name")
    if name == ASSIST_ACCEPTANCE:
        found = await _assist_acceptance(work, query)
        return MetricOut(window=query.window(), metric=found, series=[])
    rows = await _rows(work, query, retention_days=settings.analytics_retention_days)
    return MetricOut(
        window=query.window(),
        metric=_compute(name, rows.total(), settings),
        series=_series(rows, query, settings, [name]),
    )


def require_reader(actor: Actor) -> None:
    """Analytics are for supervisors and admins (CX leaders)."""
    actor.require_staff(Role.SUPERVISOR)


CONTACT_EXPORT_COLUMNS = repository.CONTACT_COLUMNS


async def export_contacts(work: UnitOfWork, *, query: Query) -> AsyncIterator[tuple[Any, ...]]:
    """Every contact record of the window (filtered), streamed in batches: the rows behind the dashboard.
    Call ``require_reader`` first: a stream cannot answer 403 once it has started."""
    rows = repository.contacts_between(
        work.session, query.start, query.end, batch=2_000, filters=query.filters
    )
    async for row in rows:
        yield tuple(getattr(row, name) for name in CONTACT_EXPORT_COLUMNS)


async def contacts_of(work: UnitOfWork, query: Query) -> AsyncIterator[m.Contact]:
    """The contact records of the window, one by one (the benchmark's baseline scan)."""
    async for row in repository.contacts_between(work.session, query.start, query.end):
        yield contact_of(row)


async def load_contacts(work: UnitOfWork, rows: list[dict[str, Any]]) -> None:
    """Contact records made elsewhere (the benchmark's generated million)."""
    await repository.insert_contacts(work.session, rows)


async def delete_contacts(work: UnitOfWork) -> None:
    await repository.delete_contacts(work.session)


async def marker(work: UnitOfWork, name: str) -> int | None:
    found = await repository.cursor_row(work.session, name)
    return found.position if found is not None else None


async def set_marker(work: UnitOfWork, name: str, value: int) -> None:
    await repository.set_cursor(work.session, name, value, work.clock.now())


async def rollup_count(work: UnitOfWork) -> int:
    return await repository.count_rollups(work.session)


async def volume_counts(
    work: UnitOfWork, *, start: datetime, days: int, interval_minutes: int, filters: dict[str, str]
) -> dict[tuple[str, str], list[float]]:
    """Conversations started per interval over ``days`` whole days from ``start`` (midnight UTC), per
    (channel, intent), from the contact records: the history workforce plans forecast from."""
    step = interval_minutes * 60
    size = days * 24 * 60 // interval_minutes
    counts: dict[tuple[str, str], list[float]] = {}
    async for row in repository.contacts_between(work.session, start, start + days * DAY, filters=filters):
        series = counts.setdefault((row.channel, row.intent), [0.0] * size)
        series[int((row.started_at - start).total_seconds() // step)] += 1
    return counts


async def containment_by_channel_and_intent(
    work: UnitOfWork, *, actor: Actor, query: Query, settings: Settings
) -> dict[tuple[str, str], m.Rate]:
    """The bot's containment per (channel, intent) over the window, from the rollups."""
    require_reader(actor)
    rows = await _rows(work, query, retention_days=settings.analytics_retention_days)
    pairs = [
        f"{channel}\x1f{intent}"
        for channel, intent in zip(rows.dims["channel"], rows.dims["intent"], strict=True)
    ]
    found = {}
    for key, tally in rows.by(pairs).items():  # one string per pair: NumPy would split tuples into columns
        channel, intent = str(key).split("\x1f", 1)
        found[(channel, intent)] = m.containment(tally)
    return found

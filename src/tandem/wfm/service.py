"""Workforce plans from this deployment's own history: the volume per interval and the containment the
bot achieves, read from analytics (contact records and rollups)."""

from __future__ import annotations

import asyncio
from datetime import UTC, timedelta

from tandem.accounts.actors import Actor, Role
from tandem.analytics import service as analytics_service
from tandem.core.uow import UnitOfWork
from tandem.settings import Settings
from tandem.wfm.erlang import Target
from tandem.wfm.forecast import ForecastInputError, Series, backtest, forecast
from tandem.wfm.plan import (
    Prices,
    effective_containment,
    mix_containment,
    staffing_plan,
    validate_busiest,
    what_if,
)
from tandem.wfm.schedule import ShiftRules, schedule
from tandem.wfm.schemas import (
    BacktestOut,
    IntervalOut,
    PlanIn,
    PlanOut,
    ScenarioOut,
    ShiftOut,
    ValidationOut,
)

MIX_PRIOR = 3.0  # contacts at the overall containment added to each interval of the week's mix


def require_planner(actor: Actor) -> None:
    """Workforce plans are for supervisors and admins."""
    actor.require_staff(Role.SUPERVISOR)


async def volume_history(
    work: UnitOfWork, *, actor: Actor, interval_minutes: int, days: int, filters: dict[str, str]
) -> Series:
    """The last ``days`` whole days (UTC) of conversations per interval."""
    return (
        await _histories(work, actor=actor, interval_minutes=interval_minutes, days=days, filters=filters)
    )[0]


async def _histories(
    work: UnitOfWork, *, actor: Actor, interval_minutes: int, days: int, filters: dict[str, str]
) -> tuple[Series, dict[str, list[float]]]:
    """The history in all, and per kind of contact ("channel/intent")."""
    require_planner(actor)
    if not 14 <= days <= 730:
        raise ForecastInputError("history days must be between 14 and 730")
    today = work.clock.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=days)
    by_kind = await analytics_service.volume_counts(
        work, start=start, days=days, interval_minutes=interval_minutes, filters=filters
    )
    size = days * 24 * 60 // interval_minutes
    total = [sum(series[i] for series in by_kind.values()) for i in range(size)] if by_kind else [0.0] * size
    return Series(start, interval_minutes, tuple(total)), {f"{c}/{i}": v for (c, i), v in by_kind.items()}


async def measured_containment(
    work: UnitOfWork, *, actor: Actor, settings: Settings, filters: dict[str, str], days: int = 30
) -> float | None:
    """The bot's containment over the last ``days`` (None without ended conversations)."""
    today = work.clock.now().date()
    query = analytics_service.make_query(
        start=today - timedelta(days=days - 1), end=today, filters=dict(filters), today=today,
        retention_days=settings.analytics_retention_days,
    )  # fmt: skip
    found = await analytics_service.dashboard(work, actor=actor, query=query, settings=settings)
    return next(m.value for m in found.metrics if m.name == "containment")


async def plan(work: UnitOfWork, *, actor: Actor, settings: Settings, request: PlanIn) -> PlanOut:
    """Forecast this deployment's volume, staff what reaches people, schedule shifts and price the bot.
    The maths runs in a thread: a week's shifts take the solver up to 20 seconds."""
    require_planner(actor)
    filters = {k: v for k, v in (("channel", request.channel), ("intent", request.intent)) if v}
    history, by_kind = await _histories(
        work,
        actor=actor,
        interval_minutes=request.interval_minutes,
        days=request.history_days,
        filters=filters,
    )
    measured = request.containment is None
    containment: float | list[float]
    if request.containment is not None:
        containment = request.containment
    else:  # each kind of contact at its own containment, mixed as the history mixes them per interval
        overall = await measured_containment(work, actor=actor, settings=settings, filters=filters) or 0.0
        today = work.clock.now().date()
        window = analytics_service.make_query(
            start=today - timedelta(days=29), end=today, filters=dict(filters), today=today,
            retention_days=settings.analytics_retention_days,
        )  # fmt: skip
        kinds = await analytics_service.containment_by_channel_and_intent(
            work, actor=actor, query=window, settings=settings
        )
        shares = {f"{c}/{i}": rate.value for (c, i), rate in kinds.items() if rate.value is not None}
        per_week = 7 * 24 * 60 // request.interval_minutes
        week = mix_containment(by_kind, shares, default=overall, per_week=per_week, prior=MIX_PRIOR)
        containment = [week[k % per_week] for k in range(request.days * per_week // 7)]
    return await asyncio.to_thread(
        compute_plan, history, request, containment, measured, prices_from(settings)
    )


def prices_from(settings: Settings) -> Prices:
    return Prices(agent_hour=settings.price_agent_hour, bot_conversation=settings.price_bot_conversation)


def compute_plan(
    history: Series, request: PlanIn, containment: float | list[float], measured: bool, prices: Prices
) -> PlanOut:
    """The plan from a history and the bot's containment (one share, or one per forecast interval):
    pure computation, run in a thread by its callers."""
    target = Target(
        service_level=request.service_level, answer_seconds=request.answer_seconds,
        max_occupancy=request.max_occupancy, shrinkage=request.shrinkage, concurrency=request.concurrency,
    )  # fmt: skip
    held_out = min(14, max(1, history.days - 14))
    checked = backtest(history, held_out) if history.days >= held_out + 14 else None
    volumes = forecast(history, request.days)
    staffing = staffing_plan(
        volumes, interval_minutes=request.interval_minutes, aht_seconds=request.aht_seconds, target=target,
        patience_seconds=request.patience_seconds, containment=containment,
    )  # fmt: skip
    rules = ShiftRules.for_interval(request.interval_minutes)
    shifts = schedule(
        [s.agents for s in staffing], interval_minutes=request.interval_minutes, rules=rules, seconds=20
    )
    scenarios: dict[str, float | list[float]] = {"with the bot": containment}
    if request.target_containment is not None:
        scenarios["target"] = request.target_containment
    compared = what_if(
        volumes, interval_minutes=request.interval_minutes, aht_seconds=request.aht_seconds, target=target,
        containments=scenarios, prices=prices, patience_seconds=request.patience_seconds,
    )  # fmt: skip
    start = history.at(len(history.counts))
    step = timedelta(minutes=request.interval_minutes)
    checked_busiest = validate_busiest(
        volumes, shifts.coverage, interval_minutes=request.interval_minutes, aht_seconds=request.aht_seconds,
        target=target, containment=containment, patience_seconds=request.patience_seconds,
    )  # fmt: skip
    shares = [containment] * len(volumes) if isinstance(containment, float | int) else containment
    return PlanOut(
        model="erlang_a" if request.patience_seconds else "erlang_c",
        containment=round(effective_containment(volumes, containment), 4),
        containment_measured=measured,
        history_days=history.days,
        backtest=BacktestOut(
            held_out_days=held_out,
            mape=checked.model.mape if checked else None,
            wape=checked.model.wape if checked else None,
            naive_mape=checked.seasonal_naive.mape if checked else None,
            naive_wape=checked.seasonal_naive.wape if checked else None,
            beats_naive=checked.beats_naive if checked else False,
        ),
        intervals=[
            IntervalOut(
                start=start + i * step,
                volume=round(float(v), 2),
                human_volume=round(float(v) * (1 - shares[i]), 2),
                agents=s.agents,
                scheduled=shifts.coverage[i],
            )
            for i, (v, s) in enumerate(zip(volumes, staffing, strict=True))
        ],
        shifts=[
            ShiftOut(
                start=start + shift.start * step,
                break_start=start + shift.break_start * step,
                end=start + shift.start * step + timedelta(minutes=rules.length_minutes),
                people=shift.people,
            )
            for shift in sorted(shifts.shifts, key=lambda s: (s.start, s.break_start))
        ],
        people_scheduled=shifts.people,
        shortfall_intervals=sum(1 for s in shifts.shortfall if s),
        schedule_status=shifts.status,
        scenarios=[ScenarioOut.model_validate(s, from_attributes=True) for s in compared],
        validation=None
        if checked_busiest is None
        else ValidationOut(
            start=start + checked_busiest.interval * step,
            **{k: v for k, v in vars(checked_busiest).items() if k != "interval"},
        ),
    )

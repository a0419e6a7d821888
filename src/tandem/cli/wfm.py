"""``tandem wfm``: staff one interval (Erlang C or A), forecast volume with a backtest, and plan a week:
forecast -> what reaches people -> staff per interval -> shifts and breaks, with the bot's what-if."""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tandem.cli.common import console, err, exit_on_user_errors, settings_or_exit, stage_progress

wfm_app = typer.Typer(help="Workforce management: staffing, forecasts, schedules, ROI.", no_args_is_help=True)

Interval = Annotated[int, typer.Option("--interval-minutes", help="15, 30 or 60.")]
Aht = Annotated[float, typer.Option("--aht-seconds", help="Average handling time of a contact.")]
Level = Annotated[
    float, typer.Option("--service-level", help="Share answered within --answer-seconds (0-1).")
]
Answer = Annotated[float, typer.Option("--answer-seconds", help="The service level's answer time.")]
Patience = Annotated[
    float | None,
    typer.Option("--patience-seconds", help="Customers' average patience: Erlang A (else Erlang C)."),
]
Shrinkage = Annotated[float, typer.Option(help="Share of paid time away from contacts (0-1).")]
Occupancy = Annotated[float, typer.Option("--max-occupancy", help="Occupancy cap (0-1].")]
Concurrency = Annotated[int, typer.Option(help="Chats one person handles at once.")]


def _target(level: float, answer: float, occupancy: float, shrinkage: float, concurrency: int) -> Any:
    from tandem.wfm.erlang import Target

    return Target(
        service_level=level, answer_seconds=answer, max_occupancy=occupancy, shrinkage=shrinkage,
        concurrency=concurrency,
    )  # fmt: skip


@wfm_app.command("staff")
def staff(
    volume: Annotated[float, typer.Option(help="Contacts in the interval.")],
    interval_minutes: Interval = 30,
    aht_seconds: Aht = 180,
    service_level: Level = 0.8,
    answer_seconds: Answer = 20,
    patience_seconds: Patience = None,
    shrinkage: Shrinkage = 0.0,
    max_occupancy: Occupancy = 1.0,
    concurrency: Concurrency = 1,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """People needed for one interval. With --json: agents, service_level, asa_seconds, occupancy,
    waiting_probability, abandonment (Erlang A only), model."""
    from tandem.wfm.erlang import Demand, staff_erlang_a, staff_erlang_c

    with exit_on_user_errors():
        demand = Demand(volume, interval_minutes * 60, aht_seconds)
        target = _target(service_level, answer_seconds, max_occupancy, shrinkage, concurrency)
        found = (
            staff_erlang_a(demand, target, patience_seconds)
            if patience_seconds
            else staff_erlang_c(demand, target)
        )
    result = {
        "agents": found.agents,
        "positions": found.positions,
        "service_level": round(found.service_level, 4),
        "asa_seconds": round(found.asa_seconds, 2),
        "occupancy": round(found.occupancy, 4),
        "waiting_probability": round(found.waiting_probability, 4),
        "model": "erlang_a" if patience_seconds else "erlang_c",
    }
    if patience_seconds:
        result["abandonment"] = round(found.abandonment or 0.0, 4)
    if as_json:
        console.out(json.dumps(result), highlight=False)
        return
    console.print(
        f"{found.agents} agents ({'Erlang A' if patience_seconds else 'Erlang C'}): service level "
        f"{found.service_level:.1%} within {answer_seconds:g} s, average wait {found.asa_seconds:.1f} s, "
        f"occupancy {found.occupancy:.1%}"
        + (f", {found.abandonment:.1%} give up" if patience_seconds and found.abandonment is not None else "")
    )


def _history(
    csv_path: Path | None, interval_minutes: int, days: int, channel: str | None, intent: str | None
) -> Any:
    """The CSV's history, or this deployment's own conversations."""
    from tandem.wfm.history import read_csv

    if csv_path is not None:
        with exit_on_user_errors():
            return read_csv(csv_path, interval_minutes=interval_minutes, channel=channel, intent=intent)
    from tandem.accounts.actors import Actor
    from tandem.cli.main import run_with_container
    from tandem.wfm import service as wfm_service

    filters = {k: v for k, v in (("channel", channel), ("intent", intent)) if v}

    async def work(container: Any) -> Any:
        async with container.uow(write=False) as uow:
            return await wfm_service.volume_history(
                uow, actor=Actor.system(), interval_minutes=interval_minutes,
                days=days, filters=filters,
            )  # fmt: skip

    return run_with_container(settings_or_exit(), work)


@wfm_app.command("forecast")
def forecast_command(
    csv_path: Annotated[
        Path | None, typer.Option("--csv", help="History: start,volume[,channel,intent] rows.")
    ] = None,
    interval_minutes: Interval = 30,
    days: Annotated[int, typer.Option(help="Days to forecast.", min=1, max=90)] = 7,
    history_days: Annotated[int, typer.Option(help="Without --csv: days of your own history.")] = 56,
    backtest_days: Annotated[int, typer.Option(help="Days held out to measure the forecast.", min=1)] = 14,
    channel: Annotated[str | None, typer.Option(help="Only this channel.")] = None,
    intent: Annotated[str | None, typer.Option(help="Only this intent.")] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the forecast as CSV.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The backtest and the forecast as JSON.")] = False,
) -> None:
    """Forecast contacts per interval (Holt-Winters daily totals x weekday intraday profiles) and print
    the backtest's MAPE and WAPE against seasonal-naive on the last --backtest-days."""
    from tandem.wfm.forecast import backtest, forecast

    history = _history(csv_path, interval_minutes, history_days, channel, intent)
    with exit_on_user_errors():
        checked = backtest(history, backtest_days)
        predicted = forecast(history, days)
    start = history.at(len(history.counts))
    rows = [((start.timestamp() + i * interval_minutes * 60), float(v)) for i, v in enumerate(predicted)]
    if output is not None:
        _write_csv(output, ["start", "volume"], [[_iso(t), round(v, 2)] for t, v in rows])
    result = {
        "interval_minutes": interval_minutes,
        "history_days": history.days,
        "backtest_days": backtest_days,
        "mape": _round(checked.model.mape),
        "wape": _round(checked.model.wape),
        "naive_mape": _round(checked.seasonal_naive.mape),
        "naive_wape": _round(checked.seasonal_naive.wape),
        "beats_naive": checked.beats_naive,
        "forecast_total": round(float(predicted.sum()), 1),
    }
    if as_json:
        console.out(
            json.dumps(result | {"forecast": [[_iso(t), round(v, 2)] for t, v in rows]}), highlight=False
        )
        return
    table = Table(title=f"Backtest on the last {backtest_days} days ({history.days} days of history)")
    for header in ("Model", "MAPE", "WAPE"):
        table.add_column(header)
    table.add_row("Holt-Winters x weekday profiles", _pct(checked.model.mape), _pct(checked.model.wape))
    table.add_row(
        "Seasonal-naive (last week)", _pct(checked.seasonal_naive.mape), _pct(checked.seasonal_naive.wape)
    )
    console.print(table)
    console.print(
        f"Forecast: {predicted.sum():,.0f} contacts over {days} days"
        + (f"; written to {output}" if output else ".")
    )


@wfm_app.command("plan")
def plan_command(
    csv_path: Annotated[
        Path | None, typer.Option("--csv", help="History: start,volume[,channel,intent] rows.")
    ] = None,
    interval_minutes: Interval = 30,
    days: Annotated[int, typer.Option(help="Days to plan.", min=1, max=14)] = 7,
    history_days: Annotated[int, typer.Option(help="Without --csv: days of your own history.")] = 56,
    aht_seconds: Aht = 300,
    service_level: Level = 0.8,
    answer_seconds: Answer = 60,
    patience_seconds: Patience = None,
    shrinkage: Shrinkage = 0.3,
    max_occupancy: Occupancy = 0.85,
    concurrency: Concurrency = 1,
    containment: Annotated[
        float | None, typer.Option(help="The bot's containment (0-1); default: as measured over 30 days.")
    ] = None,
    target_containment: Annotated[
        float | None, typer.Option(help="A what-if containment to compare.")
    ] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the shifts as CSV.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The plan as JSON.")] = False,
) -> None:
    """Plan the next days: forecast, what reaches people given the bot's containment, people per
    interval, shifts and breaks (OR-Tools), and the what-if without the bot and at a target containment.
    The same plan as the page /console/wfm (``wfm.service``); from your own history, each channel and
    intent at its own measured containment."""
    from pydantic import ValidationError

    from tandem.accounts.actors import Actor
    from tandem.cli.main import run_with_container
    from tandem.wfm import service as wfm_service
    from tandem.wfm.history import read_csv
    from tandem.wfm.schemas import PlanIn

    settings = settings_or_exit()
    try:
        request = PlanIn(
            interval_minutes=interval_minutes, days=days, history_days=history_days, aht_seconds=aht_seconds,
            service_level=service_level, answer_seconds=answer_seconds, patience_seconds=patience_seconds,
            shrinkage=shrinkage, max_occupancy=max_occupancy, concurrency=concurrency, containment=containment,
            target_containment=target_containment,
        )  # fmt: skip
    except ValidationError as exc:
        first = exc.errors()[0]
        err.print(f"[red]Error:[/red] {'.'.join(map(str, first['loc']))}: {first['msg']}")
        raise typer.Exit(2) from None

    async def work(container: Any) -> Any:
        async with container.uow(write=False) as uow:
            if csv_path is None:
                return await wfm_service.plan(uow, actor=Actor.system(), settings=settings, request=request)
            history = read_csv(csv_path, interval_minutes=interval_minutes)
            share = containment
            if share is None:  # a file has no containment: the bot's overall one, as measured here
                share = await wfm_service.measured_containment(
                    uow, actor=Actor.system(), settings=settings, filters={}
                )
                if share is None:
                    err.print(
                        "[yellow]Note:[/yellow] no containment measured yet: planning without the bot's share."
                    )
            return await asyncio.to_thread(
                wfm_service.compute_plan, history, request, share or 0.0, containment is None,
                wfm_service.prices_from(settings),
            )  # fmt: skip

    with stage_progress() as report:
        report("planning", 0, 1)
        found = run_with_container(settings, work)
        report("planning", 1, 1)
    if output is not None:
        _write_csv(
            output,
            ["shift_start", "break_start", "shift_end", "people"],
            [
                [s.start.isoformat(), s.break_start.isoformat(), s.end.isoformat(), s.people]
                for s in found.shifts
            ],
        )
    result = {
        "days": days,
        "interval_minutes": interval_minutes,
        "containment": found.containment,
        "contacts": round(sum(i.volume for i in found.intervals), 1),
        "peak_agents": max((i.agents for i in found.intervals), default=0),
        "people_scheduled": found.people_scheduled,
        "shortfall_intervals": found.shortfall_intervals,
        "schedule_status": found.schedule_status,
        "scenarios": [s.model_dump() for s in found.scenarios],
        "validation": None if found.validation is None else found.validation.model_dump(mode="json"),
    }
    if as_json:
        console.out(json.dumps(result), highlight=False)
        return
    table = Table(
        title=f"What the bot is worth over the next {days} days ({result['contacts']:,.0f} contacts)"
    )
    for header in ("Scenario", "Containment", "Agent hours", "Peak agents", "People cost", "Bot cost",
                   "Per contact", "Saved"):  # fmt: skip
        table.add_column(header, justify="left" if header == "Scenario" else "right")
    for s in found.scenarios:
        table.add_row(
            s.name, f"{s.containment:.0%}", f"{s.agent_hours:,.0f}", str(s.peak_agents),
            f"{s.people_cost:,.0f}", f"{s.bot_cost:,.0f}",
            "" if s.cost_per_contact is None else f"{s.cost_per_contact:.2f}", f"{s.savings:,.0f}",
        )  # fmt: skip
    console.print(table)
    console.print(
        f"{found.people_scheduled} shifts of 8 hours cover the requirement ({found.schedule_status})"
        + (f"; written to {output}" if output else ".")
    )
    checked = found.validation
    if checked is not None:
        console.print(
            f"The busiest interval, simulated with {checked.positions} positions: "
            f"{checked.achieved_service_level:.1%} answered in time (promised {checked.promised_service_level:.1%})."
        )


def _write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    try:
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            writer.writerows(rows)
    except OSError as exc:
        err.print(f"[red]Error:[/red] cannot write {path}: {exc.strerror or exc}")
        raise typer.Exit(2) from None


def _iso(epoch: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC).isoformat()


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"

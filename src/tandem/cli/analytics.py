"""``tandem simulate`` (synthetic traffic through the real services) and ``tandem analytics`` (the
rollups' refresh and rebuild, and the dashboard's figures in the terminal)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from tandem.cli.common import console, err, settings_or_exit, stage_progress

analytics_app = typer.Typer(
    help="Analytics: refresh the rollups, rebuild them, print the figures.", no_args_is_help=True
)


def simulate(
    conversations: Annotated[
        int, typer.Option("--conversations", "-n", min=1, max=1_000_000, help="How many.")
    ] = 500,
    days: Annotated[int, typer.Option(min=1, max=400, help="Spread over the last D days.")] = 14,
    seed: Annotated[int, typer.Option(help="The same seed gives the same traffic.")] = 7,
    force: Annotated[
        bool, typer.Option("--force", help="Also outside demo mode (TANDEM_DEMO=false).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Create realistic synthetic traffic through the real services (bot, routing, agents, agent assist,
    ratings) in the configured database, then bring the analytics up to date. For demos and benchmarks:
    it refuses a non-demo database unless --force."""
    from tandem.analytics import service as analytics_service
    from tandem.bench.traffic import TrafficSimulator
    from tandem.cli.main import run_with_container
    from tandem.core.clock import FrozenClock

    settings = settings_or_exit()
    if not settings.demo and not force:
        err.print(
            "[red]Error:[/red] this database is not a demo (TANDEM_DEMO=false); add --force to fill it anyway."
        )
        raise typer.Exit(2)
    # Jobs run here, in order, on the simulated clock; the bot answers in this process.
    settings = settings.model_copy(
        update={"job_queue": "inprocess", "job_workers": max(1, settings.job_workers)}
    )
    clock = FrozenClock(datetime.now(UTC))

    async def work(container: Any) -> dict[str, Any]:
        with stage_progress() as report:
            report("starting the bot", 0, 1)
            await container.start(migrate_schema=False)
            report("starting the bot", 1, 1)
            simulator = TrafficSimulator(container, clock, seed=seed)
            await simulator.prepare()
            found = await simulator.run(
                conversations,
                days=days,
                end=datetime.now(UTC),
                progress=lambda d, t: report("conversations", d, t),
            )
            clock.set(datetime.now(UTC))
            refreshed = await analytics_service.refresh(container.uow)
            report("analytics", 1, 1)
        return found.as_dict() | {"analytics_days": refreshed.days}

    result = run_with_container(settings, work, clock=clock)
    if as_json:
        console.out(json.dumps(result), highlight=False)
        return
    console.print(
        f"{result['conversations']} conversations over {days} days: {result['resolved_by_bot']} resolved by the bot, "
        f"{result['handed_over']} handed to a person ({result['resolved_by_person']} resolved), "
        f"{result['abandoned']} abandoned, {result['skipped']} refused by the services."
    )


@analytics_app.command("refresh")
def refresh() -> None:
    """Bring the rollups up to date with the event log now (a server does it every minute)."""
    from tandem.analytics import service as analytics_service
    from tandem.cli.main import run_with_container

    async def work(container: Any) -> Any:
        return await analytics_service.refresh(container.uow)

    found = run_with_container(settings_or_exit(), work)
    console.print(f"{found.conversations} conversations updated; {found.days} days rolled up again.")


@analytics_app.command("rebuild")
def rebuild() -> None:
    """Roll up every day again from the contact records (after an import, or an upgrade that says so)."""
    from tandem.analytics import service as analytics_service
    from tandem.cli.main import run_with_container

    async def work(container: Any) -> int:
        with stage_progress() as report:
            return await analytics_service.rebuild(container.uow, progress=lambda d, t: report("days", d, t))

    console.print(f"{run_with_container(settings_or_exit(), work)} days rolled up.")


@analytics_app.command("show")
def show(
    start: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="First day (UTC).")] = None,
    end: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Last day, included.")] = None,
    channel: Annotated[str | None, typer.Option(help="Only this channel.")] = None,
    intent: Annotated[str | None, typer.Option(help="Only this intent.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The dashboard's JSON.")] = False,
) -> None:
    """The dashboard's figures for a window (default: the last 30 days)."""
    from tandem.accounts.actors import Actor
    from tandem.analytics import service as analytics_service
    from tandem.cli.main import run_with_container

    settings = settings_or_exit()

    async def work(container: Any) -> Any:
        query = analytics_service.make_query(
            start=_day(start),
            end=_day(end),
            filters={"channel": channel, "intent": intent},
            today=container.clock.now().date(),
            retention_days=settings.analytics_retention_days,
        )
        async with container.uow(write=False) as uow:
            return await analytics_service.dashboard(
                uow, actor=Actor.system(), query=query, settings=settings
            )

    found = run_with_container(settings, work)
    if as_json:
        console.out(found.model_dump_json(), highlight=False)
        return
    table = Table(title=f"{found.window.start} to {found.window.end}")
    for header in ("Metric", "Value", "Of", "95 % interval"):
        table.add_column(header)
    for metric in found.metrics:
        table.add_row(
            metric.label, _shown(metric), str(metric.denominator or metric.count or 0), _interval(metric)
        )
    console.print(table)


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def _shown(metric: Any) -> str:
    if metric.value is None:
        return "no data"
    if metric.unit == "share":
        return f"{metric.value:.1%}"
    if metric.unit == "seconds":
        return f"{metric.value:.0f} s"
    return f"{metric.value:g}"


def _interval(metric: Any) -> str:
    if metric.low is None or metric.high is None:
        return ""
    return f"{metric.low:.1%} to {metric.high:.1%}"

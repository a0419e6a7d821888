"""The ``tandem`` command. Each command calls one service function; domain errors print their message and
exit with status 2, never a traceback."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.table import Table
from sqlalchemy.exc import DBAPIError

from tandem.accounts import service as accounts_service
from tandem.accounts.actors import Actor, Role
from tandem.accounts.schemas import StaffCreate
from tandem.bootstrap import Container, build_container
from tandem.cli.analytics import analytics_app, simulate
from tandem.cli.bench import bench_app
from tandem.cli.common import console, err, exit_on_user_errors, settings_or_exit, stage_progress
from tandem.cli.kb import kb_app
from tandem.cli.learn import learn_app
from tandem.cli.wfm import wfm_app
from tandem.conversation import service as conversation_service
from tandem.conversation.state import Owner
from tandem.core import migrate
from tandem.core.clock import Clock
from tandem.core.errors import TandemError
from tandem.core.ids import ConversationId
from tandem.core.observability import configure_logging
from tandem.settings import Settings

app = typer.Typer(
    name="tandem",
    help="Tandem: customer service where an AI front line and human agents work as one team.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="The built-in demo store.", no_args_is_help=True)
staff_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
conversations_app = typer.Typer(help="Look at and act on conversations.", no_args_is_help=True)
bot_app = typer.Typer(help="The Tier-0 bot: train its intent model.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(staff_app, name="staff")
app.add_typer(conversations_app, name="conversations")
app.add_typer(bench_app, name="bench")
app.add_typer(bot_app, name="bot")
app.add_typer(learn_app, name="learn")
app.add_typer(kb_app, name="kb")
app.add_typer(analytics_app, name="analytics")
app.add_typer(wfm_app, name="wfm")
app.command("simulate")(simulate)
escalation_app = typer.Typer(help="The escalation policy and routing files.", no_args_is_help=True)
app.add_typer(escalation_app, name="escalation")

T = TypeVar("T")

DatabaseUrl = Annotated[
    str | None, typer.Option("--database-url", help="SQLAlchemy URL; default: TANDEM_DATABASE_URL or SQLite.")
]


def run_with_container(
    settings: Settings,
    work: Callable[[Container], Awaitable[T]],
    *,
    migrate_schema: bool = True,
    clock: Clock | None = None,
) -> T:
    """Build the container, make sure the schema is current, run ``work``, always clean up."""

    async def main() -> T:
        container = build_container(settings, clock=clock)
        try:
            if migrate_schema:
                await migrate.upgrade(container.database)
            return await work(container)
        finally:
            await container.stop()

    return _run(main())


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(coroutine)
    except TandemError as exc:
        err.print(f"[red]Error:[/red] {exc.detail}")
        raise typer.Exit(2) from None
    except OSError as exc:
        err.print(f"[red]Error:[/red] cannot reach a service ({exc.strerror or type(exc).__name__}).")
        raise typer.Exit(2) from None
    except DBAPIError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[-1][:300]
        err.print(f"[red]Database error:[/red] {reason}")
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # the last line of defence: a message, never a traceback
        err.print(f"[red]Unexpected error[/red] ({type(exc).__name__}): {str(exc)[:300]}")
        raise typer.Exit(1) from None


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).", min=1, max=65535)] = None,
    database_url: DatabaseUrl = None,
    redis_url: Annotated[str | None, typer.Option(help="Redis URL for several instances.")] = None,
    demo: Annotated[
        bool | None, typer.Option("--demo/--no-demo", help="Seed the demo store on first start.")
    ] = None,
    log_level: Annotated[str | None, typer.Option(help="debug, info, warning or error.")] = None,
) -> None:
    """Run Tandem: API, live chat and workers in one process."""
    import uvicorn

    from tandem.web.app import create_app

    settings = settings_or_exit(
        host=host, port=port, database_url=database_url, redis_url=redis_url, demo=demo, log_level=log_level
    )
    console.print(
        f"Tandem on [bold]http://{settings.host}:{settings.port}[/bold] "
        f"(database: {'SQLite' if settings.database_url is None else settings.database_url.split(':')[0]}, "
        f"broker: {'Redis' if settings.redis_url else 'in-process'}). API reference at /docs."
    )
    with exit_on_user_errors():  # a broken rules or routing file: its file, line and allowed values, exit 2
        application = create_app(settings=settings)
    uvicorn.run(
        application,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,
        ws_ping_interval=settings.ws_ping_seconds,
    )


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseUrl = None) -> None:
    """Apply every pending migration."""
    settings = settings_or_exit(database_url=database_url)

    async def work(container: Container) -> str | None:
        return await migrate.current_revision(container.database)

    revision = run_with_container(settings, work)
    console.print(f"Schema is at revision [bold]{revision}[/bold].")


@db_app.command("current")
def db_current(database_url: DatabaseUrl = None) -> None:
    """Show the schema revision and whether it is the newest."""
    settings = settings_or_exit(database_url=database_url)

    async def work(container: Container) -> str | None:
        return await migrate.current_revision(container.database)

    revision = run_with_container(settings, work, migrate_schema=False)
    head = migrate.head_revision()
    state = "up to date" if revision == head else f"behind (newest is {head}); run 'tandem db upgrade'"
    console.print(f"Schema revision: {revision or 'none'} — {state}.")


@demo_app.command("seed")
def demo_seed(database_url: DatabaseUrl = None) -> None:
    """Create the demo store, its customers and orders, and the demo staff (only if not there yet)."""
    from tandem.bootstrap import DEMO_PASSWORD, seed_demo

    settings = settings_or_exit(database_url=database_url)
    run_with_container(settings, seed_demo)
    console.print(f"Demo ready. Staff log in as admin@tandem.example / {DEMO_PASSWORD}.")


@staff_app.command("create")
def staff_create(
    email: Annotated[str, typer.Option(help="Login e-mail.")],
    name: Annotated[str, typer.Option(help="Name shown to customers.")],
    role: Annotated[Role, typer.Option(help="agent, supervisor or admin.")] = Role.AGENT,
    password: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="At least 8 characters."),
    ] = "",
    languages: Annotated[str, typer.Option(help="Comma-separated language codes.")] = "en",
    database_url: DatabaseUrl = None,
) -> None:
    """Create a staff account."""
    try:
        data = StaffCreate(
            email=email,
            name=name,
            role=role,
            password=password,
            languages=[code.strip() for code in languages.split(",") if code.strip()],
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        err.print(f"[red]Error:[/red] {first['loc'][0]}: {first['msg']}")
        raise typer.Exit(2) from None
    settings = settings_or_exit(database_url=database_url)

    async def work(container: Container) -> Any:
        async with container.uow() as uow:
            return await accounts_service.create_staff_unchecked(uow, data=data)

    staff = run_with_container(settings, work)
    console.print(f"Created {staff.role.value} [bold]{staff.name}[/bold] <{staff.email}> (id {staff.id}).")


@staff_app.command("list")
def staff_list(database_url: DatabaseUrl = None) -> None:
    """List staff accounts."""
    settings = settings_or_exit(database_url=database_url)

    async def work(container: Container) -> Any:
        async with container.uow(write=False) as uow:
            return await accounts_service.list_staff(uow, actor=Actor.system())

    table = Table("id", "name", "e-mail", "role", "languages", "active")
    for staff in run_with_container(settings, work):
        table.add_row(
            str(staff.id),
            staff.name,
            staff.email,
            staff.role.value,
            ",".join(staff.languages),
            "yes" if staff.active else "no",
        )
    console.print(table)


@conversations_app.command("list")
def conversations_list(
    state: Annotated[
        list[Owner] | None, typer.Option(help="bot, waiting, human or resolved; repeatable.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 20,
    database_url: DatabaseUrl = None,
) -> None:
    """The newest conversations."""
    settings = settings_or_exit(database_url=database_url)

    async def work(container: Container) -> Any:
        async with container.uow(write=False) as uow:
            return await conversation_service.list_conversations(
                uow, actor=Actor.system(), states=state, limit=limit
            )

    page = run_with_container(settings, work)
    table = Table("id", "state", "tier", "channel", "locale", "messages", "updated (UTC)")
    for item in page.items:
        table.add_row(
            str(item.id),
            item.state.value,
            str(item.tier),
            item.channel.value,
            item.locale,
            str(item.last_seq),
            item.updated_at.strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table if page.items else "No conversations yet.")


@conversations_app.command("show")
def conversations_show(
    conversation_id: Annotated[int, typer.Argument(min=1)], database_url: DatabaseUrl = None
) -> None:
    """One conversation with its transcript (private notes included) and event log."""
    settings = settings_or_exit(database_url=database_url)

    async def work(container: Container) -> Any:
        cid = ConversationId(conversation_id)
        async with container.uow(write=False) as uow:
            conversation = await conversation_service.access_conversation(
                uow, actor=Actor.system(), conversation_id=cid
            )
            messages = await conversation_service.list_messages(
                uow, actor=Actor.system(), conversation_id=cid
            )
            events = await conversation_service.list_events(uow, actor=Actor.system(), conversation_id=cid)
        return conversation, messages, events

    conversation, messages, events = run_with_container(settings, work)
    console.print(
        f"[bold]Conversation {conversation.id}[/bold] · {conversation.state.value} · tier {conversation.tier} · "
        f"{conversation.channel.value}/{conversation.locale} · episode {conversation.episode}"
    )
    for message in messages:
        who = message.author_name or message.author_kind.value
        note = " [yellow](private)[/yellow]" if message.private else ""
        console.print(f"  #{message.seq} [cyan]{who}[/cyan]{note}: ", end="")
        console.print(message.body, markup=False, highlight=False)
    for event in events:
        console.print(
            f"  · {event.created_at:%H:%M:%S} {event.type} {event.from_state or ''}→{event.to_state or ''} "
            f"({event.trigger or event.actor_kind}) {event.reason or ''}",
            markup=False,
        )


@conversations_app.command("close")
def conversations_close(
    conversation_id: Annotated[int, typer.Argument(min=1)],
    reason: Annotated[str | None, typer.Option(help="Why it is closed.")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Resolve a conversation."""
    settings = settings_or_exit(database_url=database_url)

    async def work(container: Container) -> Any:
        async with container.uow() as uow:
            return await conversation_service.close(
                uow, actor=Actor.system(), conversation_id=ConversationId(conversation_id), reason=reason
            )

    conversation = run_with_container(settings, work)
    console.print(f"Conversation {conversation.id} is {conversation.state.value}.")


@app.command()
def replay(
    file: Annotated[
        Path, typer.Argument(help='JSON Lines: {"id": ..., "turns": ["customer message", ...]}.')
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help='One line per conversation: {"id", "handoff_turn", "reason"}.')
    ] = False,
    details: Annotated[
        bool, typer.Option("--details", help="With --json, add every turn's reply and decision.")
    ] = False,
) -> None:
    """Replay customer transcripts through the real Tier-0 pipeline of the demo store, one conversation per
    line, and report at which turn (if any) each was handed to a person and why.

    A line may add "expect_intent" and "expect_handoff_turn" (a number, or null for none); the command then
    exits with 1 when any such case fails (use it in CI before changing the bot).

    Runs on a scratch copy of the demo store (a temporary SQLite file), so your data is never touched.
    """
    from tandem.bench.replay import load_cases, replay_case

    with exit_on_user_errors():
        cases = load_cases(file)
    with tempfile.TemporaryDirectory(prefix="tandem-replay-") as scratch:
        settings = settings_or_exit(
            database_url=f"sqlite:///{Path(scratch) / 'replay.db'}", demo=True, job_workers=0, redis_url=""
        )

        async def work(container: Container) -> list[Any]:
            with stage_progress() as report:
                report("starting the bot", 0, 1)
                await container.start(workers=False)
                report("starting the bot", 1, 1)
                results = []
                for number, case in enumerate(cases, start=1):
                    results.append(await replay_case(container, case))
                    report("conversations", number, len(cases))
            return results

        results = run_with_container(settings, work, migrate_schema=False)
    checked = [result for result in results if result.passed is not None]
    failed = [result for result in checked if not result.passed]
    if as_json:
        for result in results:
            line = result.summary() | ({"turns": result.turns} if details else {})
            console.out(json.dumps(line, ensure_ascii=False), highlight=False)
    else:
        table = Table(title=f"Replay of {file.name}: {len(results)} conversations")
        for header in ("Id", "Turns", "Handed over at", "Why") + (("Expected",) if checked else ()):
            table.add_column(header)
        for result in results:
            row = [result.id, str(len(result.turns)), str(result.handoff_turn or "—"), result.reason or ""]
            if checked:
                verdict = "" if result.passed is None else "[green]passed[/green]"
                row.append(
                    verdict if not result.failures else "[red]" + "; ".join(result.failures) + "[/red]"
                )
            table.add_row(*row)
        console.print(table)
        handed = sum(1 for r in results if r.handoff_turn)
        console.print(f"{handed} of {len(results)} conversations were handed to a person.")
        if checked:
            console.print(f"{len(checked) - len(failed)} of {len(checked)} cases with expectations passed.")
    if failed:
        raise typer.Exit(1)


@bot_app.command("train")
def bot_train(
    file: Annotated[
        Path, typer.Argument(help="CSV (text,category) or JSON of splits, as for bench intents.")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the model file.")],
    backend: Annotated[str, typer.Option(help="minilm or ngram.")] = "minilm",
    oos_share: Annotated[
        float | None,
        typer.Option(
            help="Share of traffic assumed out of scope, 0-0.95 (TANDEM_BOT_OOS_SHARE overrides it "
            "when the model is served).",
            min=0.0,
            max=0.95,
        ),
    ] = None,
) -> None:
    """Train an intent model on your own examples; point TANDEM_BOT_INTENT_MODEL at the file to use it.

    Works with as few as 10-30 examples per intent and no out-of-scope examples: the out-of-scope threshold
    is then tuned by cross-validation, and a built-in set of off-topic messages stands in for them.
    """
    from tandem.bot.nlu.dataset import load_dataset
    from tandem.bot.nlu.intents import IntentModel
    from tandem.bot.registry import shared_encoder

    with exit_on_user_errors():
        data = load_dataset(file)
        with stage_progress() as report:
            model = IntentModel.train(
                data.train,
                backend=backend,
                validation=data.validation if len(data.validation) else None,
                encoder=shared_encoder() if backend == "minilm" else None,
                source=str(file),
                progress=report,
                oos_share=oos_share,
            )
    try:
        model.save(output)
    except OSError as exc:
        err.print(f"[red]Error:[/red] cannot write {output}: {exc.strerror}")
        raise typer.Exit(2) from None
    console.print(
        f"Trained {len(model.classes)} classes on {model.metadata['examples']:,} examples in "
        f"{model.trained_seconds:.1f} s; out-of-scope threshold {model.threshold:.3f} "
        f"({model.threshold_source}). Saved to {output}."
    )


@bot_app.command("operating-point")
def bot_operating_point(
    oos_share: Annotated[
        float | None,
        typer.Option(help="Show the point at this out-of-scope share (0-0.95).", min=0.0, max=0.95),
    ] = None,
    from_history: Annotated[
        int | None,
        typer.Option(
            help="Estimate the share from your customers' messages of the last N days.", min=1, max=3650
        ),
    ] = None,
    traffic: Annotated[
        Path | None,
        typer.Option(help="Estimate the share from unlabelled messages (one per line, or a data file)."),
    ] = None,
    wrong_answer_cost: Annotated[
        float | None,
        typer.Option(
            help="Cost of a wrong answer against a needless refusal (1: accuracy).", min=1.0, max=100.0
        ),
    ] = None,
    database_url: DatabaseUrl = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """The bot's out-of-scope operating point: the share of traffic assumed out of scope, the threshold
    chosen for it and what it expects (in-scope answered, out-of-scope turned away, accuracy).

    Without options: the served model at TANDEM_BOT_OOS_SHARE. --from-history N or --traffic FILE
    estimate the share first; set TANDEM_BOT_OOS_SHARE to the figure to serve it."""
    from datetime import timedelta

    from tandem.bench.intents import read_messages
    from tandem.bot.registry import build_intent_model

    chosen = [o for o in (oos_share, from_history, traffic) if o is not None]
    if len(chosen) > 1:
        err.print("[red]Error:[/red] give one of --oos-share, --from-history and --traffic")
        raise typer.Exit(2)
    settings = settings_or_exit(**({"database_url": database_url} if database_url else {}))
    with exit_on_user_errors(), stage_progress() as report:
        model = build_intent_model(settings, progress=report)
        cost = wrong_answer_cost if wrong_answer_cost is not None else settings.bot_wrong_answer_cost
        share, source = oos_share if oos_share is not None else settings.bot_oos_share, None
        messages: list[str] = []
        if traffic is not None:
            messages = read_messages(traffic)
        elif from_history is not None:

            async def work(container: Container) -> list[str]:
                since = container.clock.now() - timedelta(days=from_history)
                async with container.uow(write=False) as uow:
                    return await conversation_service.customer_messages_since(uow, since=since)

            messages = run_with_container(settings, work)
            if not messages:
                err.print(
                    f"[red]Error:[/red] no customer messages in the last {from_history} days to estimate from"
                )
                raise typer.Exit(2)
        if messages:
            share = model.estimate_oos_share(messages)
            source = f"estimated from {len(messages):,} unlabelled messages"
        point = model.set_operating_point(oos_share=share, wrong_answer_cost=cost, source=source)
    if as_json:
        console.out(json.dumps(point.as_dict()), highlight=False)
        return
    table = Table(title="Out-of-scope operating point", caption=point.scores_source)
    table.add_column("Figure")
    table.add_column("Value", justify="right")
    for name, value in (
        ("Share of traffic out of scope", f"{point.oos_share:.0%} ({point.oos_share_source})"),
        ("Cost of a wrong answer", f"{point.wrong_answer_cost:g} x a needless 'I didn't understand'"),
        ("Threshold", f"{point.threshold:.3f}"),
        ("In-scope messages answered right", f"{point.expected_in_scope_answered:.1%}"),
        ("Out-of-scope messages turned away", f"{point.expected_oos_recall:.1%}"),
        ("Expected accuracy", f"{point.expected_accuracy:.1%}"),
    ):
        table.add_row(name, value)
    console.print(table)
    if messages:
        console.print(f"Serve it with TANDEM_BOT_OOS_SHARE={point.oos_share:.2f}")


@escalation_app.command("check")
def escalation_check(
    rules: Annotated[
        Path | None, typer.Option(help="Rules file (default: TANDEM_ESCALATION_RULES or the packaged one).")
    ] = None,
    routing: Annotated[
        Path | None, typer.Option(help="Routing file (default: TANDEM_ROUTING_CONFIG or the packaged one).")
    ] = None,
) -> None:
    """Validate the escalation rules and the routing file, and print the rules in the order they apply.
    Exit 2 with the file, line and allowed values of every mistake."""
    from tandem.bot.escalation import load_policy
    from tandem.routing.config import load_routing_config

    settings = settings_or_exit()
    with exit_on_user_errors():
        policy = load_policy(rules or settings.escalation_rules)
        config = load_routing_config(routing or settings.routing_config)
    for position, rule in enumerate(policy.rules, start=1):
        fields = {k: v for k, v in rule.model_dump().items() if k != "rule"}
        console.print(f"{position}. [bold]{rule.rule}[/bold] {fields if fields else ''}")
    queues = ", ".join(f"{q.name}{' (fallback)' if q.fallback else ''}" for q in config.queues)
    console.print(f"Queues: {queues or config.fallback.name + ' (built-in fallback)'}")
    console.print("[green]Both files are valid.[/green]")


@app.command()
def screenshots(
    directory: Annotated[
        Path, typer.Argument(metavar="DIR", help="Where to write the PNG files (created if missing).")
    ],
    chromium: Annotated[
        str | None,
        typer.Option(help="Chromium binary (default: TANDEM_CHROMIUM, chromium on PATH, /usr/bin/chromium)."),
    ] = None,
) -> None:
    """PNG screenshots of the chat widget (desktop and phone), the agent console and the supervisor view,
    taken in Chromium on a scratch copy of the demo store (your database is never touched). Needs the dev
    extra (Playwright) and Debian's chromium."""
    from tandem.cli.screenshots import default_chromium, run_screenshots

    run_screenshots(directory, chromium=chromium or default_chromium())


def main() -> None:
    # Commands that never build a container still log (model training, cache misses): to stderr, so that
    # --json output on stdout stays parseable. build_container reconfigures from the settings.
    configure_logging(level="info")
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()

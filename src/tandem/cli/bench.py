"""``tandem bench ...``: benchmarks that print figures (a table, or JSON with --json)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from tandem.cli.common import console, err, exit_on_user_errors, settings_or_exit, stage_progress

if TYPE_CHECKING:
    from tandem.bench.api import ApiBenchResult

bench_app = typer.Typer(help="Benchmarks that print figures.", no_args_is_help=True)


@bench_app.command("api")
def bench_api(
    clients: Annotated[
        int, typer.Option(help="Concurrent clients, each with its own conversation.", min=1)
    ] = 20,
    seconds: Annotated[float, typer.Option(help="Timed seconds per round.", min=0.1)] = 10.0,
    warmup: Annotated[float, typer.Option(help="Untimed seconds before the first round.", min=0)] = 2.0,
    rounds: Annotated[int, typer.Option(help="Rounds per endpoint; the median rate is reported.", min=1)] = 3,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="A postgresql:// URL adds a PostgreSQL run (default: "
            "TANDEM_DATABASE_URL). Only used to create and drop a scratch database tandem_bench_<pid>.",
        ),
    ] = None,
    profile_dir: Annotated[
        Path | None,
        typer.Option(
            "--profile", hidden=True, help="Directory for the servers' cProfile stats (<server>.prof)."
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object per database, one per line (JSON Lines).")
    ] = False,
) -> None:
    """Post customer messages through the real HTTP stack (uvicorn in a subprocess) with N clients, on
    SQLite and, when configured, PostgreSQL; compare with a bare FastAPI endpoint in the same run.

    Targets: at least 40% of the bare endpoint's rate, p99 under 50 ms at 20 clients. With --json, each
    line is one database: rate_per_s, bare_rate_per_s, ratio, p50_ms, p99_ms, database, and more.
    """
    from tandem.bench.api import postgres_url_to_bench, run_api_benchmark
    from tandem.bench.errors import BenchError

    if profile_dir is not None:
        profile_dir.mkdir(parents=True, exist_ok=True)
    configured = settings_or_exit().database_url
    postgres_url = postgres_url_to_bench(database_url=database_url, configured_url=configured)
    try:
        with err.status("Starting the benchmark...") as status:
            results = run_api_benchmark(
                clients=clients,
                seconds=seconds,
                warmup=warmup,
                rounds=rounds,
                postgres_url=postgres_url,
                profile_dir=profile_dir,
                on_progress=lambda message: status.update(f"[bold]bench api[/bold]: {message}"),
            )
    except BenchError as exc:
        err.print(f"[red]Error:[/red] {exc.detail}")
        raise typer.Exit(2) from None
    if results and results[0].client != "aiohttp":
        err.print(
            "[yellow]Note:[/yellow] aiohttp is not installed, the client is httpx (slower; the bare "
            "endpoint may be limited by the client). pip install 'tandem[dev]' for aiohttp."
        )
    if as_json:
        for result in results:
            console.out(json.dumps(result.to_dict()), highlight=False)
        return
    console.print(_table(results))


def _table(results: list[ApiBenchResult]) -> Table:
    from tandem.bench.api import TARGET_P99_MS, TARGET_RATIO

    def mark(ok: bool, text: str) -> str:
        return f"[green]{text}[/green]" if ok else f"[red]{text}[/red]"

    first = results[0]
    table = Table(
        title=f"POST /messages, {first.clients} clients, median of {first.rounds} x {first.seconds:g} s "
        f"(client: {first.client})",
        caption=f"Latencies in ms. Targets: ratio >= {TARGET_RATIO:.0%} of bare, p99 < {TARGET_P99_MS:g} ms.",
    )
    for header in ("Database", "Msg/s", "Bare/s", "Ratio", "p50", "p99", "Bare p50/p99", "Errors"):
        table.add_column(header, justify="left" if header == "Database" else "right", no_wrap=True)
    for result in results:
        table.add_row(
            result.database,
            f"{result.rate_per_s:,.0f}",
            f"{result.bare_rate_per_s:,.0f}",
            mark(result.ratio_met, f"{result.ratio:.0%}"),
            f"{result.p50_ms:.1f}",
            mark(result.p99_met, f"{result.p99_ms:.1f}"),
            f"{result.bare_p50_ms:.1f} / {result.bare_p99_ms:.1f}",
            f"{result.errors:,}" if not result.errors else f"[red]{result.errors:,}[/red]",
        )
    return table


@bench_app.command("intents")
def bench_intents(
    train: Annotated[
        Path, typer.Option("--train", help="CSV (text,category) or JSON of splits to train on.")
    ],
    test: Annotated[
        Path | None, typer.Option("--test", help="File to score: its 'test' split (JSON) or every row (CSV).")
    ] = None,
    backend: Annotated[
        str, typer.Option(help="minilm (embeddings + n-grams) or ngram (no weights).")
    ] = "minilm",
    holdout: Annotated[
        float | None,
        typer.Option(
            help="Without --test: hold out this share of each intent of --train and score on it.",
            min=0.01,
            max=0.9,
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the --holdout split.")] = 0,
    holdout_intents: Annotated[
        float | None,
        typer.Option(
            help="With --holdout: also leave this share of the intents out of training and score their "
            "examples as out of scope (traffic like a production bot's).",
            min=0.05,
            max=0.8,
        ),
    ] = None,
    oos_share: Annotated[
        float | None,
        typer.Option(
            help="Assumed share of out-of-scope traffic, 0-0.95 (default: the labelled sample's share when "
            "--train has 'val'/'oos_val', else 0.1). 0 for a closed set such as Banking77.",
            min=0.0,
            max=0.95,
        ),
    ] = None,
    traffic: Annotated[
        Path | None,
        typer.Option(help="Unlabelled messages (one per line, or a data file) to estimate the share from."),
    ] = None,
    wrong_answer_cost: Annotated[
        float,
        typer.Option(
            help="Cost of a wrong answer against a needless 'I didn't understand' (1: accuracy).",
            min=1.0,
            max=100.0,
        ),
    ] = 1.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Train an intent classifier on --train and score it on data it never saw.

    The out-of-scope threshold is the operating point with the best expected accuracy (or cost) at the
    assumed out-of-scope share, chosen from held-out scores of the training data (whole intents left out
    as out-of-scope samples) or its 'val'/'oos_val' splits; never from the scored data. With --json:
    accuracy, in_scope_accuracy, oos_recall, oos_precision, macro_f1, threshold, oos_share_assumed,
    oos_share_source, expected_accuracy, train_seconds, p50_ms, p99_ms, throughput_per_s, and more.
    """
    from tandem.bench.intents import run_intent_benchmark

    with exit_on_user_errors(), stage_progress() as report:
        result = run_intent_benchmark(
            train,
            test,
            backend=backend,
            holdout=holdout,
            seed=seed,
            progress=report,
            oos_share=oos_share,
            wrong_answer_cost=wrong_answer_cost,
            traffic_file=traffic,
            holdout_intents=holdout_intents,
        )
    if as_json:
        console.out(json.dumps(result.as_dict()), highlight=False)
        return
    table = Table(
        title=f"Intent classification, backend {result.backend}", caption="; ".join(result.notes) or None
    )
    table.add_column("Figure")
    table.add_column("Value", justify="right")
    rows = [
        ("Accuracy (all test rows)", f"{result.accuracy:.2%}"),
        ("In-scope accuracy", f"{result.in_scope_accuracy:.2%}"),
        ("Out-of-scope recall", "n/a" if result.oos_recall is None else f"{result.oos_recall:.2%}"),
        ("Out-of-scope precision", "n/a" if result.oos_precision is None else f"{result.oos_precision:.2%}"),
        ("Macro F1", f"{result.macro_f1:.4f}"),
        (
            "Training",
            f"{result.train_seconds:.1f} s on {result.train_examples:,} examples, {result.intents} intents",
        ),
        ("Out-of-scope share assumed", f"{result.oos_share_assumed:.0%} ({result.oos_share_source})"),
        ("Threshold", f"{result.threshold:.3f} ({result.operating_point['scores_source']})"),
        ("Expected accuracy (held-out scores)", f"{result.expected_accuracy:.2%}"),
        (
            f"Baseline: {result.baseline['rule']}",
            f"accuracy {result.baseline['accuracy']:.2%} at threshold {result.baseline['threshold']:.3f}",
        ),
        ("Latency p50 / p99", f"{result.p50_ms:.2f} / {result.p99_ms:.2f} ms per message"),
        ("Throughput (batches of 64)", f"{result.throughput_per_s:,.0f} messages/s"),
        ("Test examples", f"{result.test_examples:,}"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)


@bench_app.command("pipeline")
def bench_pipeline(
    messages: Annotated[int, typer.Option(help="Messages to time.", min=10)] = 2000,
    backend: Annotated[
        str | None, typer.Option(help="Intent backend (default: TANDEM_BOT_INTENT_BACKEND).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Per-message latency of the whole Tier-0 decision (language, signals, sentiment, entities, intent,
    rules, retrieval) on one core, and the cold start of its components. Target: p99 <= 10 ms, cold
    start <= 3 s."""
    from tandem.bench.pipeline import run_pipeline_benchmark

    settings = settings_or_exit(bot_intent_backend=backend)
    with exit_on_user_errors(), stage_progress() as report:
        result = run_pipeline_benchmark(settings, messages=messages, progress=report)
    if as_json:
        console.out(json.dumps(result.as_dict()), highlight=False)
        return
    table = Table(
        title=f"Tier-0 decision per message, backend {result.backend}, one core",
        caption="Targets: p99 <= 10 ms, cold start <= 3 s.",
    )
    for header in ("Messages", "p50 / p99 ms", "Mean ms", "Msg/s", "Cold start s"):
        table.add_column(header, justify="right")
    table.add_row(
        f"{result.messages:,}",
        f"{result.p50_ms:.2f} / {result.p99_ms:.2f}",
        f"{result.mean_ms:.2f}",
        f"{result.messages_per_s:,.0f}",
        f"{result.cold_start_s:.2f}",
    )
    console.print(table)
    steps = Table(title="Median per step (ms)")
    for step in result.step_p50_ms:
        steps.add_column(step, justify="right")
    steps.add_row(*[f"{v:.3f}" for v in result.step_p50_ms.values()])
    console.print(steps)


@bench_app.command("routing")
def bench_routing(
    agents: Annotated[int, typer.Option(help="Agents on the floor.", min=1)] = 1000,
    waiting: Annotated[int, typer.Option(help="Waiting conversations.", min=1)] = 10_000,
    rounds: Annotated[int, typer.Option(help="Rounds; medians are reported.", min=1)] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Assignment decisions per second of the routing engine (tier, skills, languages, capacity, priority,
    least-loaded then longest-idle), each decision timed, against a naive scan in the same run.
    Target: at least 5,000 decisions/s with 1,000 agents and 10,000 waiting conversations."""
    from tandem.bench.routing import run_routing_benchmark

    with stage_progress() as report:
        result = run_routing_benchmark(agents=agents, waiting=waiting, rounds=rounds, progress=report)
    if as_json:
        console.out(json.dumps(result.as_dict()), highlight=False)
        return
    table = Table(
        title=f"Routing: {result.agents:,} agents, {result.waiting:,} waiting, median of {result.rounds} rounds",
        caption="Target: at least 5,000 decisions/s.",
    )
    for header in ("Decisions", "Decisions/s", "p50 / p99 ms", "Naive scan/s", "Speed-up"):
        table.add_column(header, justify="right")
    table.add_row(
        f"{result.decisions:,}",
        f"{result.decisions_per_s:,.0f}",
        f"{result.p50_ms:.3f} / {result.p99_ms:.3f}",
        f"{result.baseline_decisions_per_s:,.0f}",
        f"{result.speedup_vs_naive:.0f}x",
    )
    console.print(table)


DEFAULT_ASSIST_MESSAGES = Path("../shared/data/bitext/train.csv")


@bench_app.command("assist")
def bench_assist(
    messages: Annotated[
        Path,
        typer.Option(
            "--messages",
            help="Customer messages with their intent (CSV text,category or JSON splits); default: the "
            "Bitext sample at ../shared/data/bitext/train.csv.",
        ),
    ] = DEFAULT_ASSIST_MESSAGES,
    replies: Annotated[
        Path | None,
        typer.Option("--replies", help="YAML of agent reply styles per intent (default: the built-in one)."),
    ] = None,
    holdout: Annotated[float, typer.Option(help="Share of conversations held out.", min=0.05, max=0.5)] = 0.2,
    seed: Annotated[int, typer.Option(help="Seed of the simulated history and the split.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """How often the agent's actual reply is among the top-3 suggestions, on agent turns held out of a
    simulated history, against two baselines in the same run (the replies to the three nearest messages; the three
    most sent replies); and the suggestion latency. Target: p99 under 100 ms. With --json:
    top3_hit_rate, p99_ms, nearest_top3_hit_rate, canned_top3_hit_rate, and more."""
    from tandem.bench.assist import run_assist_benchmark
    from tandem.bench.errors import BenchError

    try:
        with exit_on_user_errors(), stage_progress() as report:
            result = run_assist_benchmark(
                messages, replies_file=replies, holdout=holdout, seed=seed, progress=report
            )
    except BenchError as exc:
        err.print(f"[red]Error:[/red] {exc.detail}")
        raise typer.Exit(2) from None
    if as_json:
        console.out(json.dumps(result.as_dict()), highlight=False)
        return
    table = Table(
        title=f"Agent assist: {result.held_out:,} held-out agent turns, history of {result.history:,}",
        caption="A hit: a suggestion with token F1 >= 0.8 against the reply the agent sent. Target p99 < 100 ms.",
    )
    table.add_column("Figure")
    table.add_column("Value", justify="right")
    for name, value in (
        ("Top-3 hit rate", f"{result.top3_hit_rate:.1%}"),
        ("Top-1 hit rate", f"{result.top1_hit_rate:.1%}"),
        ("Baseline: replies to the 3 nearest messages", f"{result.nearest_top3_hit_rate:.1%}"),
        ("Baseline: three most sent replies", f"{result.canned_top3_hit_rate:.1%}"),
        ("Ratio to the nearest-reply baseline", f"{result.ratio_vs_nearest:.2f}x"),
        ("Latency p50 / p99", f"{result.p50_ms:.2f} / {result.p99_ms:.2f} ms"),
        ("Intents", str(result.intents)),
    ):
        table.add_row(name, value)
    console.print(table)


@bench_app.command("analytics")
def bench_analytics(
    conversations: Annotated[int, typer.Option(help="Conversations generated.", min=1_000)] = 1_000_000,
    rounds: Annotated[
        int, typer.Option(help="Dashboard computations timed; the median is reported.", min=1)
    ] = 5,
    seed: Annotated[int, typer.Option(help="The generated data's seed.")] = 7,
    database: Annotated[
        str, typer.Option(help="sqlite, postgresql, or both (PostgreSQL from --database-url).")
    ] = "both",
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="The PostgreSQL server (default: TANDEM_DATABASE_URL). Only used to create and drop a "
            "database tandem_bench_<pid> (with --reuse, tandem_bench_analytics_<N>, kept).",
        ),
    ] = None,
    reuse: Annotated[
        bool, typer.Option("--reuse", help="Keep the generated data and use it again next time.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per database (JSON Lines).")
    ] = False,
) -> None:
    """The dashboard's full metric set for a 30-day window over N generated conversations (default a
    million), from the hourly and daily rollups, on SQLite and PostgreSQL; the baseline reads every record
    of the window in the same process. Target: under 2 s. With --json: conversations, seconds, database,
    baseline_seconds, speedup, rollup_seconds, generate_seconds, figures_match, and more."""
    import asyncio

    from tandem.bench.analytics import run_on
    from tandem.bench.api import postgres_url_to_bench
    from tandem.bench.errors import BenchError

    if database not in ("sqlite", "postgresql", "both"):
        err.print(f"[red]Error:[/red] unknown --database {database!r}; allowed: sqlite, postgresql, both.")
        raise typer.Exit(2)
    settings = settings_or_exit()
    postgres_url = postgres_url_to_bench(database_url=database_url, configured_url=settings.database_url)
    kinds = ["sqlite", "postgresql"] if database == "both" else [database]
    if "postgresql" in kinds and postgres_url is None:
        if database == "postgresql":
            err.print("[red]Error:[/red] --database postgresql needs --database-url postgresql://...")
            raise typer.Exit(2)
        err.print("[yellow]Note:[/yellow] no PostgreSQL URL (--database-url): SQLite only.")
        kinds = ["sqlite"]
    results = []
    try:
        with stage_progress() as report:
            for kind in kinds:
                results.append(
                    asyncio.run(
                        run_on(
                            kind,
                            settings=settings,
                            postgres_url=postgres_url,
                            conversations=conversations,
                            seed=seed,
                            rounds=rounds,
                            reuse=reuse,
                            progress=_prefixed(report, kind),
                        )
                    )
                )
    except BenchError as exc:
        err.print(f"[red]Error:[/red] {exc.detail}")
        raise typer.Exit(2) from None
    if as_json:
        for result in results:
            console.out(json.dumps(result.as_dict()), highlight=False)
        return
    table = Table(
        title=f"Dashboard, full metric set, {results[0].window_days}-day window",
        caption="Median of the rounds; the baseline reads every contact record of the window. Target: < 2 s.",
    )
    for header in ("Database", "Conversations", "In window", "Dashboard s", "Baseline s", "Speed-up",
                   "Rollup rows", "Rollup build s", "Figures match"):  # fmt: skip
        table.add_column(header, justify="left" if header == "Database" else "right")
    for r in results:
        table.add_row(
            r.database, f"{r.conversations:,}", f"{r.window_conversations:,}",
            f"[green]{r.seconds:.3f}[/green]" if r.seconds < 2 else f"[red]{r.seconds:.3f}[/red]",
            f"{r.baseline_seconds:.2f}", f"{r.speedup:.0f}x", f"{r.rollup_rows:,}",
            "reused" if r.rollup_seconds is None else f"{r.rollup_seconds:.1f}",
            "yes" if r.figures_match else "[red]no[/red]",
        )  # fmt: skip
    console.print(table)


def _prefixed(report: Callable[[str, int, int], None], prefix: str) -> Callable[[str, int, int], None]:
    return lambda stage, done, total: report(f"{prefix}: {stage}", done, total)


@bench_app.command("wfm")
def bench_wfm(
    rounds: Annotated[int, typer.Option(help="Timed rounds; the median is reported.", min=1)] = 3,
    peer_python: Annotated[
        str | None,
        typer.Option(
            help="A Python 3.12 with pyworkforce, for its Erlang A (default: python3.12 if it has it)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """A week of 15-minute intervals (672) staffed with Erlang C and Erlang A, against pyworkforce in the
    same run. Targets: identical agent counts, Erlang C at least as fast, Erlang A at least 100x faster.
    With --json: erlang_c_ms, erlang_a_ms, peer_erlang_c_ms, peer_erlang_a_ms, agent_counts_equal, and more."""
    from tandem.bench.errors import BenchError
    from tandem.bench.wfm import run_wfm_benchmark

    try:
        with stage_progress() as report:
            result = run_wfm_benchmark(rounds=rounds, peer_python=peer_python, progress=report)
    except BenchError as exc:
        err.print(f"[red]Error:[/red] {exc.detail}")
        raise typer.Exit(2) from None
    if as_json:
        console.out(json.dumps(result.as_dict()), highlight=False)
        return
    table = Table(title=f"Staffing a week of {result.intervals} intervals (median of {rounds})",
                  caption="; ".join(result.notes) or None)  # fmt: skip
    for header in ("Model", "Tandem ms", "pyworkforce ms", "Speed-up", "Same agent counts", "Peak agents"):
        table.add_column(header, justify="left" if header == "Model" else "right")

    def shown(value: float | None, unit: str = "") -> str:
        return "not run" if value is None else f"{value:,.1f}{unit}"

    for model, ours, peer, speedup, equal, peak in (
        ("Erlang C", result.erlang_c_ms, result.peer_erlang_c_ms, result.speedup_c, result.erlang_c_counts_equal,
         result.peak_agents_c),
        ("Erlang A", result.erlang_a_ms, result.peer_erlang_a_ms, result.speedup_a, result.erlang_a_counts_equal,
         result.peak_agents_a),
    ):  # fmt: skip
        table.add_row(model, f"{ours:,.1f}", shown(peer), shown(speedup, "x"), str(equal), str(peak))
    console.print(table)

"""``tandem bench api``: customer messages through the real HTTP stack, next to a bare FastAPI endpoint.

Why this shape: the server runs in its own process (uvicorn, as in production) so the load generator
never shares its core or GIL; the baseline is the same framework and server with an empty handler, so
the ratio says how much of the framework's capacity the product keeps. Rates are medians over rounds;
percentiles are over every latency of every round.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from tandem.bench.errors import BenchError
from tandem.bench.load import (
    ClientPlan,
    RoundResult,
    Transport,
    message_body,
    open_transport,
    post_json,
    run_round,
)
from tandem.bench.processes import ServerProcess, scratch_postgres_database, start_server, stop_server
from tandem.bench.stats import compute_median, compute_percentile, compute_ratio

TARGET_RATIO = 0.40  # the product keeps at least 40% of the bare endpoint's rate
TARGET_P99_MS = 50.0  # at 20 clients
DEMO_AGENT = {"email": "alex@tandem.example", "password": "tandem-demo"}

Progress = Callable[[str], None]
T = TypeVar("T")


@dataclass(frozen=True)
class Measurement:
    """Several rounds against one endpoint: the median rate, and percentiles over all latencies."""

    rounds: list[RoundResult]

    @property
    def rate_per_s(self) -> float:
        return compute_median([r.rate_per_s for r in self.rounds])

    @property
    def latencies_ms(self) -> list[float]:
        return [latency for r in self.rounds for latency in r.latencies_ms]

    def percentile_ms(self, q: float) -> float:
        latencies = self.latencies_ms
        return compute_percentile(latencies, q) if latencies else 0.0

    @property
    def ok(self) -> int:
        return sum(r.ok for r in self.rounds)

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.rounds)

    @property
    def first_error(self) -> str | None:
        return next((r.first_error for r in self.rounds if r.first_error), None)


@dataclass(frozen=True)
class ApiBenchResult:
    """One database's figures. ``to_dict`` is the JSON printed by ``--json``."""

    database: str
    clients: int
    seconds: float
    warmup: float
    rounds: int
    client: str
    rate_per_s: float
    bare_rate_per_s: float
    ratio: float
    p50_ms: float
    p99_ms: float
    bare_p50_ms: float
    bare_p99_ms: float
    messages: int
    errors: int
    bare_errors: int
    round_rates_per_s: list[float] = field(default_factory=list)
    bare_round_rates_per_s: list[float] = field(default_factory=list)
    first_error: str | None = None

    @property
    def ratio_met(self) -> bool:
        return self.ratio >= TARGET_RATIO

    @property
    def p99_met(self) -> bool:
        return self.p99_ms < TARGET_P99_MS

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, float):
                data[key] = round(value, 3)
            elif isinstance(value, list):
                data[key] = [round(item, 1) for item in value]
        data["targets"] = {
            "ratio_min": TARGET_RATIO,
            "p99_ms_max": TARGET_P99_MS,
            "ratio_met": self.ratio_met,
            "p99_met": self.p99_met,
        }
        return data


def postgres_url_to_bench(*, database_url: str | None, configured_url: str | None) -> str | None:
    """The PostgreSQL server to bench on: ``--database-url`` if it is one, else the configured setting."""
    for url in (database_url, configured_url):
        if url and url.startswith(("postgresql", "postgres://")):
            return url
    return None


def run_api_benchmark(
    *,
    clients: int = 20,
    seconds: float = 10.0,
    warmup: float = 2.0,
    rounds: int = 3,
    postgres_url: str | None = None,
    on_progress: Progress | None = None,
    profile_dir: Path | None = None,
) -> list[ApiBenchResult]:
    """SQLite always, PostgreSQL too when ``postgres_url`` is given; the baseline is measured once.

    ``profile_dir``: each server writes cProfile stats there (``<server>.prof``), to see where time goes.
    """
    if clients < 1 or seconds <= 0 or warmup < 0 or rounds < 1:
        raise BenchError("clients and rounds must be at least 1, seconds above 0 and warmup not negative.")
    return _run_event_loop(
        _benchmark(
            clients=clients,
            seconds=seconds,
            warmup=warmup,
            rounds=rounds,
            postgres_url=postgres_url,
            progress=on_progress or (lambda _message: None),
            profile_dir=profile_dir,
        )
    )


def _run_event_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """uvloop when available: the client loop must stay well ahead of the servers it measures."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine)


async def _benchmark(
    *,
    clients: int,
    seconds: float,
    warmup: float,
    rounds: int,
    postgres_url: str | None,
    progress: Progress,
    profile_dir: Path | None,
) -> list[ApiBenchResult]:
    def profile(name: str) -> Path | None:
        return profile_dir.resolve() / f"{name}.prof" if profile_dir else None

    transport = open_transport(connections=clients)
    try:
        with tempfile.TemporaryDirectory(prefix="tandem-bench-") as tmp:
            workdir = Path(tmp)
            progress("starting the bare FastAPI server")
            bare_server = await start_server(
                name="bare", app="bare", workdir=workdir, transport=transport, profile=profile("bare")
            )
            try:
                bare = await _measure(
                    transport,
                    _bare_plans(bare_server, clients),
                    label="bare endpoint",
                    seconds=seconds,
                    warmup=warmup,
                    rounds=rounds,
                    progress=progress,
                )
            finally:
                await stop_server(bare_server)

            databases: list[tuple[str, contextlib.AbstractAsyncContextManager[str]]] = [
                ("sqlite", _sqlite_url(workdir))
            ]
            if postgres_url:
                databases.append(("postgresql", scratch_postgres_database(postgres_url)))
            results = []
            for database, url_context in databases:
                async with url_context as url:
                    product = await _measure_product(
                        transport,
                        database=database,
                        url=url,
                        workdir=workdir,
                        clients=clients,
                        seconds=seconds,
                        warmup=warmup,
                        rounds=rounds,
                        progress=progress,
                        profile=profile(f"tandem-{database}"),
                    )
                results.append(
                    _result(
                        database=database,
                        clients=clients,
                        seconds=seconds,
                        warmup=warmup,
                        rounds=rounds,
                        client=transport.name,
                        product=product,
                        bare=bare,
                    )
                )
            return results
    finally:
        await transport.close()


@contextlib.asynccontextmanager
async def _sqlite_url(workdir: Path) -> Any:
    """A fresh SQLite file in the temporary directory, never the user's ``data_dir``."""
    data_dir = workdir / "sqlite"
    data_dir.mkdir()
    yield f"sqlite:///{data_dir / 'tandem.db'}"


async def _measure_product(
    transport: Transport,
    *,
    database: str,
    url: str,
    workdir: Path,
    clients: int,
    seconds: float,
    warmup: float,
    rounds: int,
    progress: Progress,
    profile: Path | None,
) -> Measurement:
    progress(f"{database}: starting Tandem (migrations and demo seed)")
    data_dir = workdir / f"data-{database}"
    data_dir.mkdir(exist_ok=True)
    settings = {"database_url": url, "data_dir": str(data_dir), "demo": True, "log_level": "warning"}
    server = await start_server(
        name=f"tandem-{database}",
        app="product",
        workdir=workdir,
        transport=transport,
        settings=settings,
        profile=profile,
    )
    try:
        progress(f"{database}: starting {clients} conversations and taking them as an agent")
        plans = await _product_plans(transport, server, clients=clients)
        return await _measure(
            transport, plans, label=database, seconds=seconds, warmup=warmup, rounds=rounds, progress=progress
        )
    finally:
        await stop_server(server)


async def _product_plans(transport: Transport, server: ServerProcess, *, clients: int) -> list[ClientPlan]:
    """One conversation per client, assigned to a demo agent so the bot stays quiet: the bench measures
    message posting, not the bot's turn."""
    api = f"{server.base_url}/api/v1"
    login = await post_json(transport, f"{api}/auth/token", DEMO_AGENT)
    staff_token = login["access_token"]
    plans = []
    for index in range(clients):
        started = await post_json(transport, f"{api}/conversations", {"subject": f"bench client {index}"})
        conversation_id = started["conversation"]["id"]
        await post_json(transport, f"{api}/conversations/{conversation_id}/assign", {}, token=staff_token)
        plans.append(
            ClientPlan(
                url=f"{api}/conversations/{conversation_id}/messages",
                headers={
                    "Content-Type": "application/json",
                    "Authorization": f"Bearer {started['access_token']}",
                },
            )
        )
    return plans


def _bare_plans(server: ServerProcess, clients: int) -> list[ClientPlan]:
    # A bearer of a conversation token's length, so both endpoints receive the same headers.
    token = "tdc_" + uuid.uuid4().hex + uuid.uuid4().hex[:11]
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    return [ClientPlan(url=f"{server.base_url}/bare", headers=headers) for _ in range(clients)]


async def _measure(
    transport: Transport,
    plans: list[ClientPlan],
    *,
    label: str,
    seconds: float,
    warmup: float,
    rounds: int,
    progress: Progress,
) -> Measurement:
    body = message_body(uuid.uuid4().hex[:8])
    sequence = 0
    if warmup > 0:
        progress(f"{label}: warming up for {warmup:g} s")
        await run_round(transport, plans, seconds=warmup, body=body, first_sequence=sequence)
    sequence += 1_000_000
    measured = []
    for number in range(1, rounds + 1):
        progress(f"{label}: round {number}/{rounds} ({seconds:g} s, {len(plans)} clients)")
        measured.append(
            await run_round(transport, plans, seconds=seconds, body=body, first_sequence=sequence)
        )
        sequence += 1_000_000
    return Measurement(rounds=measured)


def _result(
    *,
    database: str,
    clients: int,
    seconds: float,
    warmup: float,
    rounds: int,
    client: str,
    product: Measurement,
    bare: Measurement,
) -> ApiBenchResult:
    return ApiBenchResult(
        database=database,
        clients=clients,
        seconds=seconds,
        warmup=warmup,
        rounds=rounds,
        client=client,
        rate_per_s=product.rate_per_s,
        bare_rate_per_s=bare.rate_per_s,
        ratio=compute_ratio(product.rate_per_s, bare.rate_per_s),
        p50_ms=product.percentile_ms(50),
        p99_ms=product.percentile_ms(99),
        bare_p50_ms=bare.percentile_ms(50),
        bare_p99_ms=bare.percentile_ms(99),
        messages=product.ok,
        errors=product.errors,
        bare_errors=bare.errors,
        round_rates_per_s=[r.rate_per_s for r in product.rounds],
        bare_round_rates_per_s=[r.rate_per_s for r in bare.rounds],
        first_error=product.first_error or bare.first_error,
    )

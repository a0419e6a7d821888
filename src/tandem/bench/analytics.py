"""``tandem bench analytics``: the dashboard's full metric set for a 30-day window over 1,000,000
conversations, on SQLite and PostgreSQL.

The conversations are contact records (``analytics_contacts``) generated in bulk with the traffic
simulator's shape (busier weekday daytimes, customers who come back, escalations by rule and intent,
queue waits, handling times, ratings); ``tandem simulate`` makes the same kind of traffic through the real
services, at about 15 conversations a second, so a million goes in directly. The rollups are then built
by the same code as the refresh job (timed too), and the dashboard is computed from them: the median of
``rounds`` runs is ``seconds``. The baseline, in the same process, computes the same figures by reading
every contact record of the window (what a dashboard without rollups has to do).
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from tandem.accounts.actors import Actor
from tandem.analytics import metrics as m
from tandem.analytics import service as analytics_service
from tandem.analytics.schemas import NO_TEAM
from tandem.bench.processes import scratch_postgres_database
from tandem.bench.stats import compute_ratio
from tandem.bootstrap import Container, build_container
from tandem.core import migrate
from tandem.core.clock import FrozenClock
from tandem.settings import Settings

Progress = Callable[[str, int, int], None]
WINDOW_DAYS = 30
HISTORY_DAYS = 37  # a week more than the window: repeat contacts reach into it
END = datetime(2026, 11, 2, tzinfo=UTC)  # a fixed end, so a reused database is the same data
CHANNELS = (("web", 0.70), ("whatsapp", 0.12), ("email", 0.12), ("sms", 0.06))
LOCALES = (("en", 0.80), ("es", 0.08), ("fr", 0.06), ("de", 0.06))
INTENTS = (
    ("order_status", "orders", 0.10), ("delivery_time", "orders", 0.15), ("cancel_order", "orders", 0.30),
    ("change_order", "orders", 0.30), ("missing_package", "orders", 0.45), ("shipping_cost", "orders", 0.08),
    ("return_item", "returns", 0.25), ("refund_status", "returns", 0.20), ("start_refund", "returns", 0.35),
    ("billing_dispute", "billing", 0.55), ("promo_code", "billing", 0.12), ("payment_declined", "billing", 0.40),
    ("mystery_fee", "billing", 0.45), ("price_match", "billing", 0.30), ("recover_password", "general", 0.10),
    ("recover_username", "general", 0.10), ("change_address", "general", 0.20), ("membership_info", "general", 0.10),
    ("cancel_subscription", "general", 0.40), ("product_question", "general", 0.25), ("unknown", "general", 0.60),
)  # fmt: skip
REASONS = ("bot_misunderstood", "bot_wrong_answer", "missing_knowledge", "needs_action", "policy_exception",
           "emotional", "customer_preference", "product_issue")  # fmt: skip
TRIGGERS = (("sentiment", 0.35), ("customer_request", 0.35), ("bot_failure", 0.15), ("sensitive_topic", 0.05),
            ("bot_rule", 0.10))  # fmt: skip


@dataclass
class AnalyticsBenchResult:
    database: str
    conversations: int
    window_days: int
    seconds: float  # median time of the dashboard's full metric set, from the rollups
    rounds: list[float]
    baseline_seconds: float  # the same figures by reading every contact record of the window
    speedup: float
    rollup_rows: int
    rollup_seconds: float | None  # building every hourly and daily rollup from scratch; None: reused
    generate_seconds: float | None  # None: the data was reused
    window_conversations: int
    containment: float | None
    figures_match: bool  # the rollups' figures equal the scan's

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def generate(
    count: int, *, seed: int = 7, end: datetime = END, days: int = HISTORY_DAYS, chunk: int = 50_000
) -> Iterator[list[dict[str, Any]]]:
    """``count`` contact records over ``days`` up to ``end``, drawn at once (vectorised) and handed out
    ``chunk`` rows at a time (a million rows as dicts would take gigabytes)."""
    rng = np.random.default_rng(seed)
    hours = np.arange(days * 24)
    hour_of_day = hours % 24
    weekday = ((end - timedelta(days=days)).weekday() + hours // 24) % 7
    weight = np.exp(-((hour_of_day - 11) ** 2) / 18) + 0.8 * np.exp(-((hour_of_day - 15) ** 2) / 12) + 0.05
    weight *= np.where(weekday >= 5, 0.55, 1.0)
    start0 = (end - timedelta(days=days)).timestamp()
    started = np.sort(
        start0 + rng.choice(hours, size=count, p=weight / weight.sum()) * 3600 + rng.uniform(0, 3600, count)
    )
    customers = rng.integers(1, max(2, int(count * 0.8)), size=count)
    order = np.lexsort((started, customers))  # by customer, then time: the next row is the next contact
    next_started = np.full(count, np.nan)
    same = customers[order][1:] == customers[order][:-1]
    next_started[order[:-1][same]] = started[order][1:][same]
    intent_index = rng.choice(len(INTENTS), size=count, p=_shares([0.09, 0.06, 0.05, 0.03, 0.04, 0.06, 0.06, 0.06, 0.04,
        0.03, 0.05, 0.04, 0.03, 0.02, 0.06, 0.03, 0.04, 0.04, 0.04, 0.06, 0.07]))  # fmt: skip
    escalate_p = np.array([i[2] for i in INTENTS])[intent_index]
    escalated = rng.random(count) < escalate_p
    left_bot = ~escalated & (rng.random(count) < 0.05)
    left_queue = escalated & (rng.random(count) < 0.10)
    joined = escalated & ~left_queue
    open_now = rng.random(count) < 0.01
    escalated_at = started + rng.uniform(5, 240, count)
    wait = rng.lognormal(np.log(35), 0.8, count)
    first_human = escalated_at + wait
    trigger_index = rng.choice(len(TRIGGERS), size=count, p=_shares([t[1] for t in TRIGGERS]))
    signal = escalated_at - rng.uniform(0, 90, count)
    has_signal = trigger_index <= 1
    first_response = first_human + rng.uniform(10, 60, count)
    handle = rng.lognormal(np.log(300), 0.6, count)
    resolved_at = np.where(
        joined,
        first_human + handle,
        np.where(left_queue, escalated_at + wait * 2, started + rng.uniform(30, 300, count)),
    )
    unhappy = np.where(escalated, 0.25, np.where(np.isin(intent_index, [10, 12]), 0.5, 0.15))
    happy = rng.random(count) > unhappy
    rated = rng.random(count) < 0.45
    csat = np.where(happy, rng.choice([4, 5, 5], count), rng.choice([1, 2, 3], count))
    answered_nps = rng.random(count) < 0.25
    nps = np.where(happy, rng.choice([8, 9, 10], count), rng.choice([2, 5, 6, 7], count))
    assisted = joined & (rng.random(count) < 0.65)
    reason_index = rng.integers(0, len(REASONS), size=count)
    tagged = joined & (rng.random(count) < 0.75)
    channels = rng.choice([c[0] for c in CHANNELS], size=count, p=_shares([c[1] for c in CHANNELS]))
    locales = rng.choice([c[0] for c in LOCALES], size=count, p=_shares([c[1] for c in LOCALES]))
    rows: list[dict[str, Any]] = []
    at = _times
    for i in range(count):
        if len(rows) == chunk:
            yield rows
            rows = []
        intent, team, _ = INTENTS[intent_index[i]]
        esc, done = bool(escalated[i]), not open_now[i]
        resolved_by = (
            None if not done else "abandoned" if left_bot[i] or left_queue[i] else "human" if esc else "bot"
        )
        rows.append({
            "conversation_id": i + 1, "customer_id": int(customers[i]), "started_at": at(started[i]),
            "channel": str(channels[i]), "locale": str(locales[i]), "intent": intent,
            "team": team if esc else NO_TEAM, "resolved_by": resolved_by,
            "abandoned_in": ("bot" if left_bot[i] else "queue" if left_queue[i] else None) if done else None,
            "resolved_at": at(resolved_at[i]) if done else None, "human_involved": bool(joined[i]),
            "escalated": esc, "escalation_trigger": TRIGGERS[trigger_index[i]][0] if esc else None,
            "escalation_reason": REASONS[reason_index[i]] if tagged[i] else None,
            "first_signal_at": at(signal[i]) if esc and has_signal[i] else None,
            "escalated_at": at(escalated_at[i]) if esc else None,
            "first_human_at": at(first_human[i]) if joined[i] else None,
            "first_response_at": at(first_response[i]) if joined[i] else None,
            "handle_seconds": round(float(handle[i]), 1) if joined[i] and done else None,
            "csat": int(csat[i]) if rated[i] and done else None,
            "nps": int(nps[i]) if answered_nps[i] and done else None,
            "assisted": bool(assisted[i]),
            "next_started_at": None if np.isnan(next_started[i]) else at(next_started[i]),
        })  # fmt: skip
    if rows:
        yield rows


def _next_chunk(chunks: Iterator[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return next(chunks, [])


def _shares(values: list[float]) -> np.ndarray:
    found = np.array(values, dtype=float)
    shares: np.ndarray = found / found.sum()
    return shares


def _times(epoch: float) -> datetime:
    return datetime.fromtimestamp(float(epoch), UTC)


async def run(
    container: Container,
    *,
    conversations: int,
    seed: int,
    rounds: int,
    reuse: bool,
    progress: Progress | None,
) -> AnalyticsBenchResult:
    report = progress or (lambda stage, done, total: None)
    generated: float | None = None
    marker = f"bench:{conversations}:{seed}"
    async with container.uow(write=False) as uow:
        existing = await analytics_service.marker(uow, marker)
    if not (reuse and existing is not None):
        began = time.perf_counter()
        report("generating", 0, conversations)
        chunks = generate(conversations, seed=seed)
        done = 0
        async with container.uow() as uow:
            await analytics_service.delete_contacts(uow)
        while rows := await asyncio.to_thread(_next_chunk, chunks):
            async with container.uow() as uow:
                await analytics_service.load_contacts(uow, rows)
            done += len(rows)
            report("generating", done, conversations)
        async with container.uow() as uow:
            await analytics_service.set_marker(uow, marker, conversations)
        generated = round(time.perf_counter() - began, 2)
    rollup_seconds: float | None = None
    async with container.uow(write=False) as uow:
        rolled = await analytics_service.rollup_count(uow)
    if generated is not None or not rolled:  # reused data keeps its rollups
        began = time.perf_counter()
        await analytics_service.rebuild(container.uow, progress=lambda d, t: report("rolling up days", d, t))
        rollup_seconds = round(time.perf_counter() - began, 2)
    settings = container.settings
    query = analytics_service.make_query(
        start=(END - timedelta(days=WINDOW_DAYS)).date(), end=(END - timedelta(days=1)).date(), filters={},
        today=END.date(), retention_days=settings.analytics_retention_days,
    )  # fmt: skip
    actor = Actor.system()  # the operator: may read everything
    timings, found = [], None
    for number in range(rounds):
        began = time.perf_counter()
        async with container.uow(write=False) as uow:
            found = await analytics_service.dashboard(uow, actor=actor, query=query, settings=settings)
        timings.append(time.perf_counter() - began)
        report("dashboard", number + 1, rounds)
    began = time.perf_counter()
    scanned = await _scan(container, query)
    baseline = time.perf_counter() - began
    report("baseline scan", 1, 1)
    assert found is not None
    by_name = {v.name: v for v in found.metrics}
    async with container.uow(write=False) as uow:
        rollup_rows = await analytics_service.rollup_count(uow)
    median = statistics.median(timings)
    return AnalyticsBenchResult(
        database="sqlite" if container.database.is_sqlite else "postgresql",
        conversations=conversations,
        window_days=WINDOW_DAYS,
        seconds=round(median, 3),
        rounds=[round(t, 3) for t in timings],
        baseline_seconds=round(baseline, 3),
        speedup=round(compute_ratio(baseline, median), 1),
        rollup_rows=rollup_rows,
        rollup_seconds=rollup_seconds,
        generate_seconds=generated,
        window_conversations=scanned.conversations,
        containment=by_name["containment"].value,
        figures_match=_same(scanned, found, settings),
    )


async def _scan(container: Container, query: analytics_service.Query) -> m.Tally:
    """The baseline: every contact record of the window, read and counted."""
    tally = m.Tally()
    async with container.uow(write=False) as uow:
        async for contact in analytics_service.contacts_of(uow, query):
            tally.add(contact)
    return tally


def _same(scanned: m.Tally, found: Any, settings: Settings) -> bool:
    by_name = {v.name: v.value for v in found.metrics}
    return all(
        by_name[name] == metric.compute(scanned, settings).value
        for name, metric in analytics_service.METRICS.items()
    )


@contextlib.asynccontextmanager
async def database(
    kind: str, *, postgres_url: str | None, conversations: int, reuse: bool, data_dir: Path
) -> AsyncIterator[str]:
    """A database to bench on: a scratch one, or with ``reuse`` a kept one (generated once)."""
    if kind == "sqlite":
        if reuse:
            await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
            yield f"sqlite:///{data_dir / f'bench-analytics-{conversations}.db'}"
            return
        with tempfile.TemporaryDirectory(prefix="tandem-bench-analytics-") as scratch:
            yield f"sqlite:///{Path(scratch) / 'bench.db'}"
        return
    assert postgres_url is not None
    async with scratch_postgres_database(
        postgres_url, name=f"tandem_bench_analytics_{conversations}" if reuse else None, keep=reuse
    ) as url:
        yield url


async def run_on(
    kind: str, *, settings: Settings, postgres_url: str | None, conversations: int, seed: int, rounds: int,
    reuse: bool, progress: Progress | None,
) -> AnalyticsBenchResult:  # fmt: skip
    async with database(
        kind,
        postgres_url=postgres_url,
        conversations=conversations,
        reuse=reuse,
        data_dir=settings.data_dir / "bench",
    ) as url:
        scoped = settings.model_copy(update={"database_url": url, "redis_url": None, "demo": False})
        container = build_container(scoped, clock=FrozenClock(END))
        try:
            await migrate.upgrade(container.database)
            return await run(
                container,
                conversations=conversations,
                seed=seed,
                rounds=rounds,
                reuse=reuse,
                progress=progress,
            )
        finally:
            await container.stop()

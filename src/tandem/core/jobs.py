"""Background jobs: the protocol and the in-process queue (the embedded default).

Jobs reach a queue only through the transactional outbox (``core.outbox``), so a job exists if and only if
the transaction that asked for it committed. Handlers must be idempotent: after a crash a job may run again.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog

from tandem.core import observability

log = structlog.get_logger(__name__)

JobHandler = Callable[[dict[str, Any]], Awaitable[None]]
JobCallback = Callable[["Job"], Awaitable[None]]


@dataclass
class Job:
    name: str
    payload: dict[str, Any]
    outbox_id: int | None = None
    dedupe_key: str | None = None
    attempt: int = 1


@dataclass
class JobRegistry:
    """Job name (``domain.verb_noun``) → handler. Unknown names fail loudly at enqueue time."""

    handlers: dict[str, JobHandler] = field(default_factory=dict)

    def register(self, name: str, handler: JobHandler) -> None:
        if name in self.handlers:
            raise ValueError(f"job {name!r} registered twice")
        self.handlers[name] = handler

    def require(self, name: str) -> JobHandler:
        try:
            return self.handlers[name]
        except KeyError:
            known = ", ".join(sorted(self.handlers)) or "none"
            raise KeyError(f"unknown job {name!r}; known jobs: {known}") from None


class JobQueue(Protocol):
    """Where committed jobs go: ``InProcessJobQueue`` (embedded default) or ``core.saq_queue.SaqJobQueue``
    (Redis). ``on_success`` acknowledges a finished job, ``on_dead`` records one out of attempts."""

    on_success: JobCallback | None
    on_dead: Callable[[Job, str], Awaitable[None]] | None

    async def submit(self, job: Job) -> None: ...

    def depth(self) -> int: ...

    def holds(self, outbox_id: int) -> bool:
        """True while this process has the job queued, running or waiting to retry."""
        ...

    async def start(self) -> None: ...

    async def stop(self, *, grace_seconds: float = 5.0) -> None: ...

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait until the jobs submitted here have finished (tests and the CLI)."""
        ...


class InProcessJobQueue:
    """asyncio workers with bounded retries and exponential backoff with jitter.

    ``on_success`` acknowledges the job (the outbox deletes its row); ``on_dead`` records a job that
    exhausted its attempts so an admin can see and replay it.
    """

    def __init__(
        self,
        registry: JobRegistry,
        *,
        workers: int = 2,
        max_attempts: int = 5,
        base_delay: float = 0.2,
        timeout_seconds: float = 60.0,
        on_success: JobCallback | None = None,
        on_dead: Callable[[Job, str], Awaitable[None]] | None = None,
    ) -> None:
        self.registry = registry
        self.workers = workers
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.timeout_seconds = timeout_seconds
        self.on_success = on_success
        self.on_dead = on_dead
        self._queue: asyncio.Queue[Job] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._retry_tasks: set[asyncio.Task[None]] = set()
        self._in_flight = 0
        self._stopping = False
        self._held: set[int] = set()

    async def submit(self, job: Job) -> None:
        self.registry.require(job.name)
        if job.outbox_id is not None:
            if job.outbox_id in self._held:
                return  # already here: the sweeper must not run it twice
            self._held.add(job.outbox_id)
        self._queue.put_nowait(job)
        observability.JOB_QUEUE_DEPTH.set(self.depth())

    def depth(self) -> int:
        return self._queue.qsize() + self._in_flight + len(self._retry_tasks)

    def holds(self, outbox_id: int) -> bool:
        return outbox_id in self._held

    async def start(self) -> None:
        self._stopping = False
        for index in range(self.workers):
            self._tasks.append(asyncio.create_task(self._work(), name=f"tandem-job-worker-{index}"))

    async def stop(self, *, grace_seconds: float = 5.0) -> None:
        """Let running jobs finish (up to ``grace_seconds``), then stop. Jobs not yet started stay in the
        outbox and are handed out again later; cancelling a job mid-query could leave a database
        connection that never closes."""
        self._stopping = True
        deadline = time.monotonic() + grace_seconds
        while self._in_flight and time.monotonic() < deadline:  # noqa: ASYNC110 - a counter, not an event
            await asyncio.sleep(0.01)
        for task in [*self._tasks, *self._retry_tasks]:
            task.cancel()
        await asyncio.gather(*self._tasks, *self._retry_tasks, return_exceptions=True)
        self._tasks.clear()
        self._retry_tasks.clear()

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait until every submitted job (retries included) has finished. For tests and the CLI."""
        deadline = time.monotonic() + timeout
        while self.depth() and time.monotonic() < deadline:  # noqa: ASYNC110 - polling several counters
            await asyncio.sleep(0.01)
        if self.depth():
            raise TimeoutError(f"{self.depth()} jobs still pending after {timeout}s")

    async def _work(self) -> None:
        while True:
            job = await self._queue.get()
            if self._stopping:
                return
            self._in_flight += 1
            try:
                await self._run(job)
            except Exception:  # a worker must outlive any one job, its bookkeeping included
                log.exception("job_worker_error", job=job.name)
            finally:
                self._in_flight -= 1
                observability.JOB_QUEUE_DEPTH.set(self.depth())

    async def _run(self, job: Job) -> None:
        finished = True
        try:
            finished = await self._attempt(job)
        finally:
            if finished and job.outbox_id is not None:
                self._held.discard(job.outbox_id)

    async def _attempt(self, job: Job) -> bool:
        """Run once; True when the job is finished (done or dead), False when a retry is scheduled."""
        handler = self.registry.require(job.name)
        started = time.perf_counter()
        try:
            await asyncio.wait_for(handler(job.payload), timeout=self.timeout_seconds)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            observability.JOBS.labels(job.name, "error").inc()
            log.warning("job_failed", job=job.name, attempt=job.attempt, error=type(exc).__name__)
            if job.attempt >= self.max_attempts:
                if self.on_dead is not None:
                    await self.on_dead(job, f"{type(exc).__name__}: {exc}")
                return True
            self._schedule_retry(job)
            return False
        observability.JOBS.labels(job.name, "ok").inc()
        observability.JOB_SECONDS.labels(job.name).observe(time.perf_counter() - started)
        if self.on_success is not None:
            await self.on_success(job)
        return True

    def _schedule_retry(self, job: Job) -> None:
        delay = self.base_delay * (2 ** (job.attempt - 1)) * (0.5 + random.random())
        retry = Job(job.name, job.payload, job.outbox_id, job.dedupe_key, job.attempt + 1)

        async def later() -> None:
            await asyncio.sleep(delay)
            self._queue.put_nowait(retry)

        task = asyncio.create_task(later())
        self._retry_tasks.add(task)
        task.add_done_callback(self._retry_tasks.discard)

"""Background jobs in Redis through SAQ (asyncio job queue), chosen when Redis is configured.

Every instance enqueues into the same queue and works it, so a job committed on one server can run on
another, and a server that stops (or dies) mid-job leaves it to the others: SAQ retries a cancelled or
stuck job. The outbox stays the source of truth: a job is enqueued with the key ``outbox:<id>``, which SAQ
refuses to enqueue twice while the job is queued, running or waiting for a retry, so the outbox sweeper
may hand it over again without running it twice. As with the in-process queue, ``on_success``
acknowledges the job (the outbox deletes its row) and ``on_dead`` records one that used every attempt.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from saq import Queue, Worker
from saq.types import Context

from tandem.core import observability
from tandem.core.jobs import Job, JobCallback, JobRegistry

log = structlog.get_logger(__name__)
# SAQ warns at every stop that it cancelled its idle dequeuers; its errors (a failing job) still show.
logging.getLogger("saq").setLevel(logging.ERROR)
FUNCTION = "tandem.job"
HELD_FOR_SECONDS = 900.0  # jobs another instance finished are forgotten here after this long


class _EmbeddedWorker(Worker[Context]):
    """A SAQ worker inside the server's event loop: the server owns SIGINT and SIGTERM, not the worker."""

    SIGNALS = []


class SaqJobQueue:
    def __init__(
        self,
        registry: JobRegistry,
        redis_url: str,
        *,
        workers: int = 2,
        max_attempts: int = 5,
        base_delay: float = 0.2,
        timeout_seconds: float = 60.0,
        name: str = "tandem-jobs",
        on_success: JobCallback | None = None,
        on_dead: Callable[[Job, str], Awaitable[None]] | None = None,
    ) -> None:
        self.registry = registry
        self.redis_url = redis_url
        self.workers = workers
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.timeout_seconds = timeout_seconds
        self.name = name
        self.on_success = on_success
        self.on_dead = on_dead
        self._queue: Queue | None = None
        self._worker: _EmbeddedWorker | None = None
        self._worker_task: asyncio.Task[None] | None = None
        self._held: dict[int, float] = {}  # outbox id → when this instance enqueued it
        self._running = 0

    async def _connected(self) -> Queue:
        if self._queue is None:
            queue = Queue.from_url(self.redis_url, name=self.name)
            await queue.connect()
            self._queue = queue
        return self._queue

    async def submit(self, job: Job) -> None:
        self.registry.require(job.name)
        queue = await self._connected()
        identity = {"key": f"outbox:{job.outbox_id}"} if job.outbox_id is not None else {}
        await queue.enqueue(
            FUNCTION,
            **identity,
            timeout=max(1, round(self.timeout_seconds)),
            retries=self.max_attempts,
            retry_delay=self.base_delay,
            retry_backoff=True,
            job_name=job.name,
            payload=job.payload,
            outbox_id=job.outbox_id,
            dedupe_key=job.dedupe_key,
        )
        if job.outbox_id is not None:
            self._held[job.outbox_id] = time.monotonic()
        observability.JOB_QUEUE_DEPTH.set(self.depth())

    def depth(self) -> int:
        """Jobs this instance enqueued that no worker here has finished yet (another may have)."""
        self._forget_old()
        return len(self._held) + self._running

    def holds(self, outbox_id: int) -> bool:
        self._forget_old()
        return outbox_id in self._held

    async def start(self) -> None:
        queue = await self._connected()
        if self.workers <= 0:
            return  # enqueue only (a CLI, or an API-only instance)
        # stop() waits for running jobs itself; SAQ then cancels the idle dequeuers at once
        self._worker = _EmbeddedWorker(queue, functions=[(FUNCTION, self._run)], concurrency=self.workers)
        self._worker_task = asyncio.create_task(self._worker.start(), name="tandem-saq-worker")

    async def stop(self, *, grace_seconds: float = 5.0) -> None:
        """Running jobs get ``grace_seconds``; SAQ gives the ones it cancels back to the queue."""
        deadline = time.monotonic() + grace_seconds
        while self._running and time.monotonic() < deadline:  # noqa: ASYNC110 - a counter, not an event
            await asyncio.sleep(0.01)
        if self._worker is not None:
            await self._worker.stop()
        if self._worker_task is not None:
            await asyncio.gather(self._worker_task, return_exceptions=True)
        self._worker = self._worker_task = None
        if self._queue is not None:
            await self._queue.disconnect()
            self._queue = None

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait until the jobs this instance enqueued have been finished here. For tests and the CLI."""
        deadline = time.monotonic() + timeout
        while self.depth() and time.monotonic() < deadline:  # noqa: ASYNC110 - polling counters
            await asyncio.sleep(0.02)
        if self.depth():
            raise TimeoutError(f"{self.depth()} jobs still pending after {timeout}s")

    async def _run(
        self,
        ctx: Context,
        *,
        job_name: str,
        payload: dict[str, Any],
        outbox_id: int | None,
        dedupe_key: str | None,
    ) -> None:
        attempt = int(getattr(ctx.get("job"), "attempts", 1) or 1)
        job = Job(job_name, payload, outbox_id, dedupe_key, attempt)
        handler = self.registry.require(job_name)
        started = time.perf_counter()
        self._running += 1
        try:
            try:
                await handler(payload)
            except Exception as exc:
                observability.JOBS.labels(job_name, "error").inc()
                log.warning("job_failed", job=job_name, attempt=attempt, error=type(exc).__name__)
                if attempt < self.max_attempts:
                    raise  # SAQ retries it, with exponential backoff, on whichever instance is free
                if self.on_dead is not None:
                    await self.on_dead(job, f"{type(exc).__name__}: {exc}")
            else:
                observability.JOBS.labels(job_name, "ok").inc()
                observability.JOB_SECONDS.labels(job_name).observe(time.perf_counter() - started)
                if self.on_success is not None:
                    await self.on_success(job)
            if outbox_id is not None:
                self._held.pop(outbox_id, None)
        finally:
            self._running -= 1
            observability.JOB_QUEUE_DEPTH.set(self.depth())

    def _forget_old(self) -> None:
        cutoff = time.monotonic() - HELD_FOR_SECONDS
        for outbox_id in [i for i, at in self._held.items() if at < cutoff]:
            del self._held[outbox_id]

"""The SAQ job queue on the real Redis: a job runs once and is acknowledged, a job committed on one instance
runs on another, a failing job is retried with backoff and then buried, and the outbox key keeps a job
handed over twice from running twice."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import pytest

from conftest import REDIS_URL
from tandem.core.jobs import Job, JobRegistry
from tandem.core.saq_queue import SaqJobQueue

pytestmark = pytest.mark.integration


@pytest.fixture
def queue_name(redis_url: str) -> str:
    return f"tandem-test-{uuid.uuid4().hex[:8]}"


class Recorder:
    def __init__(self) -> None:
        self.ran: list[dict[str, object]] = []
        self.acknowledged: list[int | None] = []
        self.buried: list[tuple[int | None, str]] = []

    async def acknowledge(self, job: Job) -> None:
        self.acknowledged.append(job.outbox_id)

    async def bury(self, job: Job, error: str) -> None:
        self.buried.append((job.outbox_id, error))


async def _until(check: Callable[[], object], seconds: float = 10.0) -> None:
    async with asyncio.timeout(seconds):
        while not check():  # noqa: ASYNC110 - the jobs run in SAQ's tasks; there is no event to wait on
            await asyncio.sleep(0.02)


async def test_a_job_committed_on_one_instance_runs_on_another_once(queue_name: str) -> None:
    seen = Recorder()
    registry = JobRegistry()

    async def greet(payload: dict[str, object]) -> None:
        seen.ran.append(payload)

    registry.register("demo.greet", greet)
    api_only = SaqJobQueue(registry, REDIS_URL, workers=0, name=queue_name)  # enqueues, never works
    worker = SaqJobQueue(registry, REDIS_URL, workers=2, name=queue_name, on_success=seen.acknowledge)
    await api_only.start()
    try:
        job = Job("demo.greet", {"who": "Maya"}, outbox_id=7)
        await api_only.submit(job)
        await api_only.submit(job)  # the outbox sweeper handing it over again while it waits
        assert api_only.holds(7)
        await worker.start()
        await _until(lambda: seen.acknowledged == [7])
        await asyncio.sleep(0.3)
        assert seen.ran == [{"who": "Maya"}]
        with pytest.raises(KeyError, match=r"unknown job 'demo\.nothing'"):
            await api_only.submit(Job("demo.nothing", {}))
    finally:
        await worker.stop()
        await api_only.stop()


async def test_a_failing_job_is_retried_then_buried(queue_name: str) -> None:
    seen = Recorder()
    registry = JobRegistry()
    attempts: list[int] = []

    async def flaky(payload: dict[str, object]) -> None:
        attempts.append(1)
        raise RuntimeError("the shop's API is down")

    registry.register("demo.flaky", flaky)
    queue = SaqJobQueue(
        registry, REDIS_URL, workers=1, name=queue_name, max_attempts=3, base_delay=0.05,
        on_success=seen.acknowledge, on_dead=seen.bury,
    )  # fmt: skip
    await queue.start()
    try:
        await queue.submit(Job("demo.flaky", {}, outbox_id=9))
        await _until(lambda: seen.buried)
        assert len(attempts) == 3 and seen.acknowledged == []
        assert seen.buried == [(9, "RuntimeError: the shop's API is down")]
        await queue.drain(timeout=5)
    finally:
        await queue.stop()

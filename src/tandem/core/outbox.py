"""The transactional outbox: jobs are written in the same transaction as the change that asked for them,
handed to the job queue after commit, and deleted only when they succeed (acknowledged late).

If the process dies between commit and hand-off, or while a job runs, the sweeper hands the row out again
after ``visibility_seconds``. Jobs are therefore at-least-once; handlers make themselves idempotent.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import BigInteger, Integer, String, Text, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from tandem.core import observability
from tandem.core.clock import Clock
from tandem.core.db import Base, Database, JsonType, UTCDateTime
from tandem.core.jobs import Job, JobQueue

log = structlog.get_logger(__name__)


class OutboxRow(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    job_name: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)


def insert_outbox_row(dialect: str, values: dict[str, Any]) -> Any:
    """INSERT ... ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, for both databases."""
    module: Any = postgresql if dialect == "postgresql" else sqlite
    return (
        module.insert(OutboxRow)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboxRow.id)
    )


class OutboxRelay:
    def __init__(
        self, database: Database, queue: JobQueue, clock: Clock, *, visibility_seconds: float = 300.0
    ) -> None:
        self.database = database
        self.queue = queue
        self.clock = clock
        self.visibility = timedelta(seconds=visibility_seconds)
        self._sweeper: asyncio.Task[None] | None = None

    async def dispatch(self, jobs: list[Job]) -> None:
        for job in jobs:
            try:
                await self.queue.submit(job)
            except Exception:  # the sweeper will hand it out again
                log.exception("outbox_dispatch_failed", job=job.name, outbox_id=job.outbox_id)

    async def acknowledge(self, job: Job) -> None:
        if job.outbox_id is None:
            return
        async with _write(self.database) as session:
            await session.execute(delete(OutboxRow).where(OutboxRow.id == job.outbox_id))

    async def bury(self, job: Job, error: str) -> None:
        """Keep a job that exhausted its attempts visible (dead letter) instead of retrying it forever."""
        if job.outbox_id is None:
            return
        async with _write(self.database) as session:
            await session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == job.outbox_id)
                .values(failed_at=self.clock.now(), last_error=error[:2000], attempts=job.attempt)
            )
        log.error("job_dead_lettered", job=job.name, outbox_id=job.outbox_id)

    async def sweep(self) -> int:
        """Hand out again every live row whose last hand-off is older than the visibility timeout."""
        now = self.clock.now()
        cutoff = now - self.visibility
        async with _write(self.database) as session:
            rows = (
                (
                    await session.execute(
                        select(OutboxRow)
                        .where(
                            OutboxRow.failed_at.is_(None),
                            or_(
                                OutboxRow.dispatched_at < cutoff,
                                (OutboxRow.dispatched_at.is_(None)) & (OutboxRow.created_at < cutoff),
                            ),
                        )
                        .order_by(OutboxRow.id)
                        .limit(500)
                        # several instances sweep the same table: each row goes to one of them
                        .with_for_update(skip_locked=True)
                    )
                )
                .scalars()
                .all()
            )
            jobs = []
            for row in rows:
                if self.queue.holds(row.id):
                    continue  # still queued or running here, merely slow
                row.dispatched_at = now
                row.attempts += 1
                jobs.append(Job(row.job_name, row.payload, row.id, row.dedupe_key, attempt=row.attempts + 1))
        await self.dispatch(jobs)
        await self.refresh_gauge()
        return len(jobs)

    async def refresh_gauge(self) -> None:
        async with self.database.read_sessions() as session:
            pending = await session.scalar(
                select(func.count()).select_from(OutboxRow).where(OutboxRow.failed_at.is_(None))
            )
        observability.OUTBOX_PENDING.set(pending or 0)

    def start_sweeper(self, every_seconds: float) -> None:
        async def loop() -> None:
            while True:
                await asyncio.sleep(every_seconds)
                try:
                    await self.sweep()
                except Exception:
                    log.exception("outbox_sweep_failed")

        self._sweeper = asyncio.create_task(loop(), name="tandem-outbox-sweeper")

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
            self._sweeper = None


class _write:
    """A short write transaction outside any unit of work (outbox bookkeeping only)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def __aenter__(self) -> Any:
        lock = self.database.write_lock
        if lock is not None:
            await lock.acquire()
        self.session = self.database.write_sessions()
        return self.session

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if exc_type is None:
                await self.session.commit()
            else:
                await self.session.rollback()
        finally:
            await self.session.close()
            lock = self.database.write_lock
            if lock is not None:
                lock.release()

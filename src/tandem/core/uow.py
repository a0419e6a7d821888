"""The unit of work: one transaction, plus what must happen only if it commits.

Services never commit. They add rows through repositories and record side effects here: domain events
(``emit``), realtime signals (``publish``) and jobs (``enqueue``). Jobs are written to the outbox inside
the transaction; events and signals are delivered after the commit. A rolled-back request therefore never
pushes a phantom message to a socket or starts a job for data that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.core.broker import Broker
from tandem.core.clock import Clock
from tandem.core.db import Database
from tandem.core.events import DomainEvent, EventBus
from tandem.core.jobs import Job
from tandem.core.outbox import OutboxRelay, insert_outbox_row


@dataclass
class _PendingJob:
    name: str
    payload: dict[str, Any]
    dedupe_key: str | None


class UnitOfWork:
    def __init__(
        self,
        *,
        database: Database,
        clock: Clock,
        bus: EventBus,
        broker: Broker,
        relay: OutboxRelay | None,
        write: bool = True,
    ) -> None:
        self.database = database
        self.clock = clock
        self.bus = bus
        self.broker = broker
        self.relay = relay
        self.write = write
        self._events: list[DomainEvent] = []
        self._signals: list[tuple[str, dict[str, Any]]] = []
        self._jobs: list[_PendingJob] = []
        self._session: AsyncSession | None = None
        self._holds_lock = False

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("unit of work used outside 'async with'")
        return self._session

    @property
    def dialect(self) -> str:
        return self.database.dialect

    async def __aenter__(self) -> UnitOfWork:
        lock = self.database.write_lock if self.write else None
        if lock is not None:
            await lock.acquire()
            self._holds_lock = True
        sessions = self.database.write_sessions if self.write else self.database.read_sessions
        self._session = sessions()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        committed_jobs: list[Job] = []
        committed = False
        try:
            if exc_type is None and self.write:
                committed_jobs = await self._stage_jobs()
                await self.session.commit()
                committed = True
            elif self.write:
                await self.session.rollback()
            # a read-only session is simply closed: what it loaded stays readable
        finally:
            await self.session.close()
            if self._holds_lock:
                lock = self.database.write_lock
                assert lock is not None
                lock.release()
                self._holds_lock = False
        if committed:
            await self._after_commit(committed_jobs)

    def emit(self, event: DomainEvent) -> None:
        self._require_write()
        self._events.append(event)

    def publish(self, channel: str, message: dict[str, Any]) -> None:
        self._require_write()
        self._signals.append((channel, message))

    def enqueue(self, name: str, payload: dict[str, Any], *, dedupe_key: str | None = None) -> None:
        self._require_write()
        self._jobs.append(_PendingJob(name, payload, dedupe_key))

    def _require_write(self) -> None:
        if not self.write:
            raise RuntimeError("side effects need a write unit of work")

    async def _stage_jobs(self) -> list[Job]:
        staged = []
        now = self.clock.now()
        for pending in self._jobs:
            statement = insert_outbox_row(
                self.dialect,
                {
                    "job_name": pending.name,
                    "payload": pending.payload,
                    "dedupe_key": pending.dedupe_key,
                    "created_at": now,
                    "attempts": 0,
                },
            )
            outbox_id = (await self.session.execute(statement)).scalar_one_or_none()
            if outbox_id is not None:  # None: the same dedupe key is already pending
                staged.append(Job(pending.name, pending.payload, outbox_id, pending.dedupe_key))
        return staged

    async def _after_commit(self, jobs: list[Job]) -> None:
        for channel, message in self._signals:
            await self.broker.publish(channel, message)
        for event in self._events:
            await self.bus.publish(event)
        if jobs and self.relay is not None:
            await self.relay.dispatch(jobs)


class UnitOfWorkFactory:
    """Built once by the composition root; ``uow()`` for writes, ``uow(write=False)`` for reads."""

    def __init__(
        self, *, database: Database, clock: Clock, bus: EventBus, broker: Broker, relay: OutboxRelay | None
    ) -> None:
        self.database = database
        self.clock = clock
        self.bus = bus
        self.broker = broker
        self.relay = relay

    def __call__(self, *, write: bool = True) -> UnitOfWork:
        return UnitOfWork(
            database=self.database,
            clock=self.clock,
            bus=self.bus,
            broker=self.broker,
            relay=self.relay,
            write=write,
        )

"""The composition root: the one place that picks implementations and wires them together.

Embedded default: SQLite file, in-process event bus, broker and job queue. With ``TANDEM_REDIS_URL`` the
broker becomes Redis pub/sub so several instances share live events. Subscribers of lower layers to higher
ones (the bot answering customer messages) are wired here and nowhere else.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import structlog

from tandem.accounts import service as accounts_service
from tandem.accounts.actors import Actor, Role
from tandem.accounts.schemas import StaffCreate
from tandem.analytics import service as analytics_service
from tandem.assist.mood import MoodReader
from tandem.assist.service import ReplyHistory
from tandem.bot import service as bot_service
from tandem.bot.components.starter import StarterResponder
from tandem.bot.escalation import EscalationPolicy, load_policy
from tandem.bot.nlu.retrieval import HybridRetriever
from tandem.bot.nlu.sentiment import VaderLexiconSentiment
from tandem.bot.protocols import Responder
from tandem.bot.registry import build_responder
from tandem.conversation import service as conversation_service
from tandem.conversation.service import (
    BOT_TURN_JOB,
    DISPATCH_JOB,
    FOLLOW_UP_MAIL_JOB,
    HANDOFF_JOB,
    MessageLimits,
)
from tandem.core import migrate
from tandem.core.broker import RESYNC_KIND, Broker, InMemoryBroker
from tandem.core.cache import TTLCache
from tandem.core.clock import Clock, SystemClock
from tandem.core.connections import ConnectionRegistry, InMemoryConnections
from tandem.core.db import Database
from tandem.core.errors import ConfigurationError
from tandem.core.events import InProcessEventBus
from tandem.core.jobs import InProcessJobQueue, JobQueue, JobRegistry
from tandem.core.mail import MailSender, OutboxDirMailSender, SmtpMailSender
from tandem.core.observability import configure_logging
from tandem.core.outbox import OutboxRelay
from tandem.core.uow import UnitOfWorkFactory
from tandem.kb import service as kb_service
from tandem.kb.schemas import ArticleIn
from tandem.learning import service as learning_service
from tandem.learning.schemas import RunStatus
from tandem.routing import presence as routing_presence
from tandem.routing import service as routing_service
from tandem.routing import sla as routing_sla
from tandem.routing.config import RoutingConfig, load_routing_config
from tandem.routing.schemas import DispatchReport
from tandem.settings import Settings
from tandem.store.connector import DemoStoreConnector
from tandem.store.content import load_articles
from tandem.store.seed import seed_demo_store

log = structlog.get_logger(__name__)

DEMO_PASSWORD = "tandem-demo"  # documented in the README; demo mode only
DEMO_STAFF = (
    ("admin@tandem.example", "Ada Admin", Role.ADMIN, ["en"]),
    ("supervisor@tandem.example", "Sam Supervisor", Role.SUPERVISOR, ["en", "es"]),
    ("alex@tandem.example", "Alex Rivera", Role.AGENT, ["en", "es"]),
    ("chloe@tandem.example", "Chloé Martin", Role.AGENT, ["fr", "en"]),
    ("jonas@tandem.example", "Jonas Weber", Role.AGENT, ["de", "en"]),
    ("priya@tandem.example", "Priya Nair", Role.AGENT, ["en"]),
)

ANALYTICS_BATCHES_PER_JOB = 40  # x 500 conversations
KNOWLEDGE_CHANNEL = "knowledge"  # "articles were published": every instance rebuilds its indexes
LEARNING_CHANNEL = "learning"  # a retraining's status, from the instance that runs it


@dataclass
class Container:
    settings: Settings
    database: Database
    clock: Clock
    bus: InProcessEventBus
    broker: Broker
    jobs: JobRegistry
    queue: JobQueue
    relay: OutboxRelay
    uow: UnitOfWorkFactory
    crm: DemoStoreConnector
    responder: Responder
    limits: MessageLimits
    escalation_policy: EscalationPolicy
    routing: RoutingConfig
    mail: MailSender  # e-mail to customers: an SMTP relay, or .eml files in data_dir/outbox
    connections: ConnectionRegistry = field(default_factory=InMemoryConnections)  # agents' console tabs
    knowledge: HybridRetriever | None = None  # keyword search over published articles, for agent assist
    reply_history: ReplyHistory = field(default_factory=ReplyHistory)  # past agent replies, for agent assist
    started: bool = False
    _moods: MoodReader | None = None
    model_version: int | None = None  # the learning loop's champion being served; None: the default model
    learning_status: RunStatus = field(default_factory=lambda: RunStatus(state="idle"))
    _retraining: asyncio.Task[None] | None = None
    bot_built: bool = False
    _ticker: asyncio.Task[None] | None = None
    _listeners: list[asyncio.Task[None]] = field(default_factory=list)
    _knowledge_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    instance_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    # token -> Actor; staff entries expire fast so a revocation elsewhere takes effect within seconds
    staff_tokens: TTLCache[str, Actor] = field(default_factory=lambda: TTLCache(ttl=5.0))
    conversation_tokens: TTLCache[str, Actor] = field(default_factory=lambda: TTLCache(ttl=60.0))

    def moods(self) -> MoodReader:
        """The agents' mood badges: the sentiment scorer (built on first use) and a cache of scored lists."""
        if self._moods is None:
            self._moods = MoodReader(VaderLexiconSentiment())
        return self._moods

    @property
    def token_ttl(self) -> timedelta:
        return timedelta(hours=self.settings.token_ttl_hours)

    @property
    def presence_grace(self) -> timedelta:
        return timedelta(seconds=self.settings.presence_grace_seconds)

    async def start(
        self,
        *,
        migrate_schema: bool = True,
        seed: bool | None = None,
        workers: bool = True,
        bot: bool = True,
    ) -> None:
        """Migrate, seed the demo, build the bot, and start the workers and the outbox sweeper."""
        if migrate_schema:
            await migrate.upgrade(self.database)
        if self.settings.demo if seed is None else seed:
            await seed_demo(self)
        if bot:
            await self.build_bot()
            self.bot_built = True
        if workers:
            await self.queue.start()
            await self.relay.sweep()
            self.relay.start_sweeper(self.settings.outbox_sweep_seconds)
            self._ticker = asyncio.create_task(self._tick_routing(), name="routing-ticker")
            self._listeners = [
                asyncio.create_task(
                    self._listen(KNOWLEDGE_CHANNEL, self._knowledge_from, resync=True), name="knowledge"
                ),
                asyncio.create_task(
                    self._listen(LEARNING_CHANNEL, self._learning_status_from), name="learning"
                ),
            ]
        self.started = True

    async def route(self) -> DispatchReport:
        """One dispatch round now (also what the ticker and the dispatch job do)."""
        async with self.uow() as uow:
            return await routing_service.dispatch(uow, config=self.routing)

    async def _tick_routing(self) -> None:
        """Offers that lapsed, conversations still waiting, SLA timers: every few seconds; and, about every
        30 seconds, whether the learning loop changed the serving model."""
        ticks = 0
        refreshed = time.monotonic()
        while True:
            await asyncio.sleep(self.settings.routing_tick_seconds)
            ticks += 1
            if time.monotonic() - refreshed >= self.settings.analytics_refresh_seconds:
                refreshed = time.monotonic()
                try:
                    await self.request_analytics_refresh()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # asked again at the next interval
                    log.warning("analytics_refresh_request_failed", error=type(exc).__name__)
            if self.bot_built and ticks % max(1, round(30 / self.settings.routing_tick_seconds)) == 0:
                try:
                    await self.follow_champion()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # the current model keeps serving
                    log.warning("champion_switch_failed", error=type(exc).__name__)
            try:
                await self.track_agents()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the connections are counted again at the next tick
                log.warning("agent_presence_check_failed", error=type(exc).__name__)
            try:
                await self.abandon_vanished()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # presence is read again at the next tick
                log.warning("abandonment_check_failed", error=type(exc).__name__)
            try:
                async with self.uow() as uow:
                    await routing_sla.tick(uow, config=self.routing)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a failed round is retried at the next tick
                log.warning("routing_tick_failed", error=type(exc).__name__)

    async def request_analytics_refresh(self) -> None:
        """Queue the rollups' refresh; one at a time across every instance (the job's dedupe key)."""
        async with self.uow() as uow:
            uow.enqueue(analytics_service.REFRESH_JOB, {}, dedupe_key=analytics_service.REFRESH_JOB)

    def start_retraining(self, trigger: str) -> bool:
        """Run the learning loop in the background, reporting into ``learning_status``; False if one runs."""
        if self._retraining is not None and not self._retraining.done():
            return False
        self._retraining = asyncio.create_task(self._retrain(trigger), name="learning-retrain")
        return True

    async def _retrain(self, trigger: str) -> None:
        status = RunStatus(state="running", started_at=self.clock.now().isoformat())
        self.learning_status = status

        def progress(stage: str, done: int, total: int) -> None:  # called from the training thread
            status.stage, status.done, status.total = stage, done, total

        async def report() -> None:  # other instances show this run's progress too
            while True:
                await self._share_learning_status(status)
                await asyncio.sleep(1.0)

        reporter = asyncio.create_task(report(), name="learning-status")
        try:
            result = await learning_service.run(
                self.uow, settings=self.settings, trigger=trigger, progress=progress
            )
            status.state, status.result = "done", result.as_dict()
            if result.promoted and self.bot_built:
                await self.follow_champion()
        except asyncio.CancelledError:
            status.state, status.error = "failed", "stopped with the server"
            raise
        except Exception as exc:  # reported in the status; the next request starts again
            log.warning("learning_run_failed", error=type(exc).__name__)
            status.state, status.error = "failed", getattr(exc, "detail", None) or type(exc).__name__
        finally:
            status.finished_at = self.clock.now().isoformat()
            reporter.cancel()
            with contextlib.suppress(Exception):  # a broker that is down: this instance still knows
                await asyncio.shield(self._share_learning_status(status))

    async def track_agents(self) -> int:
        """Presence follows the agents' console tabs (routing/presence.py); conversations of an agent gone
        long enough go back to the queue, each in its own transaction. Returns how many went back."""
        async with self.uow() as uow:
            held = await routing_presence.track_agents(
                uow, config=self.routing, connections=self.connections, grace=self.presence_grace
            )
        returned = 0
        for staff_id, conversation_id in held:
            try:
                async with self.uow() as uow:
                    returned += await routing_presence.return_to_queue(
                        uow, config=self.routing, staff_id=staff_id, conversation_id=conversation_id
                    )
            except Exception as exc:  # one conversation that cannot move does not keep the others
                log.warning(
                    "return_to_queue_failed", conversation_id=conversation_id, error=type(exc).__name__
                )
        return returned

    async def abandon_vanished(self) -> int:
        """Waiting customers who closed the chat long enough ago leave the queue, each in its own
        transaction (the conversation is locked before routing's rows, as everywhere)."""
        async with self.uow() as uow:
            gone = await routing_service.track_customer_presence(uow, config=self.routing, broker=self.broker)
        abandoned = 0
        for conversation_id in gone:
            try:
                async with self.uow() as uow:
                    abandoned += await routing_service.abandon(
                        uow, config=self.routing, conversation_id=conversation_id
                    )
            except Exception as exc:  # one conversation that cannot be closed does not keep the others
                log.warning("abandon_failed", conversation_id=conversation_id, error=type(exc).__name__)
        return abandoned

    async def build_bot(self) -> None:
        """(Re)build the configured responder over the published articles. Training, when the model is not
        cached yet, runs in a thread so the server keeps answering health checks meanwhile."""
        async with self.uow(write=False) as uow:
            articles = await kb_service.list_published_articles(uow)
            champion = await learning_service.champion_path(uow)
        knowledge = HybridRetriever(None)
        await asyncio.to_thread(knowledge.rebuild, articles)
        self.knowledge = knowledge
        model_file = None
        if champion is not None and champion.backend == self.settings.bot_intent_backend:
            if await asyncio.to_thread(champion.path.exists):
                model_file = champion.path
            else:
                log.warning("champion_model_missing", version=champion.version, path=str(champion.path))
        self.responder = await asyncio.to_thread(
            build_responder,
            self.settings,
            crm=self.crm,
            actions=self.crm,
            articles=articles,
            today=lambda: self.clock.now().date(),
            model_file=model_file,
        )
        self.model_version = champion.version if model_file is not None and champion is not None else None

    async def follow_champion(self) -> bool:
        """The learning loop promoted or rolled back a model (here or in another process): serve it."""
        async with self.uow(write=False) as uow:
            champion = await learning_service.champion_path(uow)
        wanted = champion.version if champion is not None else None
        if wanted == self.model_version:
            return False
        await self.build_bot()
        log.info("intent_model_switched", version=self.model_version)
        return True

    async def knowledge_changed(self) -> None:
        """After a publish: rebuild here now, and tell the other instances (the ``knowledge`` channel)."""
        await self.refresh_knowledge()
        await self.broker.publish(KNOWLEDGE_CHANNEL, {"kind": "published", "origin": self.instance_id})

    async def refresh_knowledge(self) -> None:
        """Published articles changed: rebuild the bot's and agent assist's article indexes (BM25 and, for
        English, the encoder's vectors) in a thread, then swap them in. One rebuild at a time, each reading
        the articles when it starts, so the last one to finish has the latest."""
        async with self._knowledge_lock:
            async with self.uow(write=False) as uow:
                articles = await kb_service.list_published_articles(uow)
            knowledge = HybridRetriever(None)
            await asyncio.to_thread(knowledge.rebuild, articles)
            self.knowledge = knowledge
            refresh = getattr(self.responder, "refresh_articles", None)
            if refresh is not None:
                await asyncio.to_thread(refresh, articles)

    async def _listen(
        self,
        channel: str,
        handle: Callable[[dict[str, Any]], Awaitable[None]],
        *,
        resync: bool = False,
    ) -> None:
        """Messages other instances publish on ``channel`` (with Redis; in-process, only this one's). After
        the broker lost its connection (a ``resync`` signal), ``handle`` runs too when ``resync`` is set:
        something may have been published meanwhile."""
        subscription = await self.broker.subscribe(channel)
        try:
            async for message in subscription:
                if message.get("kind") == RESYNC_KIND and not resync:
                    continue
                if message.get("origin") != self.instance_id:
                    try:
                        await handle(message)
                    except Exception as exc:  # the next message tries again
                        log.warning("broker_message_failed", channel=channel, error=type(exc).__name__)
        finally:
            await subscription.close()

    async def _knowledge_from(self, message: dict[str, Any]) -> None:
        await self.refresh_knowledge()

    async def _learning_status_from(self, message: dict[str, Any]) -> None:
        """Another instance runs the retraining (the job queue gave it the job): show its progress here."""
        self.learning_status = RunStatus.model_validate(message["status"])

    async def _share_learning_status(self, status: RunStatus) -> None:
        await self.broker.publish(
            LEARNING_CHANNEL, {"origin": self.instance_id, "status": status.model_dump()}
        )

    async def stop(self) -> None:
        for task in (self._ticker, *self._listeners, self._retraining):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._ticker = self._retraining = None
        self._listeners = []
        close = getattr(self.responder, "aclose", None)
        if close is not None:
            await close()  # an LLM responder's HTTP connections
        await self.relay.stop()
        await self.queue.stop()
        await self.connections.close()
        await self.broker.close()
        try:
            await asyncio.wait_for(self.database.dispose(), timeout=10)
        except TimeoutError:
            log.warning("database_dispose_timed_out")
        self.started = False


def build_container(
    settings: Settings, *, clock: Clock | None = None, broker: Broker | None = None
) -> Container:
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    # Policy files first: a typo stops the start with the file, line and allowed values.
    escalation_policy = load_policy(settings.escalation_rules)
    routing = load_routing_config(settings.routing_config)
    analytics_service.check_settings(settings)
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = Database(settings.resolved_database_url, pool_size=settings.database_pool_size)
    clock = clock or SystemClock()
    bus = InProcessEventBus()
    broker = broker or _build_broker(settings)
    instance_id = uuid.uuid4().hex
    registry = JobRegistry()
    queue = _build_queue(settings, registry)
    relay = OutboxRelay(database, queue, clock)
    queue.on_success = relay.acknowledge
    queue.on_dead = relay.bury
    uow = UnitOfWorkFactory(database=database, clock=clock, bus=bus, broker=broker, relay=relay)

    @asynccontextmanager
    async def store_writer() -> AsyncIterator[Any]:
        async with uow() as unit:
            yield unit.session

    crm = DemoStoreConnector(database.read_sessions, clock=clock, writer=store_writer)
    responder = StarterResponder(crm)  # replaced by the configured responder in Container.start
    container = Container(
        settings=settings,
        database=database,
        clock=clock,
        bus=bus,
        broker=broker,
        jobs=registry,
        queue=queue,
        relay=relay,
        uow=uow,
        crm=crm,
        responder=responder,
        limits=MessageLimits(max_chars=settings.max_message_chars),
        escalation_policy=escalation_policy,
        routing=routing,
        mail=_build_mail(settings),
        connections=_build_connections(settings, instance_id),
        instance_id=instance_id,
    )
    _register_jobs(container)
    return container


def _build_broker(settings: Settings) -> Broker:
    if settings.redis_url:
        from tandem.core.redis_broker import RedisBroker  # redis is only imported when configured

        return RedisBroker(settings.redis_url)
    return InMemoryBroker()


def _build_connections(settings: Settings, instance_id: str) -> ConnectionRegistry:
    """Who has a live console open: across instances in Redis when configured, else in this process."""
    if settings.redis_url:
        from tandem.core.redis_connections import RedisConnections  # redis only when configured

        return RedisConnections(settings.redis_url, instance=instance_id)
    return InMemoryConnections()


def _build_mail(settings: Settings) -> MailSender:
    """An SMTP relay when one is configured, else the outbox directory (nothing leaves the machine)."""
    relay = settings.smtp_host_port
    if relay is None:
        return OutboxDirMailSender(settings.mail_outbox_dir, from_address=settings.mail_from)
    host, port = relay
    return SmtpMailSender(
        host=host,
        port=port,
        from_address=settings.mail_from,
        security=settings.smtp_security,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
    )


def _register_jobs(container: Container) -> None:
    async def take_bot_turn(payload: dict[str, Any]) -> None:
        await bot_service.take_turn(
            container.uow,
            responder=container.responder,
            conversation_id=int(payload["conversation_id"]),
            seq=int(payload["seq"]),
            crm=container.crm,
        )

    async def prepare_handoff(payload: dict[str, Any]) -> None:
        async with container.uow() as uow:
            await routing_service.prepare_handoff(
                uow,
                config=container.routing,
                crm=container.crm,
                conversation_id=int(payload["conversation_id"]),
                seq=int(payload["seq"]),
            )
        await container.route()

    async def dispatch(payload: dict[str, Any]) -> None:
        await container.route()

    async def retrain(payload: dict[str, Any]) -> None:
        """Starts the retraining beside the queue: training takes minutes, far beyond a job's time limit,
        and must not hold a worker that bot turns need. One at a time."""
        container.start_retraining(str(payload.get("trigger") or "manual"))

    async def refresh_analytics(payload: dict[str, Any]) -> None:
        """A bounded share of the backlog per run (the cursor resumes it), so a long backlog never holds a
        worker past the job's time limit."""
        await analytics_service.refresh(container.uow, max_batches=ANALYTICS_BATCHES_PER_JOB)

    async def send_follow_up_mail(payload: dict[str, Any]) -> None:
        await conversation_service.send_follow_up_mail(
            container.uow,
            mail=container.mail,
            conversation_id=int(payload["conversation_id"]),
            seq=int(payload["seq"]),
        )

    container.jobs.register(BOT_TURN_JOB, take_bot_turn)
    container.jobs.register(FOLLOW_UP_MAIL_JOB, send_follow_up_mail)
    container.jobs.register(analytics_service.REFRESH_JOB, refresh_analytics)
    container.jobs.register(learning_service.RETRAIN_JOB, retrain)
    container.jobs.register(HANDOFF_JOB, prepare_handoff)
    container.jobs.register(DISPATCH_JOB, dispatch)


async def seed_demo(container: Container) -> None:
    """Demo store data and staff accounts, once. Safe to call on every start."""
    async with container.uow() as uow:
        report = await seed_demo_store(uow.session, today=container.clock.now().date())
        if await accounts_service.count_staff(uow) == 0:
            for email, name, role, languages in DEMO_STAFF:
                await accounts_service.create_staff_unchecked(
                    uow,
                    data=StaffCreate(
                        email=email, name=name, role=role, password=DEMO_PASSWORD, languages=languages
                    ),
                )
        if await kb_service.count_articles(uow) == 0:
            for article in load_articles():
                await kb_service.upsert_article(uow, data=ArticleIn.model_validate(article))
    if not report.skipped:
        log.info("demo_seeded", accounts=report.accounts, orders=report.orders)


def _build_queue(settings: Settings, registry: JobRegistry) -> JobQueue:
    """SAQ in Redis when Redis is configured (every instance works one queue), else in-process."""
    if settings.job_queue == "saq" or (settings.job_queue == "auto" and settings.redis_url):
        if not settings.redis_url:
            raise ConfigurationError("TANDEM_JOB_QUEUE=saq needs TANDEM_REDIS_URL.")
        from tandem.core.saq_queue import SaqJobQueue

        return SaqJobQueue(
            registry, settings.redis_url, workers=settings.job_workers, name=settings.job_queue_name
        )
    return InProcessJobQueue(registry, workers=settings.job_workers)

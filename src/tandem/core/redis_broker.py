"""Redis pub/sub broker: signals from one instance reach sockets held by every other instance.

One pub/sub connection per process; local subscribers share it through ``LocalFanout``. If Redis goes
away, publishing fails softly (the message is already committed and local sockets still hear it) and the
reader reconnects with a short backoff (50 ms doubling to 250 ms). As soon as it is subscribed again to
every channel that has local listeners, it delivers one ``resync`` signal to each of them: whatever was
published while it was gone is lost, so each socket reads the gap from the database by ``seq``.

The reader and the publisher never sleep inside redis-py's own retry (exponential backoff up to 10 s, which
kept sockets deaf for many seconds after Redis was back): the reader does not retry at all and owns its
reconnection, the publisher retries once at once (a pooled connection that died with the old server).
``ping`` is true only while Redis answers *and* the reader is subscribed, so ``/readyz`` says "degraded"
from the moment the subscription is lost until it is restored.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable
from typing import Any, cast

import structlog
from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from tandem.core.broker import RESYNC_KIND, LocalFanout, Subscription

log = structlog.get_logger(__name__)

RECONNECT_FIRST = 0.05  # seconds before the first reconnection attempt; doubles up to RECONNECT_LONGEST
RECONNECT_LONGEST = 0.25
HEALTH_CHECK_SECONDS = 2  # an idle subscriber connection is pinged this often, so a dead one is noticed


class RedisBroker:
    def __init__(self, url: str, *, prefix: str = "tandem:") -> None:
        self.prefix = prefix
        self.redis = aioredis.from_url(
            url, socket_connect_timeout=2, socket_timeout=5, retry=Retry(NoBackoff(), 1)
        )
        # The subscriber connection: errors surface at once, and the reader decides when to try again.
        self._subscriber = aioredis.from_url(
            url,
            socket_connect_timeout=2,
            socket_timeout=5,
            retry=Retry(NoBackoff(), 0),
            health_check_interval=HEALTH_CHECK_SECONDS,
        )
        self.fanout = LocalFanout()
        self._pubsub: Any = None  # None: not subscribed (never yet, or the connection was lost)
        self._lost_at: float | None = None  # monotonic time the subscription was lost; None while it holds
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.resubscriptions = 0  # how often the subscription was restored after a loss (tests, metrics)

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        try:
            await self.redis.publish(self.prefix + channel, json.dumps(message, separators=(",", ":")))
        except (RedisError, OSError):
            log.warning("redis_publish_failed", channel=channel.split(":")[0])
            self.fanout.deliver(channel, message)  # local sockets still hear it

    async def subscribe(self, channel: str) -> Subscription:
        async with self._lock:
            first = channel not in self.fanout.subscribers
            subscription = self.fanout.add(channel)
            if self._pubsub is None:
                if self._lost_at is None:  # the first subscription of this process: connect now
                    await self._connect_locked()
            elif first:
                try:
                    await self._pubsub.subscribe(self.prefix + channel)
                except (RedisError, OSError):
                    pass  # the reader notices the lost connection and subscribes every channel again
            self._ensure_reader()
        return _RedisSubscription(self, subscription)

    async def listeners(self, channels: list[str]) -> dict[str, int] | None:
        """PUBSUB NUMSUB: each process subscribes a channel once, while it has local subscribers."""
        if not channels:
            return {}
        if self._lost_at is not None:
            return None  # our own subscriptions are not in Redis right now: the count would lie
        try:
            counts = await self.redis.pubsub_numsub(*[self.prefix + channel for channel in channels])
        except (RedisError, OSError):
            return None  # unknown: callers must not act as if nobody listened
        found = {
            (name.decode() if isinstance(name, bytes) else str(name)): int(count) for name, count in counts
        }
        return {channel: found.get(self.prefix + channel, 0) for channel in channels}

    async def _release(self, subscription: Any) -> None:
        async with self._lock:
            await self.fanout.remove(subscription)
            if subscription.channel not in self.fanout.subscribers and self._pubsub is not None:
                with contextlib.suppress(RedisError, OSError):
                    await self._pubsub.unsubscribe(self.prefix + subscription.channel)

    def _ensure_reader(self) -> None:
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read(), name="tandem-redis-reader")

    async def _connect_locked(self) -> bool:
        """A new pub/sub connection subscribed to every channel with local listeners (caller holds the
        lock). One connection, taken before the first SUBSCRIBE: two racing on an unconnected pub/sub
        would each take one, and the one overwritten would stay subscribed, unread."""
        pubsub = self._subscriber.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.connect()  # type: ignore[no-untyped-call]
            channels = [self.prefix + channel for channel in self.fanout.subscribers]
            if channels:
                await pubsub.subscribe(*channels)
        except (RedisError, OSError):
            with contextlib.suppress(Exception):
                await pubsub.aclose()  # type: ignore[no-untyped-call]
            self._lost_at = self._lost_at if self._lost_at is not None else time.monotonic()
            return False
        self._pubsub = pubsub
        return True

    async def _drop_locked(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if self._lost_at is None:
            self._lost_at = time.monotonic()
            log.warning("redis_subscription_lost", channels=self.fanout.channel_count())
        if pubsub is not None:
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    async def _reconnect(self) -> None:
        """Until subscribed again: short backoff, then every channel at once, then one ``resync`` to every
        local subscriber (signals published meanwhile are lost; the database has them)."""
        delay = RECONNECT_FIRST
        while True:
            async with self._lock:
                if self._pubsub is not None or await self._connect_locked():
                    lost_at, self._lost_at = self._lost_at, None
                    if lost_at is not None:
                        self.resubscriptions += 1
                        log.info(
                            "redis_subscription_restored",
                            channels=self.fanout.channel_count(),
                            down_seconds=round(time.monotonic() - lost_at, 2),
                        )
                        self.fanout.deliver_all({"kind": RESYNC_KIND})
                    return
            await asyncio.sleep(delay)
            delay = min(RECONNECT_LONGEST, delay * 2)

    async def _read(self) -> None:
        while True:
            if self._pubsub is None:
                await self._reconnect()
            if not self.fanout.subscribers:
                await asyncio.sleep(0.05)
                continue
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError, AttributeError):  # AttributeError: a pub/sub closed under us
                async with self._lock:
                    await self._drop_locked()
                continue
            if message is None or message.get("type") != "message":
                continue
            channel = message["channel"].decode().removeprefix(self.prefix)
            try:
                signal = json.loads(message["data"])
            except ValueError:
                log.warning("redis_signal_unreadable", channel=channel.split(":")[0])
                continue
            self.fanout.deliver(channel, signal)

    @property
    def subscribed(self) -> bool:
        """The reader holds its subscriptions (or has none to hold yet)."""
        return self._lost_at is None

    async def ping(self) -> bool:
        """Redis answers and this process's subscriptions are in place."""
        if not self.subscribed:
            return False
        try:
            return bool(
                await cast("Awaitable[bool]", self.redis.ping())
            )  # redis-py types sync and async alike
        except (RedisError, OSError):
            return False

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
        await self._subscriber.aclose()
        await self.redis.aclose()


class _RedisSubscription:
    def __init__(self, broker: RedisBroker, inner: Any) -> None:
        self.broker = broker
        self.inner = inner

    def __aiter__(self) -> Any:
        return self.inner

    async def close(self) -> None:
        await self.broker._release(self.inner)
        await self.inner.close()

"""Redis pub/sub broker: signals from one instance reach sockets held by every other instance.

One pub/sub connection per process; local subscribers share it through ``LocalFanout``. If Redis goes
away, publishing fails softly (the message is already committed) and sockets fall back to their periodic
database catch-up until the reader reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable
from typing import Any, cast

import structlog
from redis import asyncio as aioredis
from redis.exceptions import RedisError

from tandem.core.broker import LocalFanout, Subscription

log = structlog.get_logger(__name__)


class RedisBroker:
    def __init__(self, url: str, *, prefix: str = "tandem:") -> None:
        self.prefix = prefix
        self.redis = aioredis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        self.fanout = LocalFanout()
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        try:
            await self.redis.publish(self.prefix + channel, json.dumps(message, separators=(",", ":")))
        except (RedisError, OSError):
            log.warning("redis_publish_failed", channel=channel.split(":")[0])
            self.fanout.deliver(channel, message)  # local sockets still hear it

    async def subscribe(self, channel: str) -> Subscription:
        async with self._lock:
            await self._ensure_reader()
            first = channel not in self.fanout.subscribers
            subscription = self.fanout.add(channel)
            if first:
                with contextlib.suppress(RedisError, OSError):
                    await self._pubsub.subscribe(self.prefix + channel)
        return _RedisSubscription(self, subscription)

    async def listeners(self, channels: list[str]) -> dict[str, int] | None:
        """PUBSUB NUMSUB: each process subscribes a channel once, while it has local subscribers."""
        if not channels:
            return {}
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

    async def _ensure_reader(self) -> None:
        if self._reader is None or self._reader.done():
            self._pubsub = await self._connected_pubsub()
            self._reader = asyncio.create_task(self._read(), name="tandem-redis-reader")

    async def _connected_pubsub(self) -> Any:
        """A pub/sub object with its connection taken now: two first SUBSCRIBEs racing on an unconnected
        one would each take a connection, and the one overwritten would stay subscribed, unread."""
        pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        with contextlib.suppress(RedisError, OSError):
            await pubsub.connect()  # type: ignore[no-untyped-call]
        return pubsub

    async def _read(self) -> None:
        while True:
            try:
                if not self.fanout.subscribers:
                    await asyncio.sleep(0.05)
                    continue
                if not self._pubsub.subscribed:
                    await self._pubsub.subscribe(*[self.prefix + c for c in self.fanout.subscribers])
                message = await self._pubsub.get_message(timeout=1.0)
                if message is None or message.get("type") != "message":
                    continue
                channel = message["channel"].decode().removeprefix(self.prefix)
                self.fanout.deliver(channel, json.loads(message["data"]))
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError, ValueError):
                log.warning("redis_reader_reconnecting")
                await asyncio.sleep(1.0)
                with contextlib.suppress(Exception):
                    await self._pubsub.reset()
                self._pubsub = await self._connected_pubsub()

    async def ping(self) -> bool:
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

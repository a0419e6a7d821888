"""The live-connection registry across instances, in Redis.

Each instance keeps its own open connections in memory and mirrors them into one hash
(``<prefix>live:<instance>``: key → count) with a TTL, listed in the set ``<prefix>live:instances``. The
hash is rewritten whenever a connection opens or closes and by a heartbeat every ``ttl / 3``; an instance
that dies stops renewing it, so its connections stop counting after ``ttl`` seconds at most. ``counts`` adds
this instance's own connections from memory (never stale, even right after Redis restarted empty) to the
other instances' hashes; it is None while Redis cannot be read, so callers never mistake "unknown" for
"nobody".
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from typing import Any

import structlog
from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from tandem.core.connections import LiveConnection

log = structlog.get_logger(__name__)
DEFAULT_TTL_SECONDS = 15.0


class _Handle:
    def __init__(self, registry: RedisConnections, key: str) -> None:
        self.registry = registry
        self.key = key
        self.closed = False

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            await self.registry.release(self.key)


class RedisConnections:
    def __init__(
        self, url: str, *, instance: str, prefix: str = "tandem:", ttl_seconds: float = DEFAULT_TTL_SECONDS
    ) -> None:
        self.redis = aioredis.from_url(
            url, socket_connect_timeout=1, socket_timeout=2, retry=Retry(NoBackoff(), 1)
        )
        self.instance = instance
        self.prefix = prefix
        self.ttl_seconds = ttl_seconds
        self.local: Counter[str] = Counter()
        self._write_lock = asyncio.Lock()
        self._heartbeat: asyncio.Task[None] | None = None

    @property
    def _instances(self) -> str:
        return f"{self.prefix}live:instances"

    def _hash(self, instance: str) -> str:
        return f"{self.prefix}live:{instance}"

    async def open(self, key: str) -> LiveConnection:
        self.local[key] += 1
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.create_task(self._beat(), name="tandem-live-connections")
        await self._write()
        return _Handle(self, key)

    async def release(self, key: str) -> None:
        self.local[key] -= 1
        if self.local[key] <= 0:
            del self.local[key]
        await self._write()

    async def _write(self) -> bool:
        """Mirror this instance's connections into Redis (a whole snapshot, one at a time, so an older
        snapshot never overwrites a newer one)."""
        async with self._write_lock:
            snapshot = {key: count for key, count in self.local.items() if count > 0}
            try:
                async with self.redis.pipeline(transaction=True) as pipe:
                    pipe.delete(self._hash(self.instance))
                    if snapshot:
                        pipe.hset(self._hash(self.instance), mapping=snapshot)
                        pipe.pexpire(self._hash(self.instance), int(self.ttl_seconds * 1000))
                        pipe.sadd(self._instances, self.instance)
                    else:
                        pipe.srem(self._instances, self.instance)
                    await pipe.execute()
            except (RedisError, OSError):
                return False  # the heartbeat writes it again
            return True

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.ttl_seconds / 3)
            if not await self._write():
                log.warning("live_connections_heartbeat_failed")

    async def counts(self, keys: list[str]) -> dict[str, int] | None:
        totals = {key: self.local.get(key, 0) for key in keys}
        if not keys:
            return totals
        try:
            members = await self.redis.smembers(self._instances)  # type: ignore[misc]
            others = sorted(
                name
                for name in ((m.decode() if isinstance(m, bytes) else str(m)) for m in members)
                if name != self.instance
            )
            if not others:
                return totals
            async with self.redis.pipeline(transaction=False) as pipe:
                for name in others:
                    pipe.exists(self._hash(name))
                    pipe.hmget(self._hash(name), keys)
                replies: list[Any] = await pipe.execute()
            expired = []
            for index, name in enumerate(others):
                exists, values = replies[2 * index], replies[2 * index + 1]
                if not exists:
                    expired.append(name)  # its heartbeat stopped: the instance is gone
                    continue
                for key, value in zip(keys, values, strict=True):
                    totals[key] += int(value or 0)
            if expired:
                await self.redis.srem(self._instances, *expired)  # type: ignore[misc]
        except (RedisError, OSError, ValueError):
            return None
        return totals

    async def close(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            await asyncio.gather(self._heartbeat, return_exceptions=True)
        self.local.clear()
        with contextlib.suppress(RedisError, OSError):
            await self._write()
        await self.redis.aclose()

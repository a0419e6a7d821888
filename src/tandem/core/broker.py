"""Realtime signalling. The database is the source of truth; the broker only says "something new
happened on channel X" so that socket gateways fetch or forward it. Losing a signal costs latency, never
data: clients catch up from the database by sequence number.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any, Protocol

RESYNC_KIND = "resync"
"""The signal a broker delivers to every local subscriber after it lost its connection and subscribed again:
signals published meanwhile are gone, so whoever holds a cursor reads the gap from the database."""


class Subscription(Protocol):
    def __aiter__(self) -> AsyncIterator[dict[str, Any]]: ...

    async def close(self) -> None: ...


class Broker(Protocol):
    async def publish(self, channel: str, message: dict[str, Any]) -> None: ...

    async def subscribe(self, channel: str) -> Subscription: ...

    async def ping(self) -> bool: ...

    async def listeners(self, channels: list[str]) -> dict[str, int] | None:
        """How many subscribers (processes, for Redis) listen on each channel; None when it cannot tell."""
        ...

    async def close(self) -> None: ...


class _QueueSubscription:
    """One local subscriber. A slow consumer drops signals instead of growing without bound; it will
    notice the sequence gap and resync from the database."""

    def __init__(self, owner: LocalFanout, channel: str, maxsize: int) -> None:
        self.owner = owner
        self.channel = channel
        self.queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=maxsize)
        self.dropped = 0

    def offer(self, message: dict[str, Any]) -> None:
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.dropped += 1

    async def __anext__(self) -> dict[str, Any]:
        item = await self.queue.get()
        if item is None:
            raise StopAsyncIteration
        return item

    def __aiter__(self) -> _QueueSubscription:
        return self

    async def close(self) -> None:
        await self.owner.remove(self)
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(None)


class LocalFanout:
    """Channel → local subscribers; shared by the in-memory and the Redis broker."""

    def __init__(self, maxsize: int = 1000) -> None:
        self.maxsize = maxsize
        self.subscribers: dict[str, set[_QueueSubscription]] = defaultdict(set)

    def add(self, channel: str) -> _QueueSubscription:
        subscription = _QueueSubscription(self, channel, self.maxsize)
        self.subscribers[channel].add(subscription)
        return subscription

    async def remove(self, subscription: _QueueSubscription) -> None:
        members = self.subscribers.get(subscription.channel)
        if members is not None:
            members.discard(subscription)
            if not members:
                del self.subscribers[subscription.channel]

    def deliver(self, channel: str, message: dict[str, Any]) -> None:
        for subscription in tuple(self.subscribers.get(channel, ())):
            subscription.offer(message)

    def deliver_all(self, message: dict[str, Any]) -> None:
        for members in tuple(self.subscribers.values()):
            for subscription in tuple(members):
                subscription.offer(message)

    def channel_count(self) -> int:
        return len(self.subscribers)


class InMemoryBroker:
    """Single-process broker (the embedded default)."""

    def __init__(self) -> None:
        self.fanout = LocalFanout()

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        self.fanout.deliver(channel, message)

    async def subscribe(self, channel: str) -> Subscription:
        return self.fanout.add(channel)

    async def listeners(self, channels: list[str]) -> dict[str, int] | None:
        return {channel: len(self.fanout.subscribers.get(channel, ())) for channel in channels}

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        for members in list(self.fanout.subscribers.values()):
            for subscription in list(members):
                await subscription.close()

"""Who holds a live connection right now: a registry of open connections by key (routing keys them by agent).

A connection is opened when a socket is accepted and closed when it ends. ``counts`` answers for every
instance: in-process without Redis, through Redis with it (``core.redis_connections``), where each
instance's connections are kept under a key with a short TTL that its heartbeat renews, so an instance that
dies stops counting within the TTL instead of leaving its people online forever.
"""

from __future__ import annotations

from collections import Counter
from typing import Protocol


class LiveConnection(Protocol):
    async def close(self) -> None: ...


class ConnectionRegistry(Protocol):
    async def open(self, key: str) -> LiveConnection:
        """Count one more live connection under ``key`` until the returned handle is closed."""
        ...

    async def counts(self, keys: list[str]) -> dict[str, int] | None:
        """Open connections per key across every instance; None when it cannot tell (Redis down)."""
        ...

    async def close(self) -> None: ...


class _Handle:
    def __init__(self, registry: InMemoryConnections, key: str) -> None:
        self.registry = registry
        self.key = key
        self.closed = False

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.registry.release(self.key)


class InMemoryConnections:
    """One process (the embedded default)."""

    def __init__(self) -> None:
        self.open_counts: Counter[str] = Counter()

    async def open(self, key: str) -> LiveConnection:
        self.open_counts[key] += 1
        return _Handle(self, key)

    def release(self, key: str) -> None:
        self.open_counts[key] -= 1
        if self.open_counts[key] <= 0:
            del self.open_counts[key]

    async def counts(self, keys: list[str]) -> dict[str, int] | None:
        return {key: self.open_counts.get(key, 0) for key in keys}

    async def close(self) -> None:
        self.open_counts.clear()

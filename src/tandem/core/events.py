"""Domain events and the in-process event bus.

Events are emitted into a unit of work and delivered only after its commit, so a subscriber never sees
something that was rolled back. Lower layers learn about higher ones only through subscriptions wired in
``tandem.bootstrap``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import structlog

log = structlog.get_logger(__name__)


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Base for past-tense facts (``ConversationEscalated``)."""


E = TypeVar("E", bound=DomainEvent)
Handler = Callable[[Any], Awaitable[None]]


class EventBus(Protocol):
    def subscribe(self, event_type: type[E], handler: Callable[[E], Awaitable[None]]) -> None: ...

    async def publish(self, event: DomainEvent) -> None: ...


class InProcessEventBus:
    """Delivers to every handler subscribed to the event's class or a base class.

    A failing handler is logged and does not stop the others: the change is already committed.
    """

    def __init__(self) -> None:
        self._handlers: dict[type[DomainEvent], list[Handler]] = defaultdict(list)

    def subscribe(self, event_type: type[E], handler: Callable[[E], Awaitable[None]]) -> None:
        self._handlers[event_type].append(handler)

    async def publish(self, event: DomainEvent) -> None:
        for event_type in type(event).__mro__:
            for handler in self._handlers.get(event_type, ()):
                try:
                    await handler(event)
                except Exception:
                    log.exception("event_handler_failed", event=type(event).__name__)

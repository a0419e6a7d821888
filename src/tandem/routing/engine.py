"""Who takes which waiting conversation: a pure, in-memory assignment engine.

Rules, in the order they apply:
- eligibility: the agent is online and reachable (a console tab is open), below capacity, of the
  conversation's tier or higher, speaks its language (when it needs one) and has its skill (when it needs
  one), and has not let this offer lapse;
- order of the waiting: effective priority (base + one step per ``aging_seconds`` waited) high to low,
  then first come first served;
- fairness among eligible agents: the least loaded first, then the one idle longest.

A conversation with no eligible agent is skipped, not allowed to block the ones behind it (head-of-line
blocking is the classic queue failure). Because a greedy pass only ever uses up room, a skipped
conversation still has no eligible agent with room when the pass ends: nobody waits while a matching
agent has room.

Speed: agents are grouped by requirement key (tier, skill, language); each key keeps a heap of
(load, idle since, id) with lazy invalidation, so one decision costs O(log agents), not a scan.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field

ANY = ""  # a requirement that anyone meets


@dataclass
class AgentSlot:
    staff_id: int
    tier: int = 1
    skills: frozenset[str] = frozenset()  # empty: a generalist, takes any skill
    languages: frozenset[str] = frozenset()  # empty: takes any language
    capacity: int = 3
    load: int = 0
    idle_since: float = 0.0  # when the agent last got a conversation (or came online)
    online: bool = True
    # False while every console tab of the agent is closed but the presence grace runs (a reload): they
    # still count as online for the expected wait, but nobody offers them what they cannot see.
    reachable: bool = True

    @property
    def has_room(self) -> bool:
        return self.online and self.reachable and self.load < self.capacity

    def can_take(self, tier: int, skill: str, language: str) -> bool:
        return (
            self.tier >= tier
            and (skill == ANY or not self.skills or skill in self.skills)
            and (language == ANY or not self.languages or language in self.languages)
        )


@dataclass(frozen=True)
class WaitingItem:
    conversation_id: int
    tier: int = 1
    skill: str = ANY
    language: str = ANY
    priority: int = 0
    enqueued_at: float = 0.0
    excluded: frozenset[int] = frozenset()  # agents who let an offer of it lapse or declined it

    def key(self) -> tuple[int, str, str]:
        return (self.tier, self.skill, self.language)


@dataclass(frozen=True)
class Assignment:
    conversation_id: int
    staff_id: int


@dataclass(frozen=True)
class RoutingPolicy:
    aging_seconds: float = 120.0  # +1 priority per this long in the queue
    overflow_seconds: float | None = 300.0  # after this, skill and language no longer restrict

    def effective(self, item: WaitingItem, now: float) -> tuple[int, str, str, int]:
        """(tier, skill, language, priority) once waiting time is taken into account."""
        waited = max(0.0, now - item.enqueued_at)
        priority = item.priority + (int(waited // self.aging_seconds) if self.aging_seconds > 0 else 0)
        if self.overflow_seconds is not None and waited >= self.overflow_seconds:
            return item.tier, ANY, ANY, priority
        return item.tier, item.skill, item.language, priority


@dataclass
class Router:
    """Assigns waiting conversations to agents. Build it, then call ``plan`` (or ``decide`` one by one)."""

    policy: RoutingPolicy = field(default_factory=RoutingPolicy)
    agents: dict[int, AgentSlot] = field(default_factory=dict)
    _heaps: dict[tuple[int, str, str], list[tuple[int, float, int, int]]] = field(default_factory=dict)
    _versions: dict[int, int] = field(default_factory=dict)

    def add_agents(self, agents: Iterable[AgentSlot]) -> None:
        for agent in agents:
            self.agents[agent.staff_id] = agent
            self._versions[agent.staff_id] = 0
        self._heaps.clear()

    def order(self, waiting: Iterable[WaitingItem], now: float) -> list[WaitingItem]:
        """Highest effective priority first, then first come first served."""
        return sorted(
            waiting,
            key=lambda item: (-self.policy.effective(item, now)[3], item.enqueued_at, item.conversation_id),
        )

    def plan(self, waiting: Iterable[WaitingItem], now: float) -> list[Assignment]:
        assignments = []
        for item in self.order(waiting, now):
            staff_id = self.decide(item, now)
            if staff_id is not None:
                assignments.append(Assignment(item.conversation_id, staff_id))
        return assignments

    def decide(self, item: WaitingItem, now: float) -> int | None:
        """The agent who takes ``item`` (and their load goes up by one), or None when nobody can."""
        tier, skill, language, _ = self.policy.effective(item, now)
        heap = self._heap((tier, skill, language))
        skipped: list[tuple[int, float, int, int]] = []
        chosen: AgentSlot | None = None
        while heap:
            entry = heapq.heappop(heap)
            _, _, staff_id, version = entry
            agent = self.agents[staff_id]
            if version != self._versions[staff_id] or not agent.has_room:
                continue  # stale: the agent's load changed since this entry was pushed
            if staff_id in item.excluded:
                skipped.append(entry)
                continue
            chosen = agent
            break
        for entry in skipped:
            heapq.heappush(heap, entry)
        if chosen is None:
            return None
        self.take(chosen.staff_id, now)
        return chosen.staff_id

    def take(self, staff_id: int, now: float) -> None:
        agent = self.agents[staff_id]
        agent.load += 1
        agent.idle_since = now
        self._touched(agent)

    def release(self, staff_id: int) -> None:
        """A conversation of this agent ended: one more slot."""
        agent = self.agents[staff_id]
        agent.load = max(0, agent.load - 1)
        self._touched(agent)

    def _touched(self, agent: AgentSlot) -> None:
        self._versions[agent.staff_id] += 1
        if not agent.has_room:
            return
        entry = (agent.load, agent.idle_since, agent.staff_id, self._versions[agent.staff_id])
        for key, heap in self._heaps.items():
            if agent.can_take(*key):
                heapq.heappush(heap, entry)

    def _heap(self, key: tuple[int, str, str]) -> list[tuple[int, float, int, int]]:
        heap = self._heaps.get(key)
        if heap is None:
            heap = [
                (agent.load, agent.idle_since, agent.staff_id, self._versions[agent.staff_id])
                for agent in self.agents.values()
                if agent.has_room and agent.can_take(*key)
            ]
            heapq.heapify(heap)
            self._heaps[key] = heap
        return heap


def eligible(agent: AgentSlot, item: WaitingItem, policy: RoutingPolicy, now: float) -> bool:
    """The definition the engine implements, spelled out for tests and for explaining a decision."""
    tier, skill, language, _ = policy.effective(item, now)
    return agent.has_room and agent.staff_id not in item.excluded and agent.can_take(tier, skill, language)


def expected_wait_seconds(
    position: int, agents: list[AgentSlot], *, handle_seconds: float, pickup_seconds: float = 30.0
) -> float | None:
    """How long the conversation at ``position`` (1 = next) will probably wait, given the agents who could
    take it: None when nobody could. Free slots take the first conversations at once (after the time to
    pick up an offer); after that a slot frees every ``handle_seconds / slots`` seconds on average."""
    online = [agent for agent in agents if agent.online]
    if not online:
        return None
    free = sum(max(0, agent.capacity - agent.load) for agent in online)
    slots = sum(agent.capacity for agent in online)
    ahead = max(0, position - free)
    if ahead == 0:
        return pickup_seconds
    return round(handle_seconds * ahead / max(1, slots) + pickup_seconds, 1)

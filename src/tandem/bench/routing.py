"""``tandem bench routing``: assignment decisions per second of the routing engine.

A realistic floor: 1,000 agents (tiers 1-3, a few skills each, one to three languages, capacity 2-4) and
10,000 waiting conversations with mixed tiers, skills, languages and priorities. Conversations end as
they are assigned (one finishing chat frees a slot for every decision once the floor is full), so every
waiting conversation is eventually decided. A *decision* is one waiting conversation placed with an
agent. Each decision is timed on its own; the figures are medians over rounds. A naive router (scan every
agent, pick the best) runs on the same data in the same process as the baseline.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial

from tandem.bench.stats import compute_median, compute_percentile, compute_ratio
from tandem.routing.engine import ANY, AgentSlot, Router, RoutingPolicy, WaitingItem, eligible

SKILLS = ("billing", "orders", "returns", "account", "membership")
LANGUAGES = ("en", "es", "fr", "de")


@dataclass(frozen=True)
class RoutingBenchResult:
    agents: int
    waiting: int
    rounds: int
    decisions: int
    decisions_per_s: float
    p50_ms: float
    p99_ms: float
    baseline_decisions_per_s: float
    speedup_vs_naive: float
    target_decisions_per_s: int = 5000

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def build_floor(agents: int, waiting: int, seed: int) -> tuple[list[AgentSlot], list[WaitingItem]]:
    rng = random.Random(seed)
    slots = []
    for staff_id in range(1, agents + 1):
        tier = rng.choices((1, 2, 3), weights=(80, 17, 3))[0]
        slots.append(
            AgentSlot(
                staff_id=staff_id,
                tier=tier,
                skills=frozenset(rng.sample(SKILLS, rng.randint(0, 3))),
                languages=frozenset({"en", *rng.sample(LANGUAGES, rng.randint(0, 2))}),
                capacity=rng.randint(2, 4),
                idle_since=rng.random() * 1000,
            )
        )
    items = [
        WaitingItem(
            conversation_id=cid,
            tier=rng.choices((1, 2, 3), weights=(85, 13, 2))[0],
            skill=rng.choice((*SKILLS, ANY, ANY)),
            language=rng.choices(LANGUAGES, weights=(70, 12, 10, 8))[0],
            priority=rng.choices((0, 1, 2, 4), weights=(70, 15, 10, 5))[0],
            enqueued_at=1000.0 + cid * 0.01,
        )
        for cid in range(1, waiting + 1)
    ]
    return slots, items


def _drain(
    decide: Callable[[WaitingItem], int | None],
    release: Callable[[int], None],
    items: list[WaitingItem],
    rng: random.Random,
) -> tuple[list[float], int]:
    """Decide every item in priority order; when nobody can take one, a random busy agent finishes a chat
    (timed separately) and the item is tried again, up to a bound."""
    timings: list[float] = []
    busy: list[int] = []
    unplaced = 0
    for item in items:
        for _attempt in range(50):
            started = time.perf_counter()
            staff_id = decide(item)
            elapsed = time.perf_counter() - started
            if staff_id is not None:
                timings.append(elapsed)
                busy.append(staff_id)
                break
            if not busy:
                break
            release(busy.pop(rng.randrange(len(busy))))
        else:
            unplaced += 1
    return timings, unplaced


class NaiveRouter:
    """The baseline: scan every agent for every decision."""

    def __init__(self, agents: list[AgentSlot], policy: RoutingPolicy) -> None:
        self.agents = {a.staff_id: a for a in agents}
        self.policy = policy

    def decide(self, item: WaitingItem, now: float) -> int | None:
        best = None
        for agent in self.agents.values():
            if eligible(agent, item, self.policy, now) and (
                best is None
                or (agent.load, agent.idle_since, agent.staff_id)
                < (best.load, best.idle_since, best.staff_id)
            ):
                best = agent
        if best is None:
            return None
        best.load += 1
        best.idle_since = now
        return best.staff_id

    def release(self, staff_id: int) -> None:
        agent = self.agents[staff_id]
        agent.load = max(0, agent.load - 1)


def run_routing_benchmark(
    *,
    agents: int = 1000,
    waiting: int = 10_000,
    rounds: int = 3,
    seed: int = 7,
    progress: Callable[[str, int, int], None] | None = None,
) -> RoutingBenchResult:
    policy = RoutingPolicy(aging_seconds=120, overflow_seconds=None)
    now = 2000.0
    rates: list[float] = []
    baseline_rates: list[float] = []
    p50s: list[float] = []
    p99s: list[float] = []
    decisions = 0
    for round_index in range(rounds):
        slots, items = build_floor(agents, waiting, seed + round_index)
        router = Router(policy=policy)
        router.add_agents(slots)
        ordered = router.order(items, now)
        timings, _ = _drain(partial(router.decide, now=now), router.release, ordered, random.Random(seed))
        decisions = len(timings)
        rates.append(len(timings) / sum(timings))
        p50s.append(compute_percentile(timings, 50) * 1000)
        p99s.append(compute_percentile(timings, 99) * 1000)
        if progress:
            progress("routing engine", round_index + 1, rounds)
        naive_slots, _ = build_floor(agents, waiting, seed + round_index)
        naive = NaiveRouter(naive_slots, policy)
        sample = ordered[: max(500, waiting // 10)]  # the scan is slow; a tenth of the queue is plenty
        naive_timings, _ = _drain(partial(naive.decide, now=now), naive.release, sample, random.Random(seed))
        baseline_rates.append(len(naive_timings) / sum(naive_timings))
        if progress:
            progress("naive baseline", round_index + 1, rounds)
    rate = compute_median(rates)
    baseline = compute_median(baseline_rates)
    return RoutingBenchResult(
        agents=agents,
        waiting=waiting,
        rounds=rounds,
        decisions=decisions,
        decisions_per_s=round(rate, 1),
        p50_ms=round(compute_median(p50s), 4),
        p99_ms=round(compute_median(p99s), 4),
        baseline_decisions_per_s=round(baseline, 1),
        speedup_vs_naive=round(compute_ratio(rate, baseline), 1),
    )

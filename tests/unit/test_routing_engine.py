"""The routing engine: capacity, eligibility, order of the waiting, fairness, exclusions and overflow.

Property tests draw random rosters (tiers, skills, languages, capacities, loads, online or not) and random
queues (requirements, priorities, arrival times, exclusions) and check the promises the engine's docstring
makes against ``eligible()``, the definition it spells out. Example tests pin the individual rules.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.routing.engine import ANY, AgentSlot, Assignment, Router, RoutingPolicy, WaitingItem, eligible

SKILLS = ("billing", "shipping", "returns")
LANGUAGES = ("en", "es", "fr", "de")
NOW = 1000.0

PROPERTY = settings(max_examples=120, deadline=None, database=None)
INTERLEAVED = settings(max_examples=80, deadline=None, database=None)


# --- strategies ------------------------------------------------------------------------------------------


@st.composite
def agents_st(draw: st.DrawFn, max_agents: int = 6) -> list[AgentSlot]:
    count = draw(st.integers(min_value=0, max_value=max_agents))
    agents = []
    for staff_id in range(1, count + 1):
        capacity = draw(st.integers(min_value=1, max_value=4))
        agents.append(
            AgentSlot(
                staff_id=staff_id,
                tier=draw(st.integers(min_value=1, max_value=3)),
                skills=draw(st.frozensets(st.sampled_from(SKILLS))),
                languages=draw(st.frozensets(st.sampled_from(LANGUAGES))),
                capacity=capacity,
                load=draw(st.integers(min_value=0, max_value=capacity)),
                # whole numbers so that ties in idle time happen
                idle_since=float(draw(st.integers(min_value=0, max_value=int(NOW)))),
                online=draw(st.booleans()),
            )
        )
    return agents


@st.composite
def items_st(draw: st.DrawFn, staff_ids: list[int], max_items: int = 12) -> list[WaitingItem]:
    count = draw(st.integers(min_value=0, max_value=max_items))
    excluded = st.frozensets(st.sampled_from(staff_ids)) if staff_ids else st.just(frozenset())
    return [
        WaitingItem(
            conversation_id=conversation_id,
            tier=draw(st.integers(min_value=1, max_value=3)),
            # "legal": a skill nobody has, so only generalists (or overflow) can take it
            skill=draw(st.sampled_from((ANY, *SKILLS, "legal"))),
            language=draw(st.sampled_from((ANY, *LANGUAGES))),
            priority=draw(st.integers(min_value=0, max_value=3)),
            # coarse arrival times so that equal arrival times and equal effective priorities happen
            enqueued_at=float(draw(st.integers(min_value=0, max_value=20)) * 50),
            excluded=draw(st.one_of(st.just(frozenset()), excluded)),
        )
        for conversation_id in range(100, 100 + count)
    ]


policies_st = st.builds(
    RoutingPolicy,
    aging_seconds=st.sampled_from((0.0, 60.0, 120.0, 600.0)),
    overflow_seconds=st.sampled_from((None, 120.0, 300.0, 10_000.0)),
)


@dataclass
class Scenario:
    policy: RoutingPolicy
    agents: list[AgentSlot]  # untouched copies of the starting roster
    items: list[WaitingItem]
    now: float

    def router(self) -> Router:
        router = Router(policy=self.policy)
        router.add_agents(copy.deepcopy(self.agents))
        return router


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    agents = draw(agents_st())
    items = draw(items_st([a.staff_id for a in agents]))
    now = NOW + draw(st.sampled_from((0.0, 30.0, 120.0, 299.0, 300.0, 1000.0)))
    return Scenario(draw(policies_st), agents, items, now)


def _effective_priority(policy: RoutingPolicy, item: WaitingItem, now: float) -> int:
    return policy.effective(item, now)[3]


# --- properties over plan() ------------------------------------------------------------------------------


@PROPERTY
@given(scenarios())
def test_plan_never_exceeds_capacity_and_ignores_offline_agents(s: Scenario) -> None:
    router = s.router()
    assignments = router.plan(s.items, s.now)

    conversation_ids = [a.conversation_id for a in assignments]
    assert len(conversation_ids) == len(set(conversation_ids)), "a conversation was assigned twice"
    assert set(conversation_ids) <= {item.conversation_id for item in s.items}

    given_to = Counter(a.staff_id for a in assignments)
    for start in s.agents:
        got = given_to[start.staff_id]
        assert start.load + got <= start.capacity, (start, got)
        assert router.agents[start.staff_id].load == start.load + got
        if not start.online:
            assert got == 0, f"offline agent {start.staff_id} got {got} conversations"
    assert set(given_to) <= {a.staff_id for a in s.agents}


@PROPERTY
@given(scenarios())
def test_nobody_waits_while_an_eligible_agent_has_room(s: Scenario) -> None:
    router = s.router()
    assignments = router.plan(s.items, s.now)
    assigned = {a.conversation_id for a in assignments}
    for item in s.items:
        if item.conversation_id in assigned:
            continue
        idle = [a.staff_id for a in router.agents.values() if eligible(a, item, s.policy, s.now)]
        assert not idle, f"{item} left waiting while agents {idle} are eligible with room"


@PROPERTY
@given(scenarios())
def test_fifo_within_a_priority(s: Scenario) -> None:
    router = s.router()
    assigned = {a.conversation_id for a in router.plan(s.items, s.now)}
    plain = [item for item in s.items if not item.excluded]
    for earlier in plain:
        for later in plain:
            if not earlier.enqueued_at < later.enqueued_at:
                continue
            if earlier.key() != later.key():
                continue
            if _effective_priority(s.policy, earlier, s.now) != _effective_priority(s.policy, later, s.now):
                continue
            if later.conversation_id in assigned:
                assert earlier.conversation_id in assigned, (
                    f"{later} was assigned but {earlier}, with the same needs and priority and "
                    "waiting longer, was not"
                )


@PROPERTY
@given(scenarios())
def test_plan_serves_higher_effective_priority_first(s: Scenario) -> None:
    """If a lower-priority item got an agent, no higher-priority item with the same needs (and no
    exclusions) was left waiting."""
    router = s.router()
    assigned = {a.conversation_id for a in router.plan(s.items, s.now)}
    plain = [item for item in s.items if not item.excluded]
    for high in plain:
        for low in plain:
            if high.key() != low.key():
                continue
            if _effective_priority(s.policy, high, s.now) <= _effective_priority(s.policy, low, s.now):
                continue
            if low.conversation_id in assigned:
                assert high.conversation_id in assigned, (high, low)


@PROPERTY
@given(scenarios())
def test_every_decision_is_eligible_and_fair_when_made(s: Scenario) -> None:
    """decide() one by one, in the engine's own order: each chosen agent is eligible at that moment and is
    among the least loaded, then longest idle, of the eligible ones; None only when nobody is eligible."""
    router = s.router()
    for item in router.order(s.items, s.now):
        before = {a.staff_id: copy.copy(a) for a in router.agents.values()}
        candidates = [a for a in before.values() if eligible(a, item, s.policy, s.now)]
        chosen = router.decide(item, s.now)
        if chosen is None:
            assert not candidates, (
                f"{item}: nobody chosen although {[a.staff_id for a in candidates]} eligible"
            )
            assert {a.staff_id: a.load for a in router.agents.values()} == {
                i: a.load for i, a in before.items()
            }
            continue
        assert eligible(before[chosen], item, s.policy, s.now), (item, before[chosen])
        best = min((a.load, a.idle_since) for a in candidates)
        assert (before[chosen].load, before[chosen].idle_since) == best, (item, before[chosen], candidates)
        assert router.agents[chosen].load == before[chosen].load + 1
        assert router.agents[chosen].idle_since == s.now


@INTERLEAVED
@given(scenarios(), st.data())
def test_decide_and_release_interleaved_stay_consistent(s: Scenario, data: st.DataObject) -> None:
    """Random mix of decide() (at various times) and release(): the lazy heaps never hand out an agent
    who is not eligible, never miss one who is, and release() always makes room again."""
    router = s.router()
    staff_ids = [a.staff_id for a in s.agents]
    now = s.now
    steps = data.draw(st.integers(min_value=0, max_value=25))
    for _ in range(steps):
        now += data.draw(st.sampled_from((0.0, 10.0, 100.0)))
        if data.draw(st.booleans()) and staff_ids:
            staff_id = data.draw(st.sampled_from(staff_ids))
            load = router.agents[staff_id].load
            router.release(staff_id)
            assert router.agents[staff_id].load == max(0, load - 1)
            continue
        if not s.items:
            continue
        item = data.draw(st.sampled_from(s.items))
        before = {a.staff_id: copy.copy(a) for a in router.agents.values()}
        candidates = [a for a in before.values() if eligible(a, item, s.policy, now)]
        chosen = router.decide(item, now)
        if chosen is None:
            assert not candidates, (item, candidates)
        else:
            assert eligible(before[chosen], item, s.policy, now), (item, before[chosen])
            assert (before[chosen].load, before[chosen].idle_since) == min(
                (a.load, a.idle_since) for a in candidates
            )
        for agent in router.agents.values():
            assert 0 <= agent.load <= agent.capacity


# --- examples: order of the waiting ----------------------------------------------------------------------


def _router(*agents: AgentSlot, policy: RoutingPolicy | None = None) -> Router:
    router = Router(policy=policy or RoutingPolicy())
    router.add_agents(agents)
    return router


def test_higher_priority_goes_first_when_capacity_is_scarce() -> None:
    router = _router(AgentSlot(1, capacity=1))
    early_low = WaitingItem(10, priority=0, enqueued_at=900.0)
    late_high = WaitingItem(11, priority=2, enqueued_at=990.0)
    assert router.plan([early_low, late_high], NOW) == [Assignment(11, 1)]


def test_same_priority_is_first_come_first_served() -> None:
    router = _router(AgentSlot(1, capacity=1))
    assert router.plan([WaitingItem(11, enqueued_at=950.0), WaitingItem(10, enqueued_at=940.0)], NOW) == [
        Assignment(10, 1)
    ]


def test_aging_raises_priority() -> None:
    policy = RoutingPolicy(aging_seconds=120.0, overflow_seconds=None)
    old = WaitingItem(10, priority=0, enqueued_at=NOW - 250.0)  # two aging steps: effective 2
    fresh = WaitingItem(11, priority=1, enqueued_at=NOW - 10.0)  # effective 1
    assert policy.effective(old, NOW)[3] == 2
    assert policy.effective(fresh, NOW)[3] == 1
    assert policy.effective(old, NOW - 200.0)[3] == 0  # at that time it had waited only 50 s

    router = _router(AgentSlot(1, capacity=1), policy=policy)
    assert router.plan([fresh, old], NOW) == [Assignment(10, 1)]

    # without aging the higher base priority wins
    router = _router(AgentSlot(1, capacity=1), policy=RoutingPolicy(aging_seconds=0, overflow_seconds=None))
    assert router.plan([fresh, old], NOW) == [Assignment(11, 1)]


# --- examples: fairness ----------------------------------------------------------------------------------


def test_least_loaded_agent_first() -> None:
    router = _router(
        AgentSlot(1, capacity=3, load=2, idle_since=0.0),
        AgentSlot(2, capacity=3, load=0, idle_since=900.0),
        AgentSlot(3, capacity=3, load=1, idle_since=0.0),
    )
    assert router.decide(WaitingItem(10), NOW) == 2
    assert router.decide(WaitingItem(11), NOW) == 3  # 2 and 3 now both at 1; 3 idle longer
    assert router.decide(WaitingItem(12), NOW) == 2  # 2 is now the only one at 1
    assert {a.staff_id: a.load for a in router.agents.values()} == {1: 2, 2: 2, 3: 2}


def test_longest_idle_agent_first_among_equally_loaded() -> None:
    router = _router(
        AgentSlot(1, capacity=2, load=1, idle_since=500.0),
        AgentSlot(2, capacity=2, load=1, idle_since=100.0),
        AgentSlot(3, capacity=2, load=1, idle_since=300.0),
    )
    assert [router.decide(WaitingItem(i), NOW) for i in (10, 11, 12)] == [2, 3, 1]
    assert router.decide(WaitingItem(13), NOW) is None


def test_decide_records_idle_time_so_the_next_goes_to_someone_else() -> None:
    router = _router(AgentSlot(1, capacity=5, idle_since=10.0), AgentSlot(2, capacity=5, idle_since=20.0))
    assert router.decide(WaitingItem(10), NOW) == 1
    assert router.agents[1].idle_since == NOW
    assert router.decide(WaitingItem(11), NOW + 1) == 2
    assert router.decide(WaitingItem(12), NOW + 2) == 1  # equal load again: 1 has waited longer


# --- examples: exclusions, head of line, overflow, requirements -------------------------------------------


def test_an_agent_who_let_the_offer_lapse_never_gets_it() -> None:
    router = _router(AgentSlot(1, capacity=3), AgentSlot(2, capacity=3, load=2))
    lapsed = WaitingItem(10, excluded=frozenset({1}))
    assert router.decide(lapsed, NOW) == 2  # 1 is less loaded but excluded
    # only the excluded agent has room now: nobody
    assert router.decide(lapsed, NOW) is None
    assert router.agents[1].load == 0
    # the excluded agent is still there for everything else
    assert router.decide(WaitingItem(11), NOW) == 1

    only = _router(AgentSlot(1, capacity=3))
    assert only.plan([WaitingItem(12, excluded=frozenset({1}))], NOW) == []


def test_no_head_of_line_blocking() -> None:
    router = _router(AgentSlot(1, tier=1, capacity=1), AgentSlot(2, tier=2, capacity=1, load=1))
    stuck = WaitingItem(10, tier=3, priority=3, enqueued_at=0.0)  # nobody is tier 3
    lapsed = WaitingItem(11, priority=2, enqueued_at=0.0, excluded=frozenset({1}))  # nobody else has room
    behind = WaitingItem(12, priority=0, enqueued_at=NOW)
    assert router.plan([stuck, lapsed, behind], NOW) == [Assignment(12, 1)]


def test_tier_skill_and_language_restrict_until_overflow() -> None:
    policy = RoutingPolicy(aging_seconds=120.0, overflow_seconds=300.0)
    agent = AgentSlot(1, tier=1, skills=frozenset({"billing"}), languages=frozenset({"en"}), capacity=3)
    item = WaitingItem(10, tier=1, skill="shipping", language="de", enqueued_at=NOW - 299.0)

    assert policy.effective(item, NOW)[:3] == (1, "shipping", "de")
    assert not eligible(agent, item, policy, NOW)
    assert _router(copy.copy(agent), policy=policy).decide(item, NOW) is None

    later = NOW + 1.0  # waited exactly 300 s
    assert policy.effective(item, later)[:3] == (1, ANY, ANY)
    assert eligible(agent, item, policy, later)
    assert _router(copy.copy(agent), policy=policy).decide(item, later) == 1

    # overflow lifts skill and language, never tier
    tier2 = WaitingItem(11, tier=2, skill="shipping", language="de", enqueued_at=0.0)
    assert _router(copy.copy(agent), policy=policy).decide(tier2, NOW) is None

    # without overflow it waits for ever
    never = RoutingPolicy(overflow_seconds=None)
    assert (
        _router(copy.copy(agent), policy=never).decide(
            WaitingItem(12, skill="shipping", enqueued_at=0.0), NOW
        )
        is None
    )


def test_overflow_inside_one_router_reuses_its_heaps() -> None:
    """The same router first can't place a skilled item, then can once it has overflowed."""
    policy = RoutingPolicy(aging_seconds=120.0, overflow_seconds=300.0)
    router = _router(AgentSlot(1, skills=frozenset({"billing"}), languages=frozenset({"fr"})), policy=policy)
    item = WaitingItem(10, skill="returns", language="es", enqueued_at=NOW)
    assert router.decide(item, NOW) is None
    assert router.decide(item, NOW + 300.0) == 1


def test_requirements_and_generalists() -> None:
    generalist = AgentSlot(1, tier=2)  # no skills, no languages: takes anything of tier <= 2
    specialist = AgentSlot(2, tier=3, skills=frozenset({"billing"}), languages=frozenset({"es", "en"}))
    assert generalist.can_take(2, "legal", "de")
    assert not generalist.can_take(3, ANY, ANY)
    assert specialist.can_take(1, "billing", "es")
    assert specialist.can_take(3, ANY, ANY)
    assert not specialist.can_take(1, "shipping", "es")
    assert not specialist.can_take(1, "billing", "fr")


def test_offline_and_full_agents_get_nothing() -> None:
    router = _router(AgentSlot(1, online=False), AgentSlot(2, capacity=2, load=2))
    assert router.plan([WaitingItem(10), WaitingItem(11)], NOW) == []
    assert router.agents[1].load == 0


# --- examples: release -----------------------------------------------------------------------------------


def test_release_makes_room_again() -> None:
    router = _router(AgentSlot(1, capacity=1, load=1), AgentSlot(2, capacity=1, load=1, online=False))
    first = WaitingItem(10)
    assert router.decide(first, NOW) is None  # builds the (empty) heap for this key
    router.release(1)
    assert router.agents[1].load == 0
    assert router.decide(first, NOW) == 1
    assert router.agents[1].load == 1
    assert router.decide(WaitingItem(11), NOW) is None

    router.release(1)
    assert router.plan([WaitingItem(11), WaitingItem(12)], NOW) == [Assignment(11, 1)]


def test_release_reaches_every_requirement_heap() -> None:
    router = _router(
        AgentSlot(1, tier=2, skills=frozenset({"billing"}), languages=frozenset({"en"}), capacity=1)
    )
    billing = WaitingItem(10, skill="billing", language="en")
    anything = WaitingItem(11)
    assert router.decide(billing, NOW) == 1
    assert router.decide(anything, NOW) is None  # second heap, built while the agent is full
    router.release(1)
    assert router.decide(anything, NOW) == 1
    router.release(1)
    assert router.decide(billing, NOW) == 1


def test_release_never_goes_below_zero() -> None:
    router = _router(AgentSlot(1, capacity=1))
    router.release(1)
    assert router.agents[1].load == 0
    assert router.decide(WaitingItem(10), NOW) == 1
    assert router.decide(WaitingItem(11), NOW) is None

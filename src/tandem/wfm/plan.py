"""From forecast volume to people, and what the bot is worth, pure.

Human demand is the forecast volume times (1 - the bot's containment); each interval is staffed with
Erlang C, or Erlang A when customers' patience is known. The what-if compares the same forecast with the
bot as measured, without a bot, and at a target containment: the people needed, their cost, the bot's
cost, the cost per contact, and what the bot saves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from tandem.wfm.erlang import Demand, Staffing, StaffingInputError, Target, staff_erlang_a, staff_erlang_c


@dataclass(frozen=True)
class Prices:
    agent_hour: float  # what an hour of an agent costs (loaded)
    bot_conversation: float  # what the AI costs per conversation


def effective_containment(
    volumes: Sequence[float] | np.ndarray, containment: float | Sequence[float]
) -> float:
    """One share for the whole plan: per-interval shares weighted by the intervals' volumes."""
    if isinstance(containment, int | float):
        return float(containment)
    total = float(sum(volumes))
    if total == 0:
        return float(np.mean(containment)) if len(containment) else 0.0
    return float(sum(v * c for v, c in zip(volumes, containment, strict=True)) / total)


def human_volume(volume: float, containment: float) -> float:
    if not 0 <= containment <= 1:
        raise StaffingInputError(f"containment must be between 0 and 1; got {containment}")
    return volume * (1 - containment)


def mix_containment(
    history: Mapping[str, Sequence[float]],
    containment: Mapping[str, float],
    *,
    default: float,
    per_week: int,
    prior: float = 0.0,
) -> list[float]:
    """The containment to expect in each interval of the week: each kind of contact's (a channel and an
    intent) own containment, weighted by its share of that interval of the week in the history (a
    question the bot answers well at lunchtime and one it cannot at night are not averaged away). An
    interval of the week without history takes ``default``; ``prior`` contacts at ``default`` are added to
    every interval, so that a thin history leans towards it."""
    weighted = np.zeros(per_week)
    volume = np.zeros(per_week)
    for key, series in history.items():
        counts = np.asarray(series, dtype=float)
        usable = len(counts) // per_week * per_week
        by_slot = (
            counts[len(counts) - usable :].reshape(-1, per_week).sum(axis=0) if usable else np.zeros(per_week)
        )
        volume += by_slot
        weighted += by_slot * containment.get(key, default)
    weighted += prior * default
    volume += prior
    mixed: np.ndarray = np.where(volume > 0, weighted / np.maximum(volume, 1e-12), default)
    return [float(c) for c in mixed]


def staffing_plan(
    volumes: Sequence[float] | np.ndarray,
    *,
    interval_minutes: int,
    aht_seconds: float,
    target: Target,
    patience_seconds: float | None = None,
    containment: float | Sequence[float] = 0.0,
) -> list[Staffing]:
    """People per interval for what reaches them (Erlang A with ``patience_seconds``, else Erlang C).
    ``containment``: one share, or one per interval."""
    plan = []
    shares = [containment] * len(volumes) if isinstance(containment, int | float) else list(containment)
    if len(shares) != len(volumes):
        raise StaffingInputError(f"{len(shares)} containment shares for {len(volumes)} intervals")
    for volume, share in zip(volumes, shares, strict=True):
        demand = Demand(human_volume(volume, share), interval_minutes * 60, aht_seconds)
        plan.append(
            staff_erlang_a(demand, target, patience_seconds)
            if patience_seconds
            else staff_erlang_c(demand, target)
        )
    return plan


@dataclass(frozen=True)
class Scenario:
    name: str
    containment: float
    contacts: float
    human_contacts: float
    agent_hours: float
    peak_agents: int
    people_cost: float
    bot_cost: float
    cost: float
    cost_per_contact: float | None
    savings: float  # against the same forecast without a bot
    agents: list[int]


def what_if(
    volumes: Sequence[float] | np.ndarray,
    *,
    interval_minutes: int,
    aht_seconds: float,
    target: Target,
    containments: Mapping[str, float | Sequence[float]],
    prices: Prices,
    patience_seconds: float | None = None,
) -> list[Scenario]:
    """One scenario per named containment (one share, or one per interval), plus ``no bot``
    (containment 0, no bot cost) to compare with."""
    hours = interval_minutes / 60
    contacts = float(sum(volumes))

    def run(
        name: str, containment: float | Sequence[float], with_bot: bool
    ) -> tuple[str, float, list[int], float]:
        plan = staffing_plan(
            volumes, interval_minutes=interval_minutes, aht_seconds=aht_seconds, target=target,
            patience_seconds=patience_seconds, containment=containment,
        )  # fmt: skip
        agents = [s.agents for s in plan]
        bot = contacts * prices.bot_conversation if with_bot else 0.0
        return name, effective_containment(volumes, containment), agents, bot

    runs = [run("no bot", 0.0, False)] + [run(name, c, True) for name, c in containments.items()]
    baseline_cost = sum(runs[0][2]) * hours * prices.agent_hour
    scenarios = []
    for name, containment, agents, bot in runs:
        people = sum(agents) * hours * prices.agent_hour
        cost = people + bot
        scenarios.append(
            Scenario(
                name=name,
                containment=containment,
                contacts=contacts,
                human_contacts=contacts * (1 - containment),
                agent_hours=sum(agents) * hours,
                peak_agents=max(agents, default=0),
                people_cost=round(people, 2),
                bot_cost=round(bot, 2),
                cost=round(cost, 2),
                cost_per_contact=round(cost / contacts, 4) if contacts else None,
                savings=round(baseline_cost - cost, 2),
                agents=agents,
            )
        )
    return scenarios


@dataclass(frozen=True)
class Validation:
    """The busiest interval, simulated with the people the shifts put there (SimPy)."""

    interval: int
    positions: int
    promised_service_level: float
    achieved_service_level: float
    promised_abandonment: float | None
    achieved_abandonment: float


def validate_busiest(
    volumes: Sequence[float] | np.ndarray,
    coverage: Sequence[int],
    *,
    interval_minutes: int,
    aht_seconds: float,
    target: Target,
    containment: float | Sequence[float],
    patience_seconds: float | None = None,
    arrivals: int = 20_000,
) -> Validation | None:
    """Simulate the interval with the most contacts, staffed as scheduled: the people on the floor, less
    shrinkage, times the chats each takes. None when there are no contacts."""
    from tandem.wfm.erlang import erlang_a_staffing, erlang_c_staffing
    from tandem.wfm.simulation import simulate

    if not len(volumes) or max(volumes) <= 0:
        return None
    busiest = int(np.argmax(volumes))
    share = containment if isinstance(containment, int | float) else containment[busiest]
    demand = Demand(human_volume(float(volumes[busiest]), share), interval_minutes * 60, aht_seconds)
    positions = max(1, int(coverage[busiest] * (1 - target.shrinkage)) * target.concurrency)
    promised = (
        erlang_a_staffing(positions, demand, target.answer_seconds, patience_seconds)
        if patience_seconds
        else erlang_c_staffing(positions, demand, target.answer_seconds)
    )
    achieved = simulate(
        demand, positions, answer_seconds=target.answer_seconds, patience_seconds=patience_seconds,
        arrivals=arrivals, warmup=arrivals // 10, seed=busiest,
    )  # fmt: skip
    return Validation(
        interval=busiest,
        positions=positions,
        promised_service_level=round(promised.service_level, 4),
        achieved_service_level=round(achieved.service_level, 4),
        promised_abandonment=None if promised.abandonment is None else round(promised.abandonment, 4),
        achieved_abandonment=round(achieved.abandonment, 4),
    )

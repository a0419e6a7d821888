"""The staffed queue, simulated (SimPy): customers arrive at random (Poisson), wait for one of the
positions, give up after an exponential patience, and are served for an exponential handling time. What
the Erlang formulas promise is checked against what this queue achieves."""

from __future__ import annotations

import random
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import simpy

from tandem.wfm.erlang import Demand, StaffingInputError


@dataclass(frozen=True)
class Simulated:
    arrivals: int  # counted (after the warm-up)
    service_level: float  # answered within the target, over every arrival
    abandonment: float  # gave up waiting, over every arrival
    asa_seconds: float  # mean wait of every arrival (those who gave up: until they did)


def simulate(
    demand: Demand,
    positions: int,
    *,
    answer_seconds: float,
    patience_seconds: float | None = None,
    arrivals: int = 20_000,
    warmup: int = 2_000,
    seed: int = 0,
) -> Simulated:
    """``arrivals`` customers (after ``warmup`` more) through ``positions`` servers; ``patience_seconds``
    None: nobody gives up (Erlang C's queue)."""
    if positions < 1:
        raise StaffingInputError(f"positions must be 1 or more; got {positions}")
    if demand.volume == 0:
        return Simulated(0, 1.0, 0.0, 0.0)
    rng = random.Random(seed)
    env = simpy.Environment()
    floor = simpy.Resource(env, capacity=positions)
    rate = demand.volume / demand.interval_seconds
    waits: list[tuple[float, bool]] = []  # (waited, answered), counted customers only

    def customer(counted: bool) -> Generator[Any, Any, None]:
        arrived = env.now
        with floor.request() as seat:
            if patience_seconds is None:
                yield seat
                answered = True
            else:
                gave_up = env.timeout(rng.expovariate(1 / patience_seconds))
                outcome = yield seat | gave_up
                answered = seat in outcome
            if counted:
                waits.append((env.now - arrived, answered))
            if answered:
                yield env.timeout(rng.expovariate(1 / demand.aht_seconds))

    def source() -> Generator[Any, Any, None]:
        for number in range(warmup + arrivals):
            yield env.timeout(rng.expovariate(rate))
            env.process(customer(number >= warmup))

    env.process(source())
    env.run()
    within = sum(1 for waited, answered in waits if answered and waited <= answer_seconds)
    gave_up = sum(1 for _, answered in waits if not answered)
    return Simulated(
        arrivals=len(waits),
        service_level=within / len(waits),
        abandonment=gave_up / len(waits),
        asa_seconds=sum(waited for waited, _ in waits) / len(waits),
    )

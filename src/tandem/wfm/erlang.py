"""Staffing maths: Erlang C (M/M/n) and Erlang A (M/M/n+M, customers who give up), pure and vectorised.

Erlang C comes from the Erlang B recursion, which stays exact at thousands of agents (no factorials).
Erlang A uses the birth-death chain's stationary distribution in logarithms and a closed form for the
probability that a waiting customer is answered within ``t``: with ``j`` customers ahead, the customers
in front leave at rates ``n*mu + i*theta`` and the customer gives up at rate ``theta``, which gives

    P(answered within t | j ahead) = n*mu / (n*mu + (j+1)*theta) * (1 - I_x(n*mu/theta + 1, j + 1)),

with ``x = exp(-theta*t)`` and ``I`` the regularised incomplete beta function (summed by its recurrence). The
service level is the share of all arrivals answered within ``t``; those who give up count as missed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import cache

import numpy as np
from scipy.special import gammaln

from tandem.core.errors import InvalidInputError

MAX_TRAFFIC = 20_000  # Erlangs: four times the largest contact centres, still a fraction of a second
MAX_PATIENCE = 86_400  # seconds: a day; longer is Erlang C


class StaffingInputError(InvalidInputError):
    """A parameter out of its range; the message names it."""


@dataclass(frozen=True)
class Demand:
    """Contacts offered in one interval and how long a person spends on each."""

    volume: float
    interval_seconds: float
    aht_seconds: float

    def __post_init__(self) -> None:
        _require(self.volume >= 0 and math.isfinite(self.volume), "volume", "0 or more", self.volume)
        _require(self.interval_seconds > 0, "interval", "more than 0 seconds", self.interval_seconds)
        _require(self.aht_seconds > 0, "aht_seconds", "more than 0", self.aht_seconds)
        _require(self.traffic <= MAX_TRAFFIC, "volume x aht_seconds / interval", f"at most {MAX_TRAFFIC:,} Erlangs",
                 round(self.traffic))  # fmt: skip

    @property
    def traffic(self) -> float:
        """Offered load in Erlangs: the number of people busy on average with no waiting at all."""
        return self.volume * self.aht_seconds / self.interval_seconds


@dataclass(frozen=True)
class Target:
    """What the staffing must achieve. ``concurrency``: chats one person handles at once (each at the
    given handling time); ``shrinkage``: the share of paid time not spent on contacts (breaks, training)."""

    service_level: float = 0.8
    answer_seconds: float = 20.0
    max_occupancy: float = 1.0
    shrinkage: float = 0.0
    concurrency: int = 1
    max_abandonment: float = 1.0  # Erlang A only

    def __post_init__(self) -> None:
        _require(
            0 < self.service_level < 1, "service_level", "between 0 and 1 (exclusive)", self.service_level
        )
        _require(self.answer_seconds >= 0, "answer_seconds", "0 or more", self.answer_seconds)
        _require(0 < self.max_occupancy <= 1, "max_occupancy", "in (0, 1]", self.max_occupancy)
        _require(0 <= self.shrinkage < 1, "shrinkage", "in [0, 1)", self.shrinkage)
        _require(self.concurrency >= 1, "concurrency", "1 or more", self.concurrency)
        _require(0 < self.max_abandonment <= 1, "max_abandonment", "in (0, 1]", self.max_abandonment)


@dataclass(frozen=True)
class Staffing:
    agents: int  # people to schedule (after concurrency and shrinkage)
    positions: int  # simultaneous contacts the floor must be able to take
    service_level: float
    asa_seconds: float  # mean wait over every arrival
    occupancy: float
    waiting_probability: float
    abandonment: float | None  # Erlang A: the share who give up


def _require(ok: bool, name: str, allowed: str, value: object) -> None:
    if not ok:
        raise StaffingInputError(f"{name} must be {allowed}; got {value}")


# --- Erlang C ---------------------------------------------------------------------------------------------


def erlang_b(positions: int, traffic: float) -> float:
    """Blocking probability of M/M/n/n, by the stable recursion B(k) = A*B(k-1) / (k + A*B(k-1))."""
    blocked = 1.0
    for k in range(1, positions + 1):
        blocked = traffic * blocked / (k + traffic * blocked)
    return blocked


def erlang_c(positions: int, traffic: float) -> float:
    """Probability that an arrival waits (M/M/n); 1 when the floor cannot keep up."""
    if positions <= traffic:
        return 1.0
    blocked = erlang_b(positions, traffic)
    return positions * blocked / (positions - traffic * (1 - blocked))


def erlang_c_staffing(positions: int, demand: Demand, answer_seconds: float) -> Staffing:
    """Service level, average speed of answer and occupancy of ``positions`` under Erlang C."""
    traffic = demand.traffic
    if demand.volume == 0:
        return Staffing(positions, positions, 1.0, 0.0, 0.0, 0.0, None)
    waiting = erlang_c(positions, traffic)
    if positions <= traffic:
        return Staffing(positions, positions, 0.0, math.inf, 1.0, 1.0, None)
    spare = positions - traffic
    level = max(0.0, 1 - waiting * math.exp(-spare * answer_seconds / demand.aht_seconds))
    return Staffing(
        positions, positions, level, waiting * demand.aht_seconds / spare, traffic / positions, waiting, None
    )


def staff_erlang_c(demand: Demand, target: Target) -> Staffing:
    """The fewest people meeting the service level within the occupancy cap (Erlang C)."""
    if demand.volume == 0:
        return Staffing(0, 0, 1.0, 0.0, 0.0, 0.0, None)
    traffic = demand.traffic
    positions = math.floor(traffic) + 1
    blocked = erlang_b(positions, traffic)
    while True:
        waiting = positions * blocked / (positions - traffic * (1 - blocked))
        level = 1 - waiting * math.exp(-(positions - traffic) * target.answer_seconds / demand.aht_seconds)
        if level >= target.service_level:
            break
        positions += 1
        blocked = traffic * blocked / (positions + traffic * blocked)
    positions = max(positions, math.ceil(traffic / target.max_occupancy - 1e-12))
    return _scheduled(erlang_c_staffing(positions, demand, target.answer_seconds), target)


# --- Erlang A ---------------------------------------------------------------------------------------------


def erlang_a_staffing(
    positions: int, demand: Demand, answer_seconds: float, patience_seconds: float
) -> Staffing:
    """Service level (answered within ``answer_seconds``, over every arrival), waiting, abandonment, mean
    wait and occupancy of ``positions`` when customers give up after ``patience_seconds`` on average."""
    _require(positions >= 1, "positions", "1 or more", positions)
    return _erlang_a(np.array([positions]), demand, answer_seconds, patience_seconds).at(0)


def _erlang_a(
    candidates: np.ndarray, demand: Demand, answer_seconds: float, patience_seconds: float
) -> _Measures:
    """Erlang A for several position counts at once, in logarithms: the states below ``n`` (nobody
    waits) as one cumulative sum over the Poisson terms, the queue as one row per count and one column
    per customer ahead."""
    _require(
        1 <= patience_seconds <= MAX_PATIENCE, "patience_seconds", f"1 to {MAX_PATIENCE:,}", patience_seconds
    )
    if demand.volume == 0:
        zeros = np.zeros(len(candidates))
        return _Measures(candidates, zeros + 1.0, zeros, zeros, zeros, zeros)
    lam, mu, theta = demand.volume / demand.interval_seconds, 1 / demand.aht_seconds, 1 / patience_seconds
    counts = candidates.astype(int)
    k, log_factorial = _log_factorials(int(counts.max()) + 1)
    poisson = k * math.log(demand.traffic) - log_factorial  # log A^k / k!
    below = np.logaddexp.accumulate(poisson)  # below[i]: log of the sum over k <= i
    n = counts.astype(float)[:, None]
    ahead = np.arange(_queue_length(int(counts.min()), lam, mu, theta), dtype=float)[None, :]
    steps = np.log(lam) - np.log(n * mu + ahead[:, 1:] * theta)  # state n + j from n + j - 1
    queue = poisson[counts][:, None] + np.concatenate(
        (np.zeros((len(counts), 1)), np.cumsum(steps, axis=1)), axis=1
    )
    top = queue.max(axis=1, keepdims=True)
    queue_mass = np.log(np.exp(queue - top).sum(axis=1)) + top[:, 0]
    free = below[counts - 1]  # states 0..n-1
    total = np.logaddexp(free, queue_mass)
    waits = np.exp(queue - total[:, None])
    within = (n * mu / (n * mu + (ahead + 1) * theta)) * (
        1 - _incomplete_beta_rows(n * mu / theta + 1, ahead.shape[1], theta * answer_seconds)
    )
    waiting = waits.sum(axis=1)
    queued = (waits * ahead).sum(axis=1)
    abandonment = theta * queued / lam
    return _Measures(
        positions=counts,
        service_level=np.clip(1 - waiting + (waits * within).sum(axis=1), 0.0, 1.0),
        asa_seconds=queued / lam,
        occupancy=lam * (1 - abandonment) / (counts * mu),
        waiting_probability=waiting,
        abandonment=abandonment,
    )


@dataclass(frozen=True)
class _Measures:
    """Erlang A's figures for several position counts (arrays, one entry per count)."""

    positions: np.ndarray
    service_level: np.ndarray
    asa_seconds: np.ndarray
    occupancy: np.ndarray
    waiting_probability: np.ndarray
    abandonment: np.ndarray

    def at(self, i: int) -> Staffing:
        return Staffing(
            agents=int(self.positions[i]),
            positions=int(self.positions[i]),
            service_level=float(self.service_level[i]),
            asa_seconds=float(self.asa_seconds[i]),
            occupancy=float(self.occupancy[i]),
            waiting_probability=float(self.waiting_probability[i]),
            abandonment=float(self.abandonment[i]),
        )


def _incomplete_beta_rows(a: np.ndarray, columns: int, rate_time: float) -> np.ndarray:
    """I_x(a, b) for b = 1..columns, x = exp(-rate_time), one row per ``a``: from I_x(a, 1) = x^a by
    I_x(a, b+1) = I_x(a, b) + x^a (1-x)^b / (b B(a, b)), a cumulative sum of positive terms (three times
    faster than ``betainc`` on the whole matrix, and as exact to 1e-13)."""
    log_x = -rate_time
    first = np.exp(a * log_x)
    if columns == 1:
        return first
    b, log_b_gamma_b = _beta_columns(columns)
    log_rest = math.log(-math.expm1(log_x)) if rate_time > 0 else -math.inf
    terms = a * log_x + b * log_rest - log_b_gamma_b - gammaln(a) + gammaln(a + b)
    return np.concatenate((first, first + np.cumsum(np.exp(terms), axis=1)), axis=1)


@cache
def _beta_columns(columns: int) -> tuple[np.ndarray, np.ndarray]:
    """b = 1..columns-1 and log(b) + log Gamma(b): the parts of the recurrence every call shares."""
    b = np.arange(1, columns, dtype=float)[None, :]
    return b, np.log(b) + gammaln(b)


def _log_factorials(size: int) -> tuple[np.ndarray, np.ndarray]:
    """k = 0..size-1 and log k!, from a table grown in steps (thousands of agents cost nothing)."""
    global _FACTORIALS
    if len(_FACTORIALS[0]) < size:
        k = np.arange(max(size, 2 * len(_FACTORIALS[0])), dtype=float)
        _FACTORIALS = (k, gammaln(k + 1))
    return _FACTORIALS[0][:size], _FACTORIALS[1][:size]


_FACTORIALS: tuple[np.ndarray, np.ndarray] = (np.zeros(0), np.zeros(0))


def _queue_length(n: int, lam: float, mu: float, theta: float) -> int:
    """Queue states worth counting: up to where departures outpace arrivals, then eight spreads of a tail
    that falls like a normal density (below 1e-13 of the peak)."""
    crossover = max(0.0, (lam - n * mu) / theta)
    spread = math.sqrt(lam / theta + 1)  # the queue's spread past the crossover, in customers
    return int(crossover + 8 * spread + 20)


WINDOW = 8  # position counts evaluated per pass of the Erlang A search


def staff_erlang_a(demand: Demand, target: Target, patience_seconds: float) -> Staffing:
    """The fewest people meeting the service level, the occupancy cap and the abandonment cap when
    customers give up (Erlang A). More positions never lower the service level: a window of counts around
    the Erlang C answer (patience only helps) is evaluated at once, and bisection finds the answer when it
    lies outside."""
    if demand.volume == 0:
        return Staffing(0, 0, 1.0, 0.0, 0.0, 0.0, 0.0)
    start = staff_erlang_c(demand, replace(target, max_occupancy=1.0, shrinkage=0.0, concurrency=1)).positions
    low = max(1, start - WINDOW + 3)  # patience usually saves a few people: one pass, most of the time
    for _ in range(3):  # a window or two lower when patience saves more
        found = _erlang_a(np.arange(low, low + WINDOW), demand, target.answer_seconds, patience_seconds)
        meets = _meets(found, target)
        if meets.any() and not (meets[0] and low > 1):
            return _scheduled(found.at(int(np.argmax(meets))), target)
        if not meets.any():
            break
        low = max(1, low - WINDOW + 1)  # keep the old lowest in view
    # outside the window: bisect (the targets hold from some count on)
    if meets.any():
        bad, good = 0, low  # count 0 never serves anyone
    else:
        bad, good = low + WINDOW - 1, low + WINDOW
        while not _meets(
            _erlang_a(np.array([good]), demand, target.answer_seconds, patience_seconds), target
        )[0]:
            bad, good = good, good * 2
    while good - bad > 1:
        middle = (bad + good) // 2
        if _meets(_erlang_a(np.array([middle]), demand, target.answer_seconds, patience_seconds), target)[0]:
            good = middle
        else:
            bad = middle
    return _scheduled(erlang_a_staffing(good, demand, target.answer_seconds, patience_seconds), target)


def _meets(found: _Measures, target: Target) -> np.ndarray:
    met: np.ndarray = (
        (found.service_level >= target.service_level)
        & (found.occupancy <= target.max_occupancy)
        & (found.abandonment <= target.max_abandonment)
    )
    return met


def _scheduled(found: Staffing, target: Target) -> Staffing:
    """Positions -> people: several chats each, then the paid time lost to shrinkage."""
    people = math.ceil(found.positions / target.concurrency)
    agents = math.ceil(people / (1 - target.shrinkage) - 1e-9)
    return Staffing(
        agents=agents,
        positions=found.positions,
        service_level=found.service_level,
        asa_seconds=found.asa_seconds,
        occupancy=found.occupancy,
        waiting_probability=found.waiting_probability,
        abandonment=found.abandonment,
    )

"""Shifts and breaks that cover the required staff in every interval, from OR-Tools' CP-SAT solver, pure.

Every shift has one length and one break; a shift type is its start (every ``start_step_minutes``) and
where its break falls (every possible slot in the break window). The solver chooses how many people work
each type so that the people present (not on break) reach the requirement in every interval, with the
fewest shifts; when the requirement cannot be met within the limits, the gap is minimised first and
reported per interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from tandem.core.errors import InvalidInputError


class ScheduleInputError(InvalidInputError):
    """Shift rules that cannot work; the message names the field."""


@dataclass(frozen=True)
class ShiftRules:
    length_minutes: int = 480
    break_minutes: int = 30
    break_after_minutes: tuple[int, int] = (180, 300)  # the break starts this long into the shift
    start_step_minutes: int = 30
    max_people: int = 500  # per shift type

    @classmethod
    def for_interval(cls, interval_minutes: int) -> ShiftRules:
        """The defaults, with the break and the start times on the plan's own interval."""
        step = max(30, interval_minutes)
        return cls(break_minutes=step, start_step_minutes=step)

    def check(self, interval_minutes: int) -> None:
        for name in ("length_minutes", "break_minutes", "start_step_minutes"):
            value = getattr(self, name)
            if value % interval_minutes:
                raise ScheduleInputError(
                    f"{name} ({value}) must be a multiple of the {interval_minutes}-minute interval"
                )
        low, high = self.break_after_minutes
        if not 0 < low <= high or high + self.break_minutes > self.length_minutes:
            raise ScheduleInputError(
                "the break window must start after the shift starts and end before it ends"
            )
        if low % interval_minutes or high % interval_minutes:
            raise ScheduleInputError("the break window must fall on interval boundaries")


@dataclass(frozen=True)
class Shift:
    start: int  # interval index
    break_start: int  # interval index
    people: int


@dataclass
class Schedule:
    shifts: list[Shift]
    coverage: list[int]  # people on the floor per interval
    shortfall: list[int]  # requirement not met per interval (0 almost everywhere)
    status: str  # optimal | feasible (the time limit ended the search)
    people: int = field(init=False)

    def __post_init__(self) -> None:
        self.people = sum(shift.people for shift in self.shifts)


def schedule(
    required: Sequence[int], *, interval_minutes: int, rules: ShiftRules = ShiftRules(), seconds: float = 10.0
) -> Schedule:
    """The fewest shifts covering ``required`` people per interval (a day or a week of intervals)."""
    rules.check(interval_minutes)
    if any(r < 0 for r in required):
        raise ScheduleInputError("required staff must be 0 or more in every interval")
    horizon = len(required)
    length = rules.length_minutes // interval_minutes
    pause = rules.break_minutes // interval_minutes
    step = rules.start_step_minutes // interval_minutes
    first_break, last_break = (m // interval_minutes for m in rules.break_after_minutes)
    types = [
        (start, start + offset)
        for start in range(
            -length + 1, horizon, step
        )  # shifts from the day before reach into the first hours
        for offset in range(first_break, last_break + 1)
        if start + length > 0
    ]
    model = cp_model.CpModel()
    people = [model.new_int_var(0, rules.max_people, f"x{i}") for i in range(len(types))]
    present: list[list[int]] = [[] for _ in range(horizon)]
    for i, (start, pause_at) in enumerate(types):
        for t in range(max(0, start), min(horizon, start + length)):
            if not pause_at <= t < pause_at + pause:
                present[t].append(i)
    short = [model.new_int_var(0, max(0, r), f"s{t}") for t, r in enumerate(required)]
    for t, need in enumerate(required):
        model.add(sum(people[i] for i in present[t]) + short[t] >= need)
    # a missing person costs more than any number of shifts: cover first, then use the fewest people
    model.minimize(sum(short) * (len(types) * rules.max_people + 1) + sum(people))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 2
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise ScheduleInputError("no schedule was found within the time limit; allow more seconds")
    chosen = [
        Shift(start=start, break_start=pause_at, people=int(solver.value(people[i])))
        for i, (start, pause_at) in enumerate(types)
        if solver.value(people[i])
    ]
    coverage = [sum(int(solver.value(people[i])) for i in present[t]) for t in range(horizon)]
    return Schedule(
        shifts=chosen,
        coverage=coverage,
        shortfall=[int(solver.value(s)) for s in short],
        status="optimal" if status == cp_model.OPTIMAL else "feasible",
    )

"""Erlang C and Erlang A: the textbook example, agreement with pyworkforce, properties that must hold for
any input (more people never make waiting likelier), hundreds of agents, an empty interval, the rounding
of shrinkage and chat concurrency, and Erlang A against a simulated queue."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.wfm.erlang import (
    Demand,
    StaffingInputError,
    Target,
    erlang_a_staffing,
    erlang_c,
    erlang_c_staffing,
    staff_erlang_a,
    staff_erlang_c,
)
from tandem.wfm.simulation import simulate

TEXTBOOK = Demand(volume=100, interval_seconds=1800, aht_seconds=180)


def test_the_textbook_example() -> None:
    found = staff_erlang_c(TEXTBOOK, Target(service_level=0.8, answer_seconds=20))
    assert found.agents == 14
    assert found.service_level == pytest.approx(0.8884, abs=5e-5)
    assert found.waiting_probability == pytest.approx(0.1741, abs=5e-5)
    assert found.occupancy == pytest.approx(10 / 14)


@pytest.mark.parametrize("volume", [5, 37.5, 100, 420, 1500])
@pytest.mark.parametrize("aht", [60, 180, 420])
@pytest.mark.parametrize(("level", "answer"), [(0.8, 20), (0.9, 15), (0.7, 60)])
def test_erlang_c_agrees_with_pyworkforce(volume: float, aht: float, level: float, answer: float) -> None:
    pyworkforce = pytest.importorskip("pyworkforce.queuing")
    peer = pyworkforce.ErlangC(transactions=volume, aht=aht / 60, asa=answer / 60, interval=30)
    demand = Demand(volume, 1800, aht)
    ours = staff_erlang_c(demand, Target(service_level=level, answer_seconds=answer))
    assert ours.positions == peer.required_positions(service_level=level)["raw_positions"]
    for n in (ours.positions, ours.positions + 3):
        mine = erlang_c_staffing(n, demand, answer)
        assert mine.waiting_probability == pytest.approx(peer.waiting_probability(n), abs=1e-9)
        assert mine.service_level == pytest.approx(peer.service_level(n), abs=1e-9)


# pyworkforce 0.5.4's ErlangA (Python 3.12; its uniformisation, not our closed form) for the textbook
# interval with a patience of 5 minutes.
PYWORKFORCE_ERLANG_A = {
    12: (0.7722793077156137, 0.042711105698606276, 12.813331709581881),
    13: (0.8581777000307627, 0.02496330363357157, 7.488991090071472),
    14: (0.916792091863547, 0.013983744122408376, 4.195123236722512),
}


@pytest.mark.parametrize("positions", sorted(PYWORKFORCE_ERLANG_A))
def test_erlang_a_agrees_with_pyworkforce(positions: int) -> None:
    level, abandonment, asa = PYWORKFORCE_ERLANG_A[positions]
    found = erlang_a_staffing(positions, TEXTBOOK, answer_seconds=20, patience_seconds=300)
    assert found.service_level == pytest.approx(level, abs=1e-9)
    assert found.abandonment == pytest.approx(abandonment, abs=1e-9)
    assert found.asa_seconds == pytest.approx(asa, abs=1e-7)
    assert staff_erlang_a(TEXTBOOK, Target(0.8, 20), patience_seconds=300).agents == 13


@settings(max_examples=60, deadline=None)
@given(
    volume=st.floats(1, 2000),
    aht=st.floats(30, 900),
    answer=st.floats(0, 120),
    patience=st.floats(10, 3600),
    extra=st.integers(0, 6),
)
def test_more_people_never_make_waiting_likelier(
    volume: float, aht: float, answer: float, patience: float, extra: int
) -> None:
    demand = Demand(volume, 1800, aht)
    n = math.floor(demand.traffic) + 1 + extra
    assert erlang_c(n + 1, demand.traffic) <= erlang_c(n, demand.traffic) + 1e-12
    here, more = (erlang_a_staffing(k, demand, answer, patience) for k in (max(1, n - 3), max(1, n - 3) + 1))
    assert more.waiting_probability <= here.waiting_probability + 1e-9
    assert more.service_level >= here.service_level - 1e-9
    assert more.abandonment is not None and here.abandonment is not None
    assert more.abandonment <= here.abandonment + 1e-9
    assert 0 <= here.service_level <= 1 and 0 <= here.abandonment <= 1


def test_infinitely_patient_customers_are_erlang_c() -> None:
    patient = erlang_a_staffing(14, TEXTBOOK, answer_seconds=20, patience_seconds=86_400)
    assert patient.service_level == pytest.approx(erlang_c_staffing(14, TEXTBOOK, 20).service_level, abs=1e-3)
    assert patient.abandonment == pytest.approx(0, abs=1e-3)


def test_very_impatient_customers_on_a_huge_floor_are_answered_quickly() -> None:
    huge = Demand(volume=200_000, interval_seconds=1800, aht_seconds=180)  # 20,000 Erlangs
    found = staff_erlang_a(huge, Target(0.8, 20), patience_seconds=1)  # far below the Erlang C answer
    assert found.positions < 0.9 * staff_erlang_c(huge, Target(0.8, 20)).positions
    below = erlang_a_staffing(found.positions - 1, huge, 20, 1)
    assert found.service_level >= 0.8 > below.service_level  # the smallest count that meets the target


def test_hundreds_of_agents_and_an_empty_interval() -> None:
    big = Demand(volume=9000, interval_seconds=900, aht_seconds=300)  # 3,000 Erlangs
    c = staff_erlang_c(big, Target(0.8, 20))
    a = staff_erlang_a(big, Target(0.8, 20), patience_seconds=120)
    assert 3000 < c.agents < 3100 and a.agents <= c.agents and 0.8 <= a.service_level <= 1
    assert math.isfinite(c.asa_seconds) and math.isfinite(a.asa_seconds)
    quiet = Demand(0, 900, 300)
    assert staff_erlang_c(quiet, Target()).agents == 0 and staff_erlang_a(quiet, Target(), 60).agents == 0


def test_shrinkage_occupancy_caps_and_chats_round_up_to_whole_people() -> None:
    base = staff_erlang_c(TEXTBOOK, Target(0.8, 20))
    assert staff_erlang_c(TEXTBOOK, Target(0.8, 20, shrinkage=0.3)).agents == math.ceil(14 / 0.7)  # 20
    assert staff_erlang_c(TEXTBOOK, Target(0.8, 20, max_occupancy=0.6)).positions == math.ceil(10 / 0.6)
    chats = staff_erlang_c(TEXTBOOK, Target(0.8, 20, concurrency=3))
    assert chats.positions == base.positions and chats.agents == math.ceil(14 / 3)


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda: Demand(100, 1800, 0), "aht_seconds must be more than 0"),
        (lambda: Demand(100, 1800, -5), "aht_seconds"),
        (lambda: Demand(-1, 1800, 180), "volume"),
        (lambda: Target(service_level=1.0), "service_level must be between 0 and 1"),
        (lambda: Target(service_level=0.0), "service_level"),
        (lambda: Target(answer_seconds=-1), "answer_seconds must be 0 or more"),
        (lambda: Target(shrinkage=1.0), "shrinkage"),
        (lambda: erlang_a_staffing(10, TEXTBOOK, 20, 0), "patience_seconds"),
        (lambda: erlang_a_staffing(10, TEXTBOOK, 20, 5e-324), "patience_seconds must be 1 to 86,400"),
        (lambda: Demand(10**9, 60, 600), "at most 20,000 Erlangs"),
    ],
)
def test_bad_input_names_the_field(make: object, says: str) -> None:
    with pytest.raises(StaffingInputError, match=says):
        make()  # type: ignore[operator]


@pytest.mark.parametrize(("positions", "patience"), [(13, 300), (11, 90)])
def test_erlang_a_agrees_with_a_simulated_queue_within_two_points(positions: int, patience: float) -> None:
    promised = erlang_a_staffing(positions, TEXTBOOK, answer_seconds=20, patience_seconds=patience)
    achieved = simulate(
        TEXTBOOK, positions, answer_seconds=20, patience_seconds=patience, arrivals=60_000, seed=7
    )
    assert abs(achieved.service_level - promised.service_level) < 0.02
    assert promised.abandonment is not None and abs(achieved.abandonment - promised.abandonment) < 0.02

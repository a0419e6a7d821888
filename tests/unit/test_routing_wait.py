"""The expected wait told to customers, against worked examples."""

from __future__ import annotations

from tandem.routing.engine import AgentSlot, expected_wait_seconds


def _agents(*loads: int, capacity: int = 2) -> list[AgentSlot]:
    return [AgentSlot(staff_id=i, capacity=capacity, load=load) for i, load in enumerate(loads, start=1)]


def test_nobody_who_could_help_means_no_estimate() -> None:
    assert expected_wait_seconds(1, [], handle_seconds=300) is None


def test_a_free_slot_takes_the_next_conversation_after_the_pickup_time() -> None:
    assert expected_wait_seconds(1, _agents(1, 2), handle_seconds=300) == 30.0
    assert expected_wait_seconds(2, _agents(0, 2), handle_seconds=300) == 30.0  # two free slots


def test_behind_a_full_floor_each_place_waits_for_a_slot_to_free() -> None:
    # 2 agents x 2 slots, all busy: a slot frees every 300 / 4 = 75 s on average
    assert expected_wait_seconds(1, _agents(2, 2), handle_seconds=300) == 105.0
    assert expected_wait_seconds(4, _agents(2, 2), handle_seconds=300) == 330.0


def test_more_agents_never_lengthen_the_wait() -> None:
    small = expected_wait_seconds(5, _agents(2, 2), handle_seconds=300)
    large = expected_wait_seconds(5, _agents(2, 2, 2, 2), handle_seconds=300)
    assert small is not None and large is not None and large <= small


def test_offline_agents_free_nothing() -> None:
    agents = _agents(0, 2)
    agents[0].online = False
    assert expected_wait_seconds(1, agents, handle_seconds=300) == expected_wait_seconds(
        1, _agents(2), handle_seconds=300
    )
    agents[1].online = False
    assert expected_wait_seconds(1, agents, handle_seconds=300) is None

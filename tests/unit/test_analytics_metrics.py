"""Every metric against hand-computed fixtures, with the edge cases: an empty period, everyone abandoned,
no ratings, and a conversation reopened across the period's boundary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tandem.analytics import metrics as m
from tandem.analytics.metrics import Contact

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
WEEK = (T0, T0 + timedelta(days=7))


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


# Ten conversations of one week, each line a story; customers 1-10, customer 1 comes back.
BOT_SOLVED = Contact(1, 1, at(0), intent="order_status", resolved_by="bot", resolved_at=at(2), csat=5, nps=10)
BOT_SOLVED_BUT_BACK = Contact(
    2, 2, at(10), intent="order_status", resolved_by="bot", resolved_at=at(12), csat=2, next_started_at=at(72)
)
BACK_AGAIN = Contact(
    3, 2, at(12 + 60), intent="order_status", resolved_by="bot", resolved_at=at(80)
)  # 1 h later
HANDOFF = Contact(
    4, 4, at(100), intent="refund", resolved_by="human", resolved_at=at(130), human_involved=True,
    escalated=True, escalation_trigger="frustration", first_signal_at=at(101), escalated_at=at(102),
    first_human_at=at(103), first_response_at=at(104), handle_seconds=600, csat=4, nps=6, assisted=True,
)  # fmt: skip
SLOW_HANDOFF = Contact(
    5, 5, at(200), intent="refund", resolved_by="human", resolved_at=at(260), human_involved=True,
    escalated=True, escalation_trigger="customer_request", escalated_at=at(200), first_human_at=at(205),
    first_response_at=at(206), handle_seconds=1200, csat=3, nps=9,
)  # fmt: skip
LEFT_QUEUE = Contact(
    6, 6, at(300), intent="refund", resolved_by="abandoned", abandoned_in="queue", resolved_at=at(310),
    escalated=True, escalation_trigger="customer_request", escalated_at=at(301),
)  # fmt: skip
LEFT_BOT = Contact(
    7, 7, at(400), intent="shipping_cost", resolved_by="abandoned", abandoned_in="bot", resolved_at=at(405)
)
STILL_OPEN = Contact(8, 8, at(500), intent="shipping_cost")
DIRECT_HUMAN = Contact(
    9, 9, at(600), channel="email", resolved_by="human", resolved_at=at(700), human_involved=True,
    first_human_at=at(610), first_response_at=at(620), handle_seconds=300, csat=5, nps=0,
)  # fmt: skip
BEFORE_PERIOD = Contact(
    10, 10, T0 - timedelta(days=1), resolved_by="human", resolved_at=at(5), human_involved=True
)
ALL = [BOT_SOLVED, BOT_SOLVED_BUT_BACK, BACK_AGAIN, HANDOFF, SLOW_HANDOFF, LEFT_QUEUE, LEFT_BOT, STILL_OPEN,
       DIRECT_HUMAN, BEFORE_PERIOD]  # fmt: skip
COHORT = m.in_period(ALL, *WEEK)
WEEK_TALLY = m.summarise(COHORT)


def test_the_cohort_is_by_start_so_a_conversation_reopened_inside_belongs_to_its_own_period() -> None:
    assert len(COHORT) == 9 and BEFORE_PERIOD not in COHORT  # resolved inside the week, started before


def test_containment_counts_bot_resolutions_without_a_person_or_a_return_within_a_day() -> None:
    # ended: all but STILL_OPEN = 8; contained: BOT_SOLVED and BACK_AGAIN (customer 2 came back after #2)
    found = m.containment(WEEK_TALLY)
    assert (found.numerator, found.denominator, found.value) == (2, 8, 0.25)
    assert found.low is not None and found.high is not None and found.low < 0.25 < found.high


def test_escalation_rate_speed_and_resolution_after_handoff() -> None:
    assert m.escalation_rate(WEEK_TALLY) == m.rate(3, 9)
    # from the first signal (or the escalation) to a person: 2 min (101 -> 103) and 5 min (200 -> 205)
    # read from the wait bins: 120 s and 300 s are both bin edges; the median lies between them
    speed = m.escalation_speed(WEEK_TALLY)
    assert speed.count == 2 and speed.value is not None and 120 <= speed.value <= 300
    assert m.resolution_after_handoff(WEEK_TALLY) == m.rate(
        2, 3
    )  # the one who left the queue was not resolved


def test_first_contact_resolution_looks_a_week_ahead() -> None:
    # resolved: 1, 2, 3, 4, 5, 9 -> customer 2 came back after #2
    assert m.first_contact_resolution(WEEK_TALLY) == m.rate(5, 6)


def test_csat_by_segment_is_the_top_two_boxes() -> None:
    assert m.csat(WEEK_TALLY) == m.rate(3, 5)  # 5, 2, 4, 3, 5
    assert m.csat(WEEK_TALLY, "bot_only") == m.rate(1, 2)
    assert m.csat(WEEK_TALLY, "after_handoff") == m.rate(1, 2)
    assert m.csat(WEEK_TALLY, "human_only") == m.rate(1, 1)


def test_nps_handle_and_response_times() -> None:
    assert m.nps(WEEK_TALLY) == m.Figure(0.0, 4)  # 10 and 9 promoters, 6 and 0 detractors
    assert m.average_handle_time(WEEK_TALLY) == m.Figure(700.0, 3)
    # after the handoff 2 min (102 -> 104), 6 min (200 -> 206); from the start 20 min (600 -> 620)
    response = m.first_response_time(WEEK_TALLY)  # the middle one, 6 min, lies in the (300, 420] bin
    assert response.count == 3 and response.value is not None and 300 <= response.value <= 420


def test_abandonment_service_level_and_human_touch() -> None:
    assert m.abandonment_in_bot(WEEK_TALLY) == m.rate(1, 9)
    assert m.abandonment_in_queue(WEEK_TALLY) == m.rate(1, 3)
    # judged: the two a person joined and the one who left; within 2 min only #4 (1 min)
    assert m.service_level(WEEK_TALLY, answer_seconds=120) == m.rate(1, 3)
    assert m.service_level(WEEK_TALLY, answer_seconds=300) == m.rate(2, 3)
    assert m.human_touch_score(WEEK_TALLY) == m.rate(1, 3)
    assert m.assist_acceptance(accepted=6, edited=2, rejected=2) == m.rate(8, 10)


def test_costs_and_savings_use_the_configured_prices() -> None:
    found = m.costs(WEEK_TALLY, bot_price=0.10, human_price=4.00)
    # saved: the two the bot contained; not #6 (asked for a person and left), #7 (gave up on the bot),
    # #2 (came back within a day) or #8 (still open)
    assert (found.contacts, found.bot_only, found.with_person) == (9, 2, 3)
    assert found.cost == pytest.approx(9 * 0.10 + 3 * 4.00)
    assert found.savings == pytest.approx(2 * 3.90)


def test_an_empty_period_has_no_data_rather_than_zeros() -> None:
    nothing = m.summarise([])
    assert m.containment(nothing).value is None and m.escalation_rate(nothing).value is None
    assert m.csat(nothing).value is None and m.nps(nothing).value is None
    assert m.average_handle_time(nothing).value is None and m.first_response_time(nothing).value is None
    assert m.escalation_speed(nothing) == m.Figure(None, 0)
    assert m.costs(nothing, bot_price=0.1, human_price=4).cost_per_contact is None


def test_everyone_abandoned_is_zero_containment_and_no_ratings_is_no_csat() -> None:
    gone = [
        Contact(i, i, at(i), resolved_by="abandoned", abandoned_in="bot", resolved_at=at(i + 1))
        for i in range(5)
    ]
    tally = m.summarise(gone)
    assert m.containment(tally) == m.rate(0, 5) and m.abandonment_in_bot(tally).value == 1.0
    assert m.csat(tally).value is None and m.resolution_after_handoff(tally).value is None


def test_the_intent_matrix_puts_cheap_but_unhappy_intents_apart() -> None:
    happy_bot = [
        Contact(i, i, at(i), intent="order_status", resolved_by="bot", resolved_at=at(i), csat=5)
        for i in range(12)
    ]
    unhappy_bot = [Contact(100 + i, 100 + i, at(i), intent="promo_code", resolved_by="bot", resolved_at=at(i), csat=1)
                   for i in range(12)]  # fmt: skip
    by_intent = {
        "order_status": m.summarise(happy_bot),
        "promo_code": m.summarise(unhappy_bot),
        "shipping_cost": m.summarise([STILL_OPEN]),
    }
    rows = {r.intent: r for r in m.containment_by_csat(by_intent)}
    assert rows["order_status"].quadrant == "bot_works" and rows["promo_code"].quadrant == "route_to_people"
    assert rows["shipping_cost"].quadrant == "too_few"
    assert rows["promo_code"].csat.high is not None and rows["promo_code"].csat.high < 0.3


def test_wilson_intervals_stay_inside_zero_and_one() -> None:
    assert m.wilson(0, 10)[0] == 0.0 and m.wilson(10, 10)[1] == 1.0
    low, high = m.wilson(5, 10)
    assert low < 0.5 < high


def test_tallies_add_up_so_a_week_is_the_sum_of_its_days_and_survive_storage() -> None:
    by_day: dict[object, m.Tally] = {}
    for contact in COHORT:
        by_day.setdefault(contact.started_at.date(), m.Tally()).add(contact)
    total = m.Tally()
    for day in by_day.values():
        total += m.Tally.from_vector(day.to_vector(), day.reasons)  # as stored in a rollup row
    assert total == WEEK_TALLY
    assert sum(len(day.to_vector()) for day in by_day.values()) == m.VECTOR_WIDTH * len(by_day)
    with pytest.raises(ValueError, match="numbers"):
        m.Tally.from_vector([1, 2, 3])


def test_service_level_is_exact_at_a_bin_edge_and_refuses_other_targets() -> None:
    with pytest.raises(ValueError, match="one of"):
        m.service_level(WEEK_TALLY, answer_seconds=100)
    assert m.median_of([0] * len(m.WAIT_EDGES) + [0]) is None

"""Forecasts beat seasonal-naive on a generated year; a history file with a gap, a word for a count or the
wrong header is refused with its line; shifts and breaks cover every interval with the fewest people; the
what-if puts a price on the bot."""

from __future__ import annotations

from pathlib import Path

import pytest

from tandem.wfm.erlang import Target
from tandem.wfm.forecast import ForecastInputError, Series, backtest, forecast, generated_history
from tandem.wfm.history import read_csv
from tandem.wfm.plan import Prices, mix_containment, staffing_plan, validate_busiest, what_if
from tandem.wfm.schedule import ScheduleInputError, ShiftRules, schedule


def test_a_year_with_weekly_and_daily_seasons_is_forecast_better_than_seasonal_naive() -> None:
    year = generated_history(365, interval_minutes=15, seed=11)
    found = backtest(year, held_out_days=28)
    assert found.beats_naive
    assert found.model.wape is not None and found.seasonal_naive.wape is not None
    assert found.model.wape < 0.9 * found.seasonal_naive.wape
    ahead = forecast(year, 7)
    assert len(ahead) == 7 * 96 and (ahead >= 0).all()
    weekday, sunday = ahead[:96].sum(), ahead[6 * 96 :].sum()  # the year starts on a Monday: so does the week
    assert sunday < weekday  # the weekly season survives


def test_too_little_history_says_how_much_is_needed() -> None:
    short = generated_history(10, interval_minutes=60)
    with pytest.raises(ForecastInputError, match="at least 14 whole days"):
        forecast(short, 7)
    with pytest.raises(ForecastInputError, match="needs at least 28 days"):
        backtest(generated_history(20, interval_minutes=60), 14)
    with pytest.raises(ForecastInputError, match="interval must be one of 15, 30, 60"):
        Series(short.start, 20, short.counts)


def _write(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_history_file_is_read_and_its_mistakes_named_by_line(tmp_path: Path) -> None:
    day = [f"2026-11-02T{h:02d}:00:00,{h}" for h in range(24)]
    good = read_csv(_write(tmp_path / "good.csv", ["start,volume", *day, *[r.replace("11-02", "11-03") for r in day]]),
                    interval_minutes=60)  # fmt: skip
    assert good.days == 2 and good.counts[:3] == (0.0, 1.0, 2.0)
    gap = _write(tmp_path / "gap.csv", ["start,volume", *day[:5], *day[6:]])
    with pytest.raises(ForecastInputError, match=r"2026-11-02T05:00:00.* is missing"):
        read_csv(gap, interval_minutes=60)
    word = _write(tmp_path / "word.csv", ["start,volume", day[0], "2026-11-02T01:00:00,lots"])
    with pytest.raises(ForecastInputError, match="line 3: volume 'lots' is not a number"):
        read_csv(word, interval_minutes=60)
    header = _write(tmp_path / "header.csv", ["when,count", "2026-11-02T00:00:00,1"])
    with pytest.raises(ForecastInputError, match="missing column"):
        read_csv(header, interval_minutes=60)
    off = _write(tmp_path / "off.csv", ["start,volume", "2026-11-02T00:10:00,1"])
    with pytest.raises(ForecastInputError, match=r"line 2: .* not on a 30-minute boundary"):
        read_csv(off, interval_minutes=30)


def test_shifts_and_breaks_cover_every_interval_with_the_fewest_people() -> None:
    required = [1] * 16 + [4] * 8 + [9] * 16 + [6] * 16 + [3] * 16 + [1] * 24  # a day of 15-minute intervals
    found = schedule(required, interval_minutes=15)
    assert found.status == "optimal" and sum(found.shortfall) == 0
    assert all(c >= r for c, r in zip(found.coverage, required, strict=True))
    assert found.people <= sum(required) / 28 * 2 + 6  # far fewer than one person per peak interval
    for shift in found.shifts:  # every break inside its window
        assert 12 <= shift.break_start - shift.start <= 20


def test_impossible_rules_and_too_few_people_are_reported() -> None:
    with pytest.raises(ScheduleInputError, match="multiple of the 60-minute interval"):
        schedule([1] * 24, interval_minutes=60, rules=ShiftRules(break_minutes=30))
    capped = schedule([1000] + [0] * 47, interval_minutes=30, rules=ShiftRules(max_people=2))
    assert (
        capped.shortfall[0] > 0 and capped.coverage[0] + capped.shortfall[0] == 1000
    )  # reported, not hidden


def test_the_what_if_prices_the_bot() -> None:
    volumes = [40.0] * 32 + [10.0] * 16
    target = Target(service_level=0.8, answer_seconds=60, shrinkage=0.3, max_occupancy=0.85)
    scenarios = {s.name: s for s in what_if(
        volumes, interval_minutes=30, aht_seconds=300, target=target,
        containments={"with the bot": 0.6, "target": 0.75}, prices=Prices(agent_hour=30, bot_conversation=0.1),
    )}  # fmt: skip
    none, bot, better = scenarios["no bot"], scenarios["with the bot"], scenarios["target"]
    assert none.agent_hours > bot.agent_hours > better.agent_hours
    assert none.bot_cost == 0 and bot.bot_cost == pytest.approx(sum(volumes) * 0.1)
    assert 0 < bot.savings < better.savings and none.savings == 0
    assert bot.cost_per_contact is not None and none.cost_per_contact is not None
    assert bot.cost_per_contact < none.cost_per_contact
    plan = staffing_plan([0.0, 20.0], interval_minutes=30, aht_seconds=300, target=target)
    assert plan[0].agents == 0 and plan[1].agents > 0  # a quiet interval needs nobody


def test_the_busiest_interval_simulated_with_the_scheduled_people_keeps_the_promise() -> None:
    volumes = [20.0] * 8 + [120.0] * 8 + [60.0] * 8  # contacts per 30 minutes
    target = Target(service_level=0.8, answer_seconds=30, shrinkage=0.25)
    plan = staffing_plan(volumes, interval_minutes=30, aht_seconds=240, target=target, containment=0.5)
    shifts = schedule([s.agents for s in plan], interval_minutes=30)
    checked = validate_busiest(volumes, shifts.coverage, interval_minutes=30, aht_seconds=240, target=target,
                               containment=0.5)  # fmt: skip
    assert checked is not None and checked.interval == 8
    assert checked.promised_service_level >= 0.8
    assert abs(checked.achieved_service_level - checked.promised_service_level) < 0.03
    assert (
        validate_busiest(
            [0.0, 0.0], [0, 0], interval_minutes=30, aht_seconds=240, target=target, containment=0
        )
        is None
    )


def test_each_kind_of_contact_brings_its_own_containment_to_its_hours() -> None:
    per_week = 7 * 24  # hourly
    daytime = [10.0 if 9 <= h % 24 < 17 else 0.0 for h in range(2 * per_week)]  # two weeks of history
    night = [4.0 if h % 24 < 6 else 0.0 for h in range(2 * per_week)]
    both = [5.0 if h % 24 == 12 else 0.0 for h in range(2 * per_week)]
    mixed = mix_containment(
        {"web/order_status": daytime, "web/refund_status": night, "email/refund_status": both},
        {"web/order_status": 0.9, "web/refund_status": 0.1},  # e-mail refunds never measured: the default
        default=0.5,
        per_week=per_week,
    )
    assert mixed[10] == pytest.approx(0.9) and mixed[3] == pytest.approx(0.1)
    assert mixed[12] == pytest.approx((10 * 0.9 + 5 * 0.5) / 15)  # noon: order status and e-mail refunds
    assert mixed[20] == 0.5  # nobody writes at 8 pm: the default
    thin = mix_containment({"web/refund_status": [1.0] + [0.0] * (per_week - 1)}, {"web/refund_status": 0.1},
                           default=0.5, per_week=per_week, prior=3)  # fmt: skip
    assert thin[0] == pytest.approx((0.1 + 3 * 0.5) / 4)  # one contact does not decide its hour
    plan = staffing_plan(
        [40.0, 40.0], interval_minutes=60, aht_seconds=300, target=Target(), containment=[0.9, 0.1]
    )
    assert plan[0].agents < plan[1].agents  # the same volume, less reaching people

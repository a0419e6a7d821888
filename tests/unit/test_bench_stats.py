"""The benchmark's statistics, against worked examples (NumPy's "linear" percentile definition)."""

from __future__ import annotations

import pytest

from tandem.bench.stats import compute_median, compute_percentile, compute_ratio


def test_percentile_interpolates_linearly_between_closest_ranks() -> None:
    # Positions (n-1)*q: 3 * 0.25 = 0.75 -> 1 + 0.75 * (2 - 1)
    assert compute_percentile([4.0, 1.0, 3.0, 2.0], 25) == pytest.approx(1.75)
    assert compute_percentile([1.0, 2.0, 3.0, 4.0], 90) == pytest.approx(3.7)


def test_percentile_ends_are_min_and_max() -> None:
    values = [5.0, 1.0, 9.0]
    assert compute_percentile(values, 0) == 1.0
    assert compute_percentile(values, 100) == 9.0


def test_percentile_of_one_value_is_that_value() -> None:
    assert compute_percentile([7.5], 99) == 7.5


def test_p99_of_a_hundred_values_sits_just_below_the_largest() -> None:
    values = [float(v) for v in range(1, 101)]
    assert compute_percentile(values, 99) == pytest.approx(99.01)
    assert compute_percentile(values, 50) == pytest.approx(50.5)


def test_percentile_does_not_reorder_its_input() -> None:
    values = [3.0, 1.0, 2.0]
    compute_percentile(values, 50)
    assert values == [3.0, 1.0, 2.0]


@pytest.mark.parametrize("q", [-1, 100.5, float("nan")])
def test_percentile_rejects_out_of_range_q(q: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 100"):
        compute_percentile([1.0], q)


def test_percentile_rejects_an_empty_sample() -> None:
    with pytest.raises(ValueError, match="empty"):
        compute_percentile([], 50)


def test_median_of_odd_count_is_the_middle_value() -> None:
    assert compute_median([300.0, 100.0, 200.0]) == 200.0


def test_median_of_even_count_is_the_mean_of_the_two_middle_values() -> None:
    assert compute_median([1.0, 2.0, 3.0, 10.0]) == 2.5


def test_ratio_is_zero_when_the_baseline_is_zero() -> None:
    assert compute_ratio(5.0, 0.0) == 0.0
    assert compute_ratio(40.0, 100.0) == pytest.approx(0.4)

"""Contact volume forecasts per 15-, 30- or 60-minute interval, pure.

The model is the one planners use: daily totals by Holt-Winters exponential smoothing with a weekly
season (statsmodels), spread over the day by each weekday's intraday profile from the recent weeks. The
baseline is seasonal-naive (the same interval a week earlier). A backtest holds out the last weeks, fits
on the rest and reports MAPE and WAPE for both.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from tandem.core.errors import InvalidInputError

INTERVALS = (15, 30, 60)
PROFILE_WEEKS = 6  # the intraday profile: the last six of each weekday


class ForecastInputError(InvalidInputError):
    """History that cannot be forecast from; the message says why and where."""


@dataclass(frozen=True)
class Series:
    """Counts per interval from ``start`` (midnight UTC), every interval present."""

    start: datetime
    interval_minutes: int
    counts: tuple[float, ...]

    def __post_init__(self) -> None:
        if self.interval_minutes not in INTERVALS:
            raise ForecastInputError(f"interval must be one of {', '.join(map(str, INTERVALS))} minutes")
        if self.start.hour or self.start.minute or self.start.second:
            raise ForecastInputError(f"the history must start at midnight, not {self.start.isoformat()}")
        if any(not math.isfinite(c) or c < 0 for c in self.counts):
            raise ForecastInputError("counts must be numbers of 0 or more")

    @property
    def per_day(self) -> int:
        return 24 * 60 // self.interval_minutes

    @property
    def days(self) -> int:
        return len(self.counts) // self.per_day

    def at(self, index: int) -> datetime:
        return self.start + timedelta(minutes=self.interval_minutes * index)


@dataclass(frozen=True)
class Accuracy:
    mape: float | None  # mean absolute percentage error over intervals with contacts
    wape: float | None  # sum of absolute errors over the sum of actuals (the planners' figure)


@dataclass(frozen=True)
class Backtest:
    held_out_days: int
    model: Accuracy
    seasonal_naive: Accuracy

    @property
    def beats_naive(self) -> bool:
        return (
            self.model.wape is not None
            and self.seasonal_naive.wape is not None
            and (self.model.wape < self.seasonal_naive.wape)
        )


def forecast(history: Series, days: int) -> np.ndarray:
    """Counts per interval for the ``days`` after the history (whole days; at least two weeks of history)."""
    if days < 1:
        raise ForecastInputError("forecast at least one day")
    if history.days < 14:
        raise ForecastInputError(f"at least 14 whole days of history are needed; there are {history.days}")
    per_day = history.per_day
    usable = history.days * per_day
    counts = np.asarray(history.counts[len(history.counts) - usable :], dtype=float).reshape(-1, per_day)
    first_weekday = (history.start.weekday() + (history.days * per_day - usable) // per_day) % 7
    totals = counts.sum(axis=1)
    daily = _daily_totals(totals, days)
    profiles = _profiles(counts, first_weekday)
    out = np.empty(days * per_day)
    for day in range(days):
        weekday = (first_weekday + history.days + day) % 7
        out[day * per_day : (day + 1) * per_day] = daily[day] * profiles[weekday]
    return out


def seasonal_naive(history: Series, days: int) -> np.ndarray:
    """The same interval one week earlier (repeated for longer horizons)."""
    week = 7 * history.per_day
    if len(history.counts) < week:
        raise ForecastInputError("seasonal-naive needs a whole week of history")
    last_week = np.asarray(history.counts[-week:], dtype=float)
    return np.resize(last_week, days * history.per_day)


def accuracy(actual: Sequence[float] | np.ndarray, predicted: Sequence[float] | np.ndarray) -> Accuracy:
    a, p = np.asarray(actual, dtype=float), np.asarray(predicted, dtype=float)
    errors = np.abs(a - p)
    busy = a > 0
    mape = float(np.mean(errors[busy] / a[busy])) if busy.any() else None
    wape = float(errors.sum() / a.sum()) if a.sum() > 0 else None
    return Accuracy(mape, wape)


def backtest(history: Series, held_out_days: int = 14) -> Backtest:
    """Fit on all but the last ``held_out_days``, forecast them, compare with what happened."""
    per_day = history.per_day
    if history.days < held_out_days + 14:
        raise ForecastInputError(
            f"a backtest of {held_out_days} days needs at least {held_out_days + 14} days of history; "
            f"there are {history.days}"
        )
    cut = len(history.counts) - held_out_days * per_day
    train = Series(history.start, history.interval_minutes, history.counts[:cut])
    actual = history.counts[cut : cut + held_out_days * per_day]
    return Backtest(
        held_out_days=held_out_days,
        model=accuracy(actual, forecast(train, held_out_days)),
        seasonal_naive=accuracy(actual, seasonal_naive(train, held_out_days)),
    )


def _daily_totals(totals: np.ndarray, days: int) -> np.ndarray:
    """Holt-Winters (additive trend, damped; multiplicative weekly season) on daily totals; a series with
    zeros, or too short for it, falls back to the weekday means of the last weeks."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    if len(totals) >= 21 and (totals > 0).all():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence chatter; the backtest judges the result
            fitted = ExponentialSmoothing(
                totals, trend="add", damped_trend=True, seasonal="mul", seasonal_periods=7,
                initialization_method="estimated",
            ).fit()  # fmt: skip
        found = np.asarray(fitted.forecast(days), dtype=float)
        if np.isfinite(found).all():
            floored: np.ndarray = np.maximum(found, 0.0)
            return floored
    weeks = totals[-(len(totals) // 7) * 7 :].reshape(-1, 7)[-PROFILE_WEEKS:]
    means = weeks.mean(axis=0)
    return np.resize(means, days)


def _profiles(counts: np.ndarray, first_weekday: int) -> np.ndarray:
    """Each weekday's share of its day per interval, over its last ``PROFILE_WEEKS`` occurrences (a
    weekday without contacts: flat)."""
    per_day = counts.shape[1]
    profiles = np.full((7, per_day), 1 / per_day)
    for weekday in range(7):
        rows = [d for d in range(counts.shape[0]) if (first_weekday + d) % 7 == weekday][-PROFILE_WEEKS:]
        summed = counts[rows].sum(axis=0)
        if summed.sum() > 0:
            profiles[weekday] = summed / summed.sum()
    return profiles


def generated_history(
    days: int, *, interval_minutes: int = 15, seed: int = 0, daily_mean: float = 900.0
) -> Series:
    """A synthetic history with weekly and daily seasonality, a slow trend, holidays-free noise: for tests,
    benchmarks and demos."""
    rng = np.random.default_rng(seed)
    per_day = 24 * 60 // interval_minutes
    hours = (np.arange(per_day) + 0.5) * interval_minutes / 60
    shape = np.exp(-((hours - 11) ** 2) / 8) + 0.8 * np.exp(-((hours - 15.5) ** 2) / 6) + 0.04
    shape /= shape.sum()
    weekly = np.array([1.15, 1.1, 1.05, 1.0, 0.95, 0.6, 0.5])
    start = datetime(2025, 1, 6)  # a Monday
    counts = []
    for day in range(days):
        mean = daily_mean * weekly[(start + timedelta(days=day)).weekday()] * (1 + 0.15 * day / 365)
        counts.extend(rng.poisson(mean * shape * rng.gamma(50, 1 / 50)))
    from datetime import UTC

    return Series(start.replace(tzinfo=UTC), interval_minutes, tuple(float(c) for c in counts))

"""Pure statistics for benchmark figures: no I/O, so they are unit-tested against worked examples."""

from __future__ import annotations

import math
from collections.abc import Sequence


def compute_percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation between the closest ranks.

    The same definition as NumPy's default ("linear"), so figures are comparable with other tools.
    """
    if not values:
        raise ValueError("percentile of an empty sample")
    if not 0 <= q <= 100 or math.isnan(q):
        raise ValueError(f"percentile must be between 0 and 100, not {q}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    fraction = position - lower
    return ordered[lower] + (ordered[upper] - ordered[lower]) * fraction


def compute_median(values: Sequence[float]) -> float:
    """The median: the middle value, or the mean of the two middle values."""
    return compute_percentile(values, 50)


def compute_ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, 0 when the denominator is 0 (a failed baseline must not crash a report)."""
    return numerator / denominator if denominator > 0 else 0.0

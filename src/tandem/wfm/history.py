"""Volume history from a CSV file (``start,volume`` and optionally ``channel,intent``), checked line by
line: a bad timestamp, a count that is not a number, or a missing interval is named with its line."""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tandem.wfm.forecast import ForecastInputError, Series

REQUIRED = ("start", "volume")


def read_csv(
    path: Path, *, interval_minutes: int, channel: str | None = None, intent: str | None = None
) -> Series:
    """Counts per interval (rows of the same interval are added up, e.g. over channels), filtered by
    ``channel``/``intent`` when the file has those columns. The history is cut to whole days."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ForecastInputError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise ForecastInputError(f"{path}: not UTF-8 text") from None
    rows = csv.DictReader(text.splitlines())
    columns = rows.fieldnames or []
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise ForecastInputError(
            f"{path}: missing column(s) {', '.join(missing)}; the header must have start,volume"
        )
    for name, wanted in (("channel", channel), ("intent", intent)):
        if wanted is not None and name not in columns:
            raise ForecastInputError(f"{path}: --{name} needs a '{name}' column")
    step = timedelta(minutes=interval_minutes)
    counts: dict[datetime, float] = defaultdict(float)
    for line, row in enumerate(rows, start=2):
        if (channel is not None and row.get("channel") != channel) or (
            intent is not None and row.get("intent") != intent
        ):
            continue
        try:
            start = datetime.fromisoformat((row["start"] or "").strip())
        except ValueError:
            raise ForecastInputError(
                f"{path}, line {line}: start {row['start']!r} is not an ISO date and time"
            ) from None
        start = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
        try:
            volume = float((row["volume"] or "").strip())
        except ValueError:
            raise ForecastInputError(
                f"{path}, line {line}: volume {row['volume']!r} is not a number"
            ) from None
        if not math.isfinite(volume) or volume < 0:
            raise ForecastInputError(f"{path}, line {line}: volume must be 0 or more, not {row['volume']}")
        if (start - start.replace(hour=0, minute=0, second=0, microsecond=0)) % step:
            raise ForecastInputError(
                f"{path}, line {line}: {start.isoformat()} is not on a {interval_minutes}-minute boundary"
            )
        counts[start] += volume
    if not counts:
        raise ForecastInputError(
            f"{path}: no rows" + (" for that channel or intent" if channel or intent else "")
        )
    first = min(counts).replace(hour=0, minute=0, second=0, microsecond=0)
    last = max(counts)
    per_day = 24 * 60 // interval_minutes
    days = ((last - first) // step + 1) // per_day
    series = []
    for index in range(days * per_day):
        at = first + index * step
        if at not in counts:
            raise ForecastInputError(
                f"{path}: the interval starting {at.isoformat()} is missing (every interval needs a row, 0 if quiet)"
            )
        series.append(counts[at])
    return Series(first, interval_minutes, tuple(series))

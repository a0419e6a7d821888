"""``tandem bench wfm``: a week of 15-minute intervals (672) staffed with Erlang C and Erlang A, side by
side with pyworkforce in the same run. pyworkforce's Erlang A needs Python 3.12: when this interpreter is
older, it runs in a Python 3.12 subprocess that has pyworkforce (``--peer-python``), or is reported as
not run."""

from __future__ import annotations

import json
import math
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tandem.bench.errors import BenchError
from tandem.wfm.erlang import Demand, Target, staff_erlang_a, staff_erlang_c

INTERVAL_MINUTES = 15
AHT_SECONDS = 240.0
PATIENCE_SECONDS = 120.0
TARGET = Target(service_level=0.8, answer_seconds=20.0)

PEER_SCRIPT = """
import json, sys, time
from pyworkforce.queuing import ErlangA
data = json.load(sys.stdin)
started = time.perf_counter()
counts = [ErlangA(transactions=v, aht=data["aht"], asa=data["asa"], interval=data["interval"],
                  patience=data["patience"]).required_positions(service_level=data["sl"])["raw_positions"]
          for v in data["volumes"]]
print(json.dumps({"ms": (time.perf_counter() - started) * 1000, "counts": counts}))
"""


@dataclass
class WfmBenchResult:
    intervals: int
    erlang_c_ms: float
    erlang_a_ms: float
    peer_erlang_c_ms: float | None
    peer_erlang_a_ms: float | None
    agent_counts_equal: bool | None  # Erlang C and (when run) Erlang A, against pyworkforce
    erlang_c_counts_equal: bool | None
    erlang_a_counts_equal: bool | None
    speedup_c: float | None
    speedup_a: float | None
    peak_agents_c: int
    peak_agents_a: int
    peer: str
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def week_volumes(daily_mean: float = 6000.0) -> list[float]:
    """Expected contacts per 15 minutes over a week: busy weekday late mornings and afternoons, quiet
    nights and weekends (positive everywhere, as the peer requires)."""
    per_day = 24 * 60 // INTERVAL_MINUTES
    shape = [
        math.exp(-((h - 11) ** 2) / 8) + 0.8 * math.exp(-((h - 15.5) ** 2) / 6) + 0.04
        for h in ((i + 0.5) * INTERVAL_MINUTES / 60 for i in range(per_day))
    ]
    total = sum(shape)
    weekly = (1.15, 1.1, 1.05, 1.0, 0.95, 0.6, 0.5)
    return [daily_mean * weekly[day] * s / total for day in range(7) for s in shape]


def _timed(run: Callable[[], list[int]], rounds: int) -> tuple[float, list[int]]:
    times, counts = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        counts = run()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 2), counts


def run_wfm_benchmark(
    *,
    rounds: int = 3,
    peer_python: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> WfmBenchResult:
    report = progress or (lambda stage, done, total: None)
    volumes = week_volumes()
    demands = [Demand(v, INTERVAL_MINUTES * 60, AHT_SECONDS) for v in volumes]
    report("Erlang C", 0, 1)
    c_ms, ours_c = _timed(lambda: [staff_erlang_c(d, TARGET).positions for d in demands], rounds)
    report("Erlang C", 1, 1)
    report("Erlang A", 0, 1)
    a_ms, ours_a = _timed(
        lambda: [staff_erlang_a(d, TARGET, PATIENCE_SECONDS).positions for d in demands], rounds
    )
    report("Erlang A", 1, 1)
    notes: list[str] = []
    peer_c_ms = peer_c = None
    try:
        from pyworkforce.queuing import ErlangC

        def peer_erlang_c() -> list[int]:
            return [
                ErlangC(
                    transactions=v,
                    aht=AHT_SECONDS / 60,
                    asa=TARGET.answer_seconds / 60,
                    interval=INTERVAL_MINUTES,
                ).required_positions(service_level=TARGET.service_level)["raw_positions"]
                for v in volumes
            ]

        report("pyworkforce C", 0, 1)
        peer_c_ms, peer_c = _timed(peer_erlang_c, rounds)
        report("pyworkforce C", 1, 1)
    except ImportError:
        notes.append("pyworkforce is not installed (pip install -e '.[dev]'): no Erlang C comparison")
    report("pyworkforce A", 0, 1)
    peer_a_ms, peer_a, peer = _peer_erlang_a(volumes, peer_python, notes)
    report("pyworkforce A", 1, 1)
    c_equal = None if peer_c is None else peer_c == ours_c
    a_equal = None if peer_a is None else peer_a == ours_a
    if c_equal is False:
        notes.append(
            f"Erlang C differs in {sum(p != o for p, o in zip(peer_c or [], ours_c, strict=True))} intervals"
        )
    if a_equal is False:
        notes.append(
            f"Erlang A differs in {sum(p != o for p, o in zip(peer_a or [], ours_a, strict=True))} intervals"
        )
    checked = [x for x in (c_equal, a_equal) if x is not None]
    return WfmBenchResult(
        intervals=len(volumes),
        erlang_c_ms=c_ms,
        erlang_a_ms=a_ms,
        peer_erlang_c_ms=peer_c_ms,
        peer_erlang_a_ms=peer_a_ms,
        agent_counts_equal=all(checked) if checked else None,
        erlang_c_counts_equal=c_equal,
        erlang_a_counts_equal=a_equal,
        speedup_c=round(peer_c_ms / c_ms, 1) if peer_c_ms else None,
        speedup_a=round(peer_a_ms / a_ms, 1) if peer_a_ms else None,
        peak_agents_c=max(ours_c),
        peak_agents_a=max(ours_a),
        peer=peer,
        notes=notes,
    )


def _peer_erlang_a(
    volumes: Sequence[float], peer_python: str | None, notes: list[str]
) -> tuple[float | None, list[int] | None, str]:
    """pyworkforce's Erlang A here when it has one, else in ``peer_python`` (or a python3.12 found)."""
    try:
        from pyworkforce.queuing import ErlangA  # 0.5.2+, Python 3.12+

        started = time.perf_counter()
        minutes = {
            "aht": AHT_SECONDS / 60,
            "asa": TARGET.answer_seconds / 60,
            "patience": PATIENCE_SECONDS / 60,
        }
        counts = [
            ErlangA(transactions=v, interval=INTERVAL_MINUTES, **minutes).required_positions(
                service_level=TARGET.service_level
            )["raw_positions"]
            for v in volumes
        ]
        return round((time.perf_counter() - started) * 1000, 2), counts, "pyworkforce (this Python)"
    except ImportError:
        pass
    python = peer_python or _find_python312()
    if python is not None and not Path(python).exists():
        notes.append(f"no Python at {python}: pyworkforce's Erlang A was not run")
        return None, None, "none"
    if python is None:
        notes.append("pyworkforce's Erlang A needs Python 3.12 with pyworkforce; none found (--peer-python)")
        return None, None, "none"
    payload = {
        "volumes": list(volumes), "aht": AHT_SECONDS / 60, "asa": TARGET.answer_seconds / 60,
        "interval": INTERVAL_MINUTES, "patience": PATIENCE_SECONDS / 60, "sl": TARGET.service_level,
    }  # fmt: skip
    try:
        done = subprocess.run(
            [python, "-c", PEER_SCRIPT], input=json.dumps(payload), capture_output=True, text=True,
            timeout=600, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BenchError(f"the peer Python {python} did not run: {exc}") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        notes.append(f"pyworkforce's Erlang A did not run in {python}: {last[:200]}")
        return None, None, "none"
    found = json.loads(done.stdout.strip().splitlines()[-1])
    notes.append(f"pyworkforce's Erlang A ran in {python} (a separate process; timed inside it)")
    return round(float(found["ms"]), 2), [int(c) for c in found["counts"]], f"pyworkforce ({python})"


def _find_python312() -> str | None:
    for candidate in (
        shutil.which("python3.12"),
        "/root/.pyenv/versions/3.12.1/bin/python",
        "/usr/bin/python3.12",
    ):
        if candidate and Path(candidate).exists():
            probe = subprocess.run(
                [candidate, "-c", "from pyworkforce.queuing import ErlangA"], capture_output=True, check=False
            )
            if probe.returncode == 0:
                return candidate
    return None

"""`tandem wfm` and `tandem bench wfm` from the command line: the keys the issue names, a plan with its
shifts written as CSV, and bad input as one line with exit 2, never a traceback."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from tandem.cli.main import app
from tandem.wfm.forecast import generated_history

runner = CliRunner()


def _history_csv(path: Path, days: int = 42) -> Path:
    history = generated_history(days, interval_minutes=60, seed=5, daily_mean=300)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["start", "volume"])
        for i, count in enumerate(history.counts):
            writer.writerow([history.at(i).isoformat(), int(count)])
    return path


def test_staff_prints_the_promised_keys() -> None:
    args = ["wfm", "staff", "--volume", "100", "--interval-minutes", "30", "--aht-seconds", "180",
            "--service-level", "0.8", "--answer-seconds", "20", "--json"]  # fmt: skip
    erlang_c = json.loads(runner.invoke(app, args).stdout)
    assert erlang_c["agents"] == 14 and erlang_c["service_level"] == 0.8884 and "abandonment" not in erlang_c
    assert {"agents", "service_level", "asa_seconds", "occupancy"} <= set(erlang_c)
    erlang_a = json.loads(runner.invoke(app, [*args, "--patience-seconds", "300"]).stdout)
    assert erlang_a["agents"] == 13 and erlang_a["abandonment"] == 0.025


def test_bad_input_is_one_line_and_exit_2() -> None:
    for args, says in (
        (["--volume", "100", "--aht-seconds", "0"], "aht_seconds must be more than 0"),
        (["--volume", "100", "--service-level", "1.5"], "service_level must be between 0 and 1"),
        (["--volume", "100", "--answer-seconds", "-3"], "answer_seconds must be 0 or more"),
    ):
        result = runner.invoke(app, ["wfm", "staff", *args])
        assert result.exit_code == 2 and says in result.output and "Traceback" not in result.output


def test_forecast_and_plan_from_a_history_file(tmp_path: Path) -> None:
    history = _history_csv(tmp_path / "history.csv")
    forecast = runner.invoke(app, ["wfm", "forecast", "--csv", str(history), "--interval-minutes", "60",
                                   "--days", "7", "--json"])  # fmt: skip
    assert forecast.exit_code == 0, forecast.output
    found = json.loads(forecast.stdout)
    assert found["beats_naive"] is True and len(found["forecast"]) == 7 * 24
    shifts = tmp_path / "shifts.csv"
    planned = runner.invoke(app, ["wfm", "plan", "--csv", str(history), "--interval-minutes", "60", "--days", "2",
                                  "--containment", "0.6", "--target-containment", "0.8", "-o", str(shifts),
                                  "--json"], env={"TANDEM_DATA_DIR": str(tmp_path)})  # fmt: skip
    assert planned.exit_code == 0, planned.output
    plan = json.loads(planned.stdout.strip().splitlines()[-1])
    names = [s["name"] for s in plan["scenarios"]]
    assert names == ["no bot", "with the bot", "target"] and plan["shortfall_intervals"] == 0
    assert plan["scenarios"][2]["savings"] > plan["scenarios"][1]["savings"] > 0
    rows = list(csv.DictReader(shifts.read_text(encoding="utf-8").splitlines()))
    assert sum(int(r["people"]) for r in rows) == plan["people_scheduled"]
    broken = tmp_path / "broken.csv"
    broken.write_text("start,volume\n2026-11-02T00:00:00,ten\n", encoding="utf-8")
    refused = runner.invoke(app, ["wfm", "forecast", "--csv", str(broken), "--interval-minutes", "60"])
    assert refused.exit_code == 2 and "line 2: volume 'ten' is not a number" in " ".join(
        refused.output.split()
    )


def test_the_benchmark_prints_its_keys() -> None:
    result = runner.invoke(
        app, ["bench", "wfm", "--rounds", "1", "--peer-python", "/nonexistent/python", "--json"]
    )
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 0:
        found = json.loads(result.stdout.strip().splitlines()[-1])
        assert {
            "erlang_c_ms",
            "erlang_a_ms",
            "peer_erlang_c_ms",
            "peer_erlang_a_ms",
            "agent_counts_equal",
        } <= set(found)
        assert found["intervals"] == 672 and found["erlang_c_counts_equal"] is True
    else:
        assert "did not run" in result.output

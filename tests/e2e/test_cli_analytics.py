"""`tandem simulate`, `tandem analytics` and `tandem bench analytics` on scratch data: simulated traffic
through the real services reaches the figures; a non-demo database is refused; the benchmark prints the
keys it promises and its rollup figures equal the scan's."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tandem.cli.main import app

runner = CliRunner()


def _env(tmp_path: Path, **more: str) -> dict[str, str]:
    return {"TANDEM_DATA_DIR": str(tmp_path), "TANDEM_BOT_INTENT_BACKEND": "ngram", "TANDEM_LOG_LEVEL": "warning",
            **more}  # fmt: skip


def test_simulated_traffic_reaches_the_figures(tmp_path: Path) -> None:
    simulated = runner.invoke(app, ["simulate", "--conversations", "12", "--days", "2", "--seed", "4", "--json"],
                              env=_env(tmp_path))  # fmt: skip
    assert simulated.exit_code == 0, simulated.output
    report = json.loads(simulated.stdout.strip().splitlines()[-1])
    assert report["conversations"] == 12 and report["skipped"] == 0
    assert report["resolved_by_bot"] + report["handed_over"] + report["abandoned"] >= 12
    shown = runner.invoke(app, ["analytics", "show", "--json"], env=_env(tmp_path))
    assert shown.exit_code == 0, shown.output
    dashboard = json.loads(shown.stdout)
    assert dashboard["funnel"][0]["count"] == 12
    table = runner.invoke(app, ["analytics", "show"], env=_env(tmp_path))
    assert "Containment" in table.output and "95 % interval" in table.output
    rebuilt = runner.invoke(app, ["analytics", "rebuild"], env=_env(tmp_path))
    assert rebuilt.exit_code == 0 and "days rolled up" in rebuilt.output


def test_simulate_refuses_a_database_that_is_not_a_demo(tmp_path: Path) -> None:
    refused = runner.invoke(app, ["simulate", "-n", "3"], env=_env(tmp_path, TANDEM_DEMO="false"))
    assert refused.exit_code == 2 and "--force" in refused.output and "Traceback" not in refused.output
    bad = runner.invoke(
        app, ["analytics", "show", "--start", "2026-11-20", "--end", "2026-11-01"], env=_env(tmp_path)
    )
    assert bad.exit_code == 2 and "before the start" in " ".join(bad.output.split())


def test_the_benchmark_prints_its_keys_and_the_rollups_match_the_scan(tmp_path: Path) -> None:
    found = runner.invoke(
        app, ["bench", "analytics", "--conversations", "3000", "--rounds", "2", "--database", "sqlite", "--json"],
        env=_env(tmp_path),
    )  # fmt: skip
    assert found.exit_code == 0, found.output
    result = json.loads(found.stdout.strip().splitlines()[-1])
    assert {"conversations", "seconds", "database"} <= set(result)
    assert result["conversations"] == 3000 and result["database"] == "sqlite"
    assert result["figures_match"] is True and result["window_conversations"] > 0
    unknown = runner.invoke(app, ["bench", "analytics", "--database", "oracle"], env=_env(tmp_path))
    assert unknown.exit_code == 2 and "allowed: sqlite, postgresql, both" in unknown.output


def test_the_bot_estimates_its_out_of_scope_share_from_the_deployments_own_messages(tmp_path: Path) -> None:
    empty = runner.invoke(app, ["bot", "operating-point", "--from-history", "30"], env=_env(tmp_path))
    assert empty.exit_code == 2 and "no customer messages in the last 30 days" in empty.output
    simulated = runner.invoke(app, ["simulate", "--conversations", "12", "--days", "2", "--seed", "4"],
                              env=_env(tmp_path))  # fmt: skip
    assert simulated.exit_code == 0, simulated.output
    found = runner.invoke(
        app, ["bot", "operating-point", "--from-history", "30", "--json"], env=_env(tmp_path)
    )
    assert found.exit_code == 0, found.output
    point = json.loads(found.stdout.strip().splitlines()[-1])
    assert (
        point["oos_share_source"].startswith("estimated from")
        and "unlabelled messages" in point["oos_share_source"]
    )
    assert 0.0 <= point["oos_share_assumed"] <= 0.95 and 0.0 <= point["threshold"] <= 1.0
    table = runner.invoke(app, ["bot", "operating-point", "--from-history", "30"], env=_env(tmp_path))
    assert "TANDEM_BOT_OOS_SHARE=" in table.output

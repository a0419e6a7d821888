"""The Tier-0 commands as an operator runs them: figures as JSON, clear errors, replays of transcripts."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tandem.cli.main import app

runner = CliRunner()


def _said(output: str) -> str:
    """The output with Rich's line wrapping undone."""
    return " ".join(output.split())


ROWS = {
    "order_status": [
        "where is my order",
        "track my parcel",
        "has my package shipped",
        "when does my order arrive",
        "order status",
        "is my delivery on its way",
        "where's my stuff",
        "tracking number please",
    ],
    "return_item": [
        "return a jumper",
        "send something back",
        "return this dress",
        "shoes don't fit, return",
        "exchange for another size",
        "start a return",
        "return my order",
        "return label please",
    ],
}


def _csv(tmp_path: Path, name: str = "train.csv") -> Path:
    lines = ["text,category", *[f"{text},{intent}" for intent, texts in ROWS.items() for text in texts]]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_bench_intents_prints_the_figures_as_json(tmp_path: Path) -> None:
    path = _csv(tmp_path)
    unseen = tmp_path / "test.csv"
    unseen.write_text(
        "text,category\nhas my parcel left the warehouse,order_status\nwhere's my order at,order_status\n"
        "i want to send these shoes back,return_item\nhow do i return a coat,return_item\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app, ["bench", "intents", "--train", str(path), "--test", str(unseen), "--backend", "ngram", "--json"]
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    expected = {
        "accuracy",
        "in_scope_accuracy",
        "oos_recall",
        "oos_precision",
        "macro_f1",
        "train_seconds",
        "p50_ms",
        "p99_ms",
        "throughput_per_s",
        "backend",
    }
    assert expected <= figures.keys() and figures["backend"] == "ngram"
    assert figures["in_scope_accuracy"] >= 0.75 and figures["oos_recall"] is None
    assert figures["oos_share_assumed"] == 0.1 and figures["oos_share_source"] == "default prior"


def test_bench_intents_takes_the_out_of_scope_share_or_estimates_it(tmp_path: Path) -> None:
    path = _csv(tmp_path)
    passwords = [
        "forgot my password",
        "reset my password",
        "can't log in",
        "locked out of my account",
        "password not working",
        "change my password",
        "login problem",
        "need a new password",
    ]
    with path.open("a", encoding="utf-8") as handle:
        handle.writelines(f"{text},reset_password\n" for text in passwords)
    unseen = tmp_path / "test.json"
    unseen.write_text(
        json.dumps(
            {
                "test": [
                    ["where's my order at", "order_status"],
                    ["send these shoes back", "return_item"],
                    ["who won the football", "NO_NODES_DETECTED"],
                    ["sing me a song", "oos"],
                ]
            }
        ),
        encoding="utf-8",
    )
    base = ["bench", "intents", "--train", str(path), "--test", str(unseen), "--backend", "ngram", "--json"]
    closed = json.loads(runner.invoke(app, [*base, "--oos-share", "0"]).stdout.strip().splitlines()[-1])
    busy = json.loads(runner.invoke(app, [*base, "--oos-share", "0.8"]).stdout.strip().splitlines()[-1])
    assert closed["oos_share_assumed"] == 0.0 and busy["oos_share_assumed"] == 0.8
    assert busy["threshold"] > closed["threshold"] and busy["oos_share_source"] == "configured"
    assert closed["oos_recall"] is not None and 0 <= busy["expected_accuracy"] <= 1
    traffic = tmp_path / "traffic.txt"
    traffic.write_text("where is my order\nwhat's the weather\ntell me a joke\n", encoding="utf-8")
    estimated = runner.invoke(app, [*base, "--traffic", str(traffic)])
    assert estimated.exit_code == 0, estimated.output
    figures = json.loads(estimated.stdout.strip().splitlines()[-1])
    assert figures["oos_share_source"] == "estimated from 3 unlabelled messages"
    table = runner.invoke(app, [*base[:-1], "--oos-share", "0.5"])
    assert "Out-of-scope share assumed" in _said(table.output) and "50% (configured)" in _said(table.output)
    both = runner.invoke(app, [*base, "--oos-share", "0.5", "--traffic", str(traffic)])
    assert both.exit_code == 2 and "not both" in _said(both.output)
    wrong = runner.invoke(app, [*base, "--oos-share", "1.5"])
    assert wrong.exit_code == 2 and "Traceback" not in wrong.output


def test_bench_intents_names_the_bad_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("text,category\nwhere is my order,order_status\n,order_status\n", encoding="utf-8")
    result = runner.invoke(
        app, ["bench", "intents", "--train", str(bad), "--test", str(bad), "--backend", "ngram"]
    )
    assert result.exit_code == 2
    assert "bad.csv, line 3: empty text" in _said(result.output) and "Traceback" not in result.output


def test_too_few_examples_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("text,category\nhi,greet\nbye,leave\n", encoding="utf-8")
    result = runner.invoke(
        app, ["bot", "train", str(tiny), "-o", str(tmp_path / "m.joblib"), "--backend", "ngram"]
    )
    assert result.exit_code == 2 and "at least 3 in-scope examples" in _said(result.output)


def test_bench_intents_refuses_a_single_intent(tmp_path: Path) -> None:
    one = tmp_path / "one.csv"
    one.write_text("text,category\nhi,greet\nhello,greet\n", encoding="utf-8")
    result = runner.invoke(
        app, ["bench", "intents", "--train", str(one), "--holdout", "0.5", "--backend", "ngram"]
    )
    assert result.exit_code == 2 and "at least 2 intents" in _said(result.output)


def test_replay_reports_the_handoff_turn_per_conversation(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        json.dumps({"id": "a", "turns": ["hello", "how much is shipping?"]})
        + "\n"
        + json.dumps({"id": "b", "turns": ["hi", "quiero hablar con una persona"]})
        + "\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app,
        ["replay", str(cases), "--json"],
        env={"TANDEM_DATA_DIR": str(tmp_path), "TANDEM_BOT_INTENT_BACKEND": "ngram"},
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines == [
        {"id": "a", "handoff_turn": None, "reason": None},
        {"id": "b", "handoff_turn": 2, "reason": "the customer asked for a person"},
    ]


def test_replay_fails_when_a_case_does_not_do_what_it_expects(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        json.dumps({"id": "kept", "turns": ["hi", "quiero hablar con una persona"], "expect_handoff_turn": 2})
        + "\n"
        + json.dumps({"id": "broken", "turns": ["how much is shipping?"], "expect_handoff_turn": 1})
        + "\n",
        encoding="utf-8",
    )
    env = {"TANDEM_DATA_DIR": str(tmp_path), "TANDEM_BOT_INTENT_BACKEND": "ngram"}
    result = runner.invoke(app, ["replay", str(cases), "--json"], env=env)
    assert result.exit_code == 1, result.output
    lines = {line["id"]: line for line in map(json.loads, result.stdout.splitlines()) if line}
    assert lines["kept"]["passed"] and lines["kept"]["failures"] == []
    assert lines["broken"]["failures"] == ["handed over at turn none, expected 1"]
    table = runner.invoke(app, ["replay", str(cases)], env=env)
    assert table.exit_code == 1 and "1 of 2 cases with expectations passed" in _said(table.output)


def test_learn_cases_and_examples_write_json_lines(tmp_path: Path) -> None:
    env = {"TANDEM_DATA_DIR": str(tmp_path), "TANDEM_BOT_INTENT_BACKEND": "ngram"}
    output = tmp_path / "cases.jsonl"
    result = runner.invoke(app, ["learn", "cases", "-o", str(output)], env=env)
    assert result.exit_code == 0 and output.read_text(encoding="utf-8") == ""  # nothing corrected yet
    assert "0 lines written" in _said(result.output)
    unknown = runner.invoke(app, ["learn", "examples", "--kind", "vibes"], env=env)
    assert unknown.exit_code == 2 and "Kinds: intent, article" in _said(unknown.output)
    review = tmp_path / "review.md"
    written = runner.invoke(app, ["learn", "review", "-o", str(review)], env=env)
    assert written.exit_code == 0, written.output
    assert review.read_text(encoding="utf-8").startswith("# Weekly review:")
    nowhere = runner.invoke(app, ["learn", "review", "-o", str(tmp_path / "no" / "such" / "dir.md")], env=env)
    assert nowhere.exit_code == 2 and "cannot write" in _said(nowhere.output)


def test_replay_names_a_broken_line(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"id": "a", "turns": ["hi"]}\n{"id": "b", "turns": "hi"}\n', encoding="utf-8")
    result = runner.invoke(app, ["replay", str(cases)])
    assert result.exit_code == 2 and "cases.jsonl, line 2" in _said(result.output)


def test_bot_train_writes_a_model_the_server_can_load(tmp_path: Path) -> None:
    output = tmp_path / "model.joblib"
    result = runner.invoke(
        app, ["bot", "train", str(_csv(tmp_path)), "--output", str(output), "--backend", "ngram"]
    )
    assert result.exit_code == 0, result.output
    assert output.exists() and "held-out scores of the training data" in _said(result.output)


def test_bench_assist_prints_its_figures_and_names_a_missing_file(tmp_path: Path) -> None:
    messages = tmp_path / "messages.csv"
    rows = ["text,category"] + [f"where is my parcel {n},track_order" for n in range(60)]
    messages.write_text("\n".join(rows), encoding="utf-8")
    result = runner.invoke(app, ["bench", "assist", "--messages", str(messages), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"top3_hit_rate", "p99_ms", "nearest_top3_hit_rate", "canned_top3_hit_rate"} <= set(figures)
    missing = runner.invoke(app, ["bench", "assist", "--messages", str(tmp_path / "nope.csv")])
    assert (
        missing.exit_code == 2 and "nope.csv" in _said(missing.output) and "Traceback" not in missing.output
    )


def test_learn_run_prints_the_decision_and_the_registry_keeps_it(tmp_path: Path) -> None:
    env = {
        "TANDEM_DATA_DIR": str(tmp_path),
        "TANDEM_BOT_INTENT_BACKEND": "ngram",
        "TANDEM_LEARNING_BASE_DATA": str(_csv(tmp_path)),
        "TANDEM_DEMO": "false",
    }
    result = runner.invoke(app, ["learn", "run", "--json"], env=env)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"champion", "challenger", "promoted", "reason"} <= set(figures)
    assert figures["promoted"] is False and "no better" in figures["reason"]  # no corrections yet
    models = runner.invoke(app, ["learn", "models", "--json"], env=env)
    assert [json.loads(line)["status"] for line in models.stdout.splitlines()] == ["rejected", "champion"]
    back = runner.invoke(app, ["learn", "rollback"], env=env)
    assert back.exit_code == 2 and "no earlier promoted model" in _said(back.output)

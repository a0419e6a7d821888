"""Training files: both layouts load, and every problem names the file and the line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tandem.bot.errors import TrainingDataError
from tandem.bot.nlu.dataset import load_dataset, require_trainable


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_in_the_banking77_layout(tmp_path: Path) -> None:
    data = load_dataset(_write(tmp_path, "a.csv", 'text,category\n"hi, there",greet\nbye,leave\n'))
    assert data.train.texts == ["hi, there", "bye"] and data.test.labels == ["greet", "leave"]


def test_json_in_the_clinc_layout_keeps_out_of_scope(tmp_path: Path) -> None:
    raw = {"train": [["hi", "greet"]], "oos_train": [["weather?", "oos"]], "val": [["yo", "greet"]]}
    data = load_dataset(_write(tmp_path, "a.json", json.dumps(raw)))
    assert data.train.labels == ["greet", "oos"] and data.validation.texts == ["yo"]


def test_a_missing_column_names_the_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.csv", "utterance,whatever\nhi,greet\n")
    with pytest.raises(TrainingDataError, match=r"bad\.csv, line 1: missing column 'category'"):
        load_dataset(path)


def test_an_empty_text_names_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "gap.csv", "text,category\nhi,greet\n   ,greet\n")
    with pytest.raises(TrainingDataError, match=r"gap\.csv, line 3: empty text"):
        load_dataset(path)


def test_broken_json_names_its_line(tmp_path: Path) -> None:
    with pytest.raises(TrainingDataError, match=r"x\.json, line 2"):
        load_dataset(_write(tmp_path, "x.json", '{"train": [\n  ["hi" "greet"]]}'))


def test_fewer_than_two_intents_cannot_train(tmp_path: Path) -> None:
    data = load_dataset(_write(tmp_path, "one.csv", "text,category\nhi,greet\nhello,greet\n"))
    with pytest.raises(TrainingDataError, match="at least 2 intents"):
        require_trainable(data.train, path=str(tmp_path / "one.csv"))


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TrainingDataError, match="no such file"):
        load_dataset(tmp_path / "nope.csv")


def test_other_data_sets_names_for_out_of_scope_are_read_as_oos(tmp_path: Path) -> None:
    file = tmp_path / "bot_test.json"
    file.write_text(json.dumps({"test": [["emi options?", "EMI"], ["is it raining", "NO_NODES_DETECTED"]]}))
    assert load_dataset(file).test.labels == ["EMI", "oos"]
    csv_file = tmp_path / "bot.csv"
    csv_file.write_text("sentence,label\nwhere is my order,ORDER_STATUS\nsing a song,out_of_scope\n")
    assert load_dataset(csv_file).train.labels == ["ORDER_STATUS", "oos"]

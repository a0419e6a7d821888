"""Reading labelled examples from the two layouts teams already have.

* CSV with columns ``text`` and ``category`` (the Banking77 layout), one example per row.
* JSON object whose keys are split names (``train``, ``val``, ``test``, ``oos_train``, ``oos_val``,
  ``oos_test``), each a list of ``[text, intent]`` pairs; intent ``"oos"`` means out of scope (CLINC150).

Every problem is reported with the file and, for CSV, the line, because the person fixing it has the file
open in an editor, not our code.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from tandem.bot.errors import TrainingDataError

OUT_OF_SCOPE = "oos"
# How other data sets name "out of scope" (HINT3: NO_NODES_DETECTED); read as ``oos``, compared folded.
OUT_OF_SCOPE_ALIASES = frozenset({"oos", "out_of_scope", "out-of-scope", "no_nodes_detected", "none"})
TEXT_COLUMNS = ("text", "utterance", "query", "sentence")
LABEL_COLUMNS = ("category", "intent", "label")


@dataclass
class Examples:
    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)

    def add(self, text: str, label: str) -> None:
        self.texts.append(text)
        self.labels.append(label)

    def extend(self, other: Examples) -> None:
        self.texts.extend(other.texts)
        self.labels.extend(other.labels)

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def intents(self) -> set[str]:
        return {label for label in self.labels if label != OUT_OF_SCOPE}


@dataclass
class Dataset:
    """``train``/``validation``/``test`` each hold in-scope and out-of-scope (label ``oos``) examples."""

    path: str
    train: Examples
    validation: Examples
    test: Examples


def load_dataset(path: str | Path) -> Dataset:
    file = Path(path)
    if not file.is_file():
        raise TrainingDataError("no such file", path=str(file))
    if file.suffix.lower() == ".json":
        return _load_json(file)
    return _load_csv(file)


def _load_csv(file: Path) -> Dataset:
    examples = Examples()
    try:
        with file.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise TrainingDataError("the file is empty", path=str(file))
            columns = [name.strip().lower() for name in header]
            text_at = next((columns.index(c) for c in TEXT_COLUMNS if c in columns), None)
            label_at = next((columns.index(c) for c in LABEL_COLUMNS if c in columns), None)
            if text_at is None or label_at is None:
                missing = "text" if text_at is None else "category"
                raise TrainingDataError(
                    f"missing column '{missing}' (the header must name 'text' and 'category'; found "
                    f"{', '.join(columns) or 'nothing'})",
                    path=str(file),
                    line=1,
                )
            for row in reader:
                line = reader.line_num
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) <= max(text_at, label_at):
                    raise TrainingDataError(
                        f"expected {len(columns)} columns, found {len(row)}", path=str(file), line=line
                    )
                _add_checked(examples, row[text_at], row[label_at], file=file, line=line)
    except UnicodeDecodeError as exc:
        raise TrainingDataError(f"not UTF-8 text ({exc.reason})", path=str(file)) from exc
    except csv.Error as exc:
        raise TrainingDataError(f"not a readable CSV file ({exc})", path=str(file)) from exc
    return Dataset(str(file), train=examples, validation=Examples(), test=examples)


def _load_json(file: Path) -> Dataset:
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise TrainingDataError(f"not UTF-8 text ({exc.reason})", path=str(file)) from exc
    except json.JSONDecodeError as exc:
        raise TrainingDataError(f"not valid JSON ({exc.msg})", path=str(file), line=exc.lineno) from exc
    if not isinstance(raw, dict):
        raise TrainingDataError("expected a JSON object of splits such as 'train' and 'test'", path=str(file))
    known = {"train", "val", "test", "oos_train", "oos_val", "oos_test"}
    if not known & raw.keys():
        raise TrainingDataError(
            f"no split found; expected some of {', '.join(sorted(known))}", path=str(file)
        )
    splits: dict[str, Examples] = {}
    for name in ("train", "val", "test"):
        examples = Examples()
        for key in (name, f"oos_{name}"):
            pairs = raw.get(key, [])
            if not isinstance(pairs, list):
                raise TrainingDataError(
                    f"split '{key}' must be a list of [text, intent] pairs", path=str(file)
                )
            for index, pair in enumerate(pairs):
                if not (isinstance(pair, list | tuple) and len(pair) == 2):
                    raise TrainingDataError(f"'{key}'[{index}] is not a [text, intent] pair", path=str(file))
                text, label = pair
                if not isinstance(text, str) or not isinstance(label, str):
                    raise TrainingDataError(f"'{key}'[{index}] must hold two strings", path=str(file))
                _add_checked(examples, text, label, file=file, line=None, where=f"'{key}'[{index}]")
        splits[name] = examples
    return Dataset(str(file), train=splits["train"], validation=splits["val"], test=splits["test"])


def _add_checked(
    examples: Examples, text: str, label: str, *, file: Path, line: int | None, where: str = ""
) -> None:
    prefix = f"{where}: " if where else ""
    if not text.strip():
        raise TrainingDataError(f"{prefix}empty text", path=str(file), line=line)
    if not label.strip():
        raise TrainingDataError(f"{prefix}empty intent", path=str(file), line=line)
    label = label.strip()
    examples.add(text.strip(), OUT_OF_SCOPE if label.casefold() in OUT_OF_SCOPE_ALIASES else label)


def require_trainable(examples: Examples, *, path: str) -> None:
    """Training needs at least two intents; one intent would make every message 'in scope' by definition."""
    intents = examples.intents
    if len(intents) < 2:
        raise TrainingDataError(
            f"needs examples of at least 2 intents to train, found {len(intents)}"
            + (f" ({next(iter(intents))})" if intents else ""),
            path=path,
        )
    in_scope = sum(1 for label in examples.labels if label != OUT_OF_SCOPE)
    if in_scope < 3:
        raise TrainingDataError(f"needs at least 3 in-scope examples to train, found {in_scope}", path=path)

"""``tandem bench intents``: train an intent model on one file and score it on held-out data.

Accuracy counts an in-scope message as right only when the model names its intent (turning it away as out
of scope is wrong), and an out-of-scope message as right only when the model turns it away.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sklearn.metrics import f1_score
from threadpoolctl import threadpool_limits

from tandem.bench.stats import compute_percentile
from tandem.bot.errors import TrainingDataError
from tandem.bot.nlu.dataset import OUT_OF_SCOPE, Dataset, Examples, load_dataset
from tandem.bot.nlu.intents import IntentModel, Progress
from tandem.core.errors import InvalidInputError

LATENCY_SAMPLE = 1000  # single-message predictions timed for p50/p99


@dataclass
class IntentBenchResult:
    backend: str
    accuracy: float
    in_scope_accuracy: float
    oos_recall: float | None
    oos_precision: float | None
    macro_f1: float
    train_seconds: float
    p50_ms: float
    p99_ms: float
    throughput_per_s: float
    train_examples: int
    test_examples: int
    intents: int
    threshold: float
    threshold_source: str
    notes: list[str]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def split_holdout(examples: Examples, *, share: float, seed: int) -> tuple[Examples, Examples]:
    """A stratified split: ``share`` of each intent's examples (at least one) is held out."""
    by_label: dict[str, list[int]] = {}
    for index, label in enumerate(examples.labels):
        by_label.setdefault(label, []).append(index)
    rng = random.Random(seed)
    train, held = Examples(), Examples()
    for label in sorted(by_label):
        rows = by_label[label]
        rng.shuffle(rows)
        cut = max(1, round(len(rows) * share)) if len(rows) > 1 else 0
        for position, row in enumerate(rows):
            (held if position < cut else train).add(examples.texts[row], label)
    return train, held


def prepare(
    train_file: str | Path, test_file: str | Path | None, *, holdout: float | None, seed: int
) -> tuple[Examples, Examples | None, Examples, list[str]]:
    """Training examples, tuning examples (or None: cross-validation), test examples, and notes."""
    notes: list[str] = []
    train_set: Dataset = load_dataset(train_file)
    train, validation = train_set.train, train_set.validation
    if test_file is None:
        if holdout is None:
            raise InvalidInputError("give --test FILE, or --holdout SHARE to score on part of --train")
        train, test = split_holdout(train, share=holdout, seed=seed)
        notes.append(f"test = {holdout:.0%} of each intent held out of {train_set.path} (seed {seed})")
        return train, validation if len(validation) else None, test, notes
    test_set = load_dataset(test_file)
    test = test_set.test
    if test_set.path.endswith(".json") and not len(test):
        test = test_set.validation
        notes.append(f"{test_set.path} has no 'test' split: scored on 'val'")
        if Path(test_set.path).resolve() == Path(train_set.path).resolve():
            validation = Examples()
            notes.append("the threshold is tuned by cross-validation on 'train', never on the scored 'val'")
    return train, validation if len(validation) else None, test, notes


def run_intent_benchmark(
    train_file: str | Path,
    test_file: str | Path | None,
    *,
    backend: str,
    holdout: float | None = None,
    seed: int = 0,
    progress: Progress | None = None,
    encoder_factory: Callable[[], Any] | None = None,
) -> IntentBenchResult:
    train, validation, test, notes = prepare(train_file, test_file, holdout=holdout, seed=seed)
    if not len(test):
        raise TrainingDataError("no test examples to score", path=str(test_file or train_file))
    started = time.perf_counter()
    model = IntentModel.train(
        train,
        backend=backend,
        validation=validation,
        encoder=encoder_factory() if encoder_factory else None,
        source=str(train_file),
        progress=progress,
    )
    train_seconds = time.perf_counter() - started
    with threadpool_limits(1):
        predictions = []
        batch_started = time.perf_counter()
        for start in range(0, len(test), 64):
            predictions.extend(model.predict_many(test.texts[start : start + 64]))
            if progress is not None:
                progress("score", min(start + 64, len(test)), len(test))
        batch_seconds = time.perf_counter() - batch_started
        sample = test.texts[:LATENCY_SAMPLE]
        latencies = []
        for text in sample:
            began = time.perf_counter()
            model.predict(text + " ")  # a space defeats the encoder's cache of recent messages
            latencies.append((time.perf_counter() - began) * 1000)
    predicted = [p.intent if p.intent is not None else OUT_OF_SCOPE for p in predictions]
    return IntentBenchResult(
        backend=backend,
        train_seconds=round(train_seconds, 2),
        p50_ms=round(compute_percentile(latencies, 50), 3),
        p99_ms=round(compute_percentile(latencies, 99), 3),
        throughput_per_s=round(len(test) / batch_seconds, 1),
        train_examples=len(train),
        test_examples=len(test),
        intents=len(train.intents),
        threshold=round(model.threshold, 4),
        threshold_source=model.threshold_source,
        notes=notes,
        **score(test.labels, predicted),
    )


def score(truth: list[str], predicted: list[str]) -> dict[str, Any]:
    """The accuracy figures; out-of-scope ones are None when the test data has no out-of-scope rows."""
    pairs = list(zip(truth, predicted, strict=True))
    in_scope = [(t, p) for t, p in pairs if t != OUT_OF_SCOPE]
    out = [(t, p) for t, p in pairs if t == OUT_OF_SCOPE]
    flagged = [(t, p) for t, p in pairs if p == OUT_OF_SCOPE]
    labels = sorted(set(truth))
    return {
        "accuracy": round(sum(t == p for t, p in pairs) / len(pairs), 4),
        "in_scope_accuracy": round(sum(t == p for t, p in in_scope) / len(in_scope), 4) if in_scope else 0.0,
        "oos_recall": round(sum(p == OUT_OF_SCOPE for _, p in out) / len(out), 4) if out else None,
        "oos_precision": (
            round(sum(t == OUT_OF_SCOPE for t, _ in flagged) / len(flagged), 4) if out and flagged else None
        ),
        "macro_f1": round(
            float(f1_score(truth, predicted, labels=labels, average="macro", zero_division=0)), 4
        ),
    }

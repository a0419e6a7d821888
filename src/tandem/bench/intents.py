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

import numpy as np
from sklearn.metrics import f1_score
from threadpoolctl import threadpool_limits

from tandem.bench.stats import compute_percentile
from tandem.bot.errors import TrainingDataError
from tandem.bot.nlu.dataset import OUT_OF_SCOPE, Dataset, Examples, load_dataset
from tandem.bot.nlu.intents import IntentModel, Progress
from tandem.core.errors import InvalidInputError

LATENCY_SAMPLE = 1000  # single-message predictions timed for p50/p99
FIXED_BUDGET = 0.01  # the operating point before it was chosen per traffic: the baseline of every run


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
    oos_share_assumed: float
    oos_share_source: str
    expected_accuracy: float  # what the operating point promised, from held-out scores (never the test)
    operating_point: dict[str, Any]
    baseline: dict[str, Any]  # the old rule, in the same run: turn away 1 % of held-out in-scope messages
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


def leave_intents_out(
    train: Examples, test: Examples, *, share: float, seed: int
) -> tuple[Examples, Examples, list[str]]:
    """Real bots' traffic is mostly out of scope: move every example of ``share`` of the intents from
    ``train`` to ``test`` as out-of-scope messages (the same domain, intents the bot was not built for)."""
    intents = sorted(train.intents)
    random.Random(seed + 1).shuffle(intents)
    gone = set(intents[: round(len(intents) * share)])
    if len(intents) - len(gone) < 2:
        raise InvalidInputError(f"--holdout-intents {share} would leave fewer than 2 intents to train on")
    kept, scored = Examples(), Examples()
    for text, label in zip(train.texts, train.labels, strict=True):
        (scored if label in gone else kept).add(text, OUT_OF_SCOPE if label in gone else label)
    for text, label in zip(test.texts, test.labels, strict=True):
        scored.add(text, OUT_OF_SCOPE if label in gone else label)
    return kept, scored, sorted(gone)


def prepare(
    train_file: str | Path,
    test_file: str | Path | None,
    *,
    holdout: float | None,
    seed: int,
    holdout_intents: float | None = None,
) -> tuple[Examples, Examples | None, Examples, list[str]]:
    """Training examples, tuning examples (or None: held-out folds of the training data), test examples,
    and notes."""
    notes: list[str] = []
    train_set: Dataset = load_dataset(train_file)
    train, validation = train_set.train, train_set.validation
    if test_file is None:
        if holdout is None:
            raise InvalidInputError("give --test FILE, or --holdout SHARE to score on part of --train")
        train, test = split_holdout(train, share=holdout, seed=seed)
        notes.append(f"test = {holdout:.0%} of each intent held out of {train_set.path} (seed {seed})")
        if holdout_intents:
            train, test, gone = leave_intents_out(train, test, share=holdout_intents, seed=seed)
            notes.append(f"{len(gone)} intents left out of training, their examples scored as out of scope")
        return train, validation if len(validation) else None, test, notes
    if holdout_intents:
        raise InvalidInputError("--holdout-intents goes with --holdout, not with --test")
    test_set = load_dataset(test_file)
    test = test_set.test
    if test_set.path.endswith(".json") and not len(test):
        test = test_set.validation
        notes.append(f"{test_set.path} has no 'test' split: scored on 'val'")
        if Path(test_set.path).resolve() == Path(train_set.path).resolve():
            validation = Examples()
            notes.append(
                "the threshold is chosen from held-out folds of 'train', never from the scored 'val'"
            )
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
    oos_share: float | None = None,
    wrong_answer_cost: float = 1.0,
    traffic_file: str | Path | None = None,
    holdout_intents: float | None = None,
) -> IntentBenchResult:
    """``oos_share``: the assumed share of out-of-scope traffic (None: the labelled sample's, else the
    default prior); ``traffic_file``: unlabelled messages to estimate it from instead (one per line, or a
    data file whose texts are read without their labels)."""
    if oos_share is not None and traffic_file is not None:
        raise InvalidInputError("give --oos-share or --traffic, not both")
    if not 1.0 <= wrong_answer_cost <= 100.0:
        raise InvalidInputError("--wrong-answer-cost is between 1 and 100 (1: plain accuracy)")
    train, validation, test, notes = prepare(
        train_file, test_file, holdout=holdout, seed=seed, holdout_intents=holdout_intents
    )
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
        oos_share=oos_share,
        wrong_answer_cost=wrong_answer_cost,
    )
    train_seconds = time.perf_counter() - started
    if traffic_file is not None:
        messages = read_messages(traffic_file)
        estimated = model.estimate_oos_share(messages)
        model.set_operating_point(
            oos_share=estimated,
            wrong_answer_cost=wrong_answer_cost,
            source=f"estimated from {len(messages):,} unlabelled messages",
        )
        if Path(traffic_file).resolve() == Path(test_file or "").resolve():
            notes.append("the share was estimated from the scored messages themselves (without labels)")
    point = model.operating_point
    assert point is not None
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
    assert model.held_out is not None
    answered_scores = model.held_out.in_scope[model.held_out.in_scope >= 0]
    fixed = float(np.quantile(answered_scores, FIXED_BUDGET)) if len(answered_scores) else 0.0
    claimed = [p.out_of_scope and p.confidence >= p.threshold for p in predictions]  # the oos class's
    at_fixed = [
        OUT_OF_SCOPE
        if c or p.confidence < fixed
        else (p.alternatives[0].intent if p.alternatives else OUT_OF_SCOPE)
        for p, c in zip(predictions, claimed, strict=True)
    ]
    baseline = {
        "rule": f"turn away {FIXED_BUDGET:.0%} of held-out in-scope messages",
        "threshold": round(fixed, 4),
    }
    baseline.update({k: v for k, v in score(test.labels, at_fixed).items() if k != "macro_f1"})
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
        oos_share_assumed=round(point.oos_share, 4),
        oos_share_source=point.oos_share_source,
        expected_accuracy=round(point.expected_accuracy, 4),
        operating_point=point.as_dict(),
        baseline=baseline,
        notes=notes,
        **score(test.labels, predicted),
    )


def read_messages(path: str | Path) -> list[str]:
    """Unlabelled messages: a data file's texts (labels ignored), or a text file with one per line."""
    file = Path(path)
    if file.suffix.lower() in (".json", ".csv"):
        dataset = load_dataset(file)
        texts = [*dataset.train.texts, *dataset.validation.texts]
        if dataset.test is not dataset.train:
            texts += dataset.test.texts
        return texts
    if not file.is_file():
        raise TrainingDataError("no such file", path=str(file))
    try:
        lines = [line.strip() for line in file.read_text(encoding="utf-8").splitlines()]
    except UnicodeDecodeError as exc:
        raise TrainingDataError(f"not UTF-8 text ({exc.reason})", path=str(file)) from exc
    messages = [line for line in lines if line]
    if not messages:
        raise TrainingDataError("no messages in the file", path=str(file))
    return messages


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

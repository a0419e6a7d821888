"""Intent classification with out-of-scope detection.

Two backends share one model class:

* ``ngram``: TF-IDF over words (1-2) and characters (2-5) with a logistic-regression head. No weights to
  ship, about a millisecond per message, robust to typos; the choice for the smallest installs.
* ``minilm`` (default): the same n-gram head averaged with a logistic-regression head over MiniLM sentence
  embeddings. The two err on different messages, so the average beats either alone.

Out of scope is decided twice: an explicit ``oos`` class (trained from the file's out-of-scope examples or,
when it has none, from a small built-in set of off-topic messages), and a threshold on a score that mixes
the best in-scope probability with the similarity to the nearest training example.

The threshold is an operating point, chosen to maximise expected accuracy (or to minimise a configured cost
of a wrong answer against a needless "I didn't understand") for an assumed share of out-of-scope traffic
(``operating.py``). It is chosen from held-out scores, never from the data the model is tested on: in-scope
messages held out of folds of the training data, and out-of-scope ones made from it by leaving whole intents
out of a fold (the way real out-of-scope traffic looks: the same domain, an intent the bot was not built
for) plus the file's own out-of-scope examples; or the validation split when there is one.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from scipy.sparse import csr_matrix, spmatrix
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from tandem.bot.errors import TrainingDataError, UnknownComponentError
from tandem.bot.nlu.dataset import OUT_OF_SCOPE, Examples, require_trainable
from tandem.bot.nlu.encoders import Encoder, MiniLmEncoder
from tandem.bot.nlu.operating import (
    HeldOutScores,
    OperatingPoint,
    choose_operating_point,
    estimate_oos_share,
)
from tandem.bot.types import IntentPrediction, IntentScore

BACKENDS = ("minilm", "ngram")
GENERIC_OOS_FILE = Path(__file__).parent / "assets" / "generic_oos.json"
# Folds of the training data for held-out scores: each fold leaves a third of the intents out (their
# examples become out-of-scope samples) and a share of the other intents' examples (in-scope samples).
FOLDS = 3
REJECTED = -1.0  # the score of a message the explicit out-of-scope class claimed: below every threshold
# The cascade (see _raw_scores): n-gram probability and n-gram similarity that make the encoder unnecessary.
CASCADE_PROBABILITY = 0.8
CASCADE_SIMILARITY = 0.5
MODEL_FORMAT = 3  # bump when the saved structure changes
# 2: before operating points (loaded with the fixed threshold it was trained with)
READABLE_FORMATS = (2, 3)

Progress = Callable[[str, int, int], None]


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


def generic_out_of_scope() -> list[str]:
    """Off-topic messages (weather, jokes, maths, gibberish) used when a training file has none."""
    data = json.loads(GENERIC_OOS_FILE.read_text(encoding="utf-8"))
    return [text for texts in data.values() for text in texts]


def _vectorizer(examples: int) -> FeatureUnion:
    return FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True)),
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=(2, 5),
                    sublinear_tf=True,
                    min_df=2 if examples > 2000 else 1,
                ),
            ),
        ]
    )


def _head(c: float) -> LogisticRegression:
    # balanced: the out-of-scope class (often 100+ generic examples) must not outweigh intents of a dozen
    return LogisticRegression(C=c, max_iter=3000, class_weight="balanced")


@dataclass
class _Fitted:
    vectorizer: FeatureUnion
    ngram_head: LogisticRegression
    embedding_head: LogisticRegression | None
    reference_ngrams: spmatrix  # in-scope training rows, transposed (features x examples) for fast products
    reference_embeddings: np.ndarray | None


@dataclass
class IntentModel:
    """A trained intent classifier. Build with :meth:`train`, keep with :meth:`save` / :meth:`load`."""

    backend: str
    fitted: _Fitted
    classes: list[str]
    threshold: float
    threshold_source: str
    fingerprint: str
    trained_seconds: float
    metadata: dict[str, Any] = field(default_factory=dict)
    encoder: Encoder | None = None
    held_out: HeldOutScores | None = None
    operating_point: OperatingPoint | None = None

    # --- training ----------------------------------------------------------------------------------------

    @classmethod
    def train(
        cls,
        train: Examples,
        *,
        backend: str = "minilm",
        validation: Examples | None = None,
        encoder: Encoder | None = None,
        source: str = "training data",
        progress: Progress | None = None,
        generic_oos: bool = True,
        oos_share: float | None = None,
        wrong_answer_cost: float = 1.0,
    ) -> IntentModel:
        progress = progress or _no_progress
        if backend not in BACKENDS:
            raise UnknownComponentError(kind="intent backend", name=backend, known=list(BACKENDS))
        require_trainable(train, path=source)
        started = time.perf_counter()
        data = Examples(list(train.texts), list(train.labels))
        if generic_oos and OUT_OF_SCOPE not in data.labels:
            for text in generic_out_of_scope():
                data.add(text, OUT_OF_SCOPE)
        if backend == "minilm" and encoder is None:
            encoder = MiniLmEncoder()
        embeddings = _encode(encoder, data.texts, progress) if backend == "minilm" else None
        progress("fit", 0, 1)
        fitted = _fit(data, embeddings)
        progress("fit", 1, 1)
        model = cls(
            backend=backend,
            fitted=fitted,
            classes=[str(c) for c in fitted.ngram_head.classes_],
            threshold=0.0,
            threshold_source="none",
            fingerprint=fingerprint(train),
            trained_seconds=0.0,
            encoder=encoder,
        )
        if validation is not None and len(validation.intents & train.intents) > 0:
            model.held_out = model._validation_scores(validation, progress)
        else:
            # The file's own out-of-scope examples are held out like in-scope ones; with two intents no
            # intent can be left out, and the built-in off-topic messages are the only samples there are.
            last = len(train) if len(train.intents) > 2 else len(data)
            file_oos = [i for i in range(last) if data.labels[i] == OUT_OF_SCOPE]
            model.held_out = _held_out_scores(data, embeddings, file_oos, progress)
        model.set_operating_point(oos_share=oos_share, wrong_answer_cost=wrong_answer_cost)
        model.trained_seconds = time.perf_counter() - started
        model.metadata = {"examples": len(train), "intents": len(train.intents), "source": source}
        return model

    # --- the operating point -----------------------------------------------------------------------------

    def set_operating_point(
        self,
        *,
        oos_share: float | None = None,
        wrong_answer_cost: float = 1.0,
        source: str | None = None,
    ) -> OperatingPoint:
        """Choose the threshold for this share of out-of-scope traffic (None: the labelled sample's share
        when the model was tuned on one, else the default prior) without retraining."""
        if self.held_out is None:  # a model saved before operating points: it keeps its own threshold
            return OperatingPoint.fixed(self.threshold, source=self.threshold_source)
        point = choose_operating_point(
            self.held_out, oos_share=oos_share, wrong_answer_cost=wrong_answer_cost, source=source
        )
        self.operating_point = point
        self.threshold = point.threshold
        self.threshold_source = point.describe()
        return point

    def estimate_oos_share(self, texts: Sequence[str]) -> float:
        """The share of out-of-scope messages in unlabelled traffic (the deployment's own history), from
        how the model's scores on it mix the held-out in-scope and out-of-scope score distributions."""
        if self.held_out is None:
            raise TrainingDataError("this model kept no held-out scores; retrain it", path=self.fingerprint)
        scores, _ = self._decision_scores(texts, _no_progress)
        return estimate_oos_share(self.held_out, scores)

    def _decision_scores(self, texts: Sequence[str], progress: Progress) -> tuple[list[float], list[str]]:
        """The score the threshold compares (a claim of the explicit out-of-scope class is below all) and
        the best in-scope intent, per message."""
        scores: list[float] = []
        named: list[str] = []
        step = 256
        oos_at = self.classes.index(OUT_OF_SCOPE) if OUT_OF_SCOPE in self.classes else None
        for start in range(0, len(texts), step):
            chunk = [t if t.strip() else " " for t in texts[start : start + step]]
            probabilities, similarity = self._probabilities(chunk)
            for row, nearest in zip(probabilities, similarity, strict=True):
                claimed = oos_at is not None and int(np.argmax(row)) == oos_at
                in_scope = row.copy()
                if oos_at is not None:
                    in_scope[oos_at] = 0.0
                best = int(np.argmax(in_scope))
                named.append(self.classes[best])
                scores.append(REJECTED if claimed else _score(float(in_scope[best]), float(nearest)))
            progress("threshold", min(start + step, len(texts)), len(texts))
        return scores, named

    def _validation_scores(self, validation: Examples, progress: Progress) -> HeldOutScores:
        scores, named = self._decision_scores(validation.texts, progress)
        inside = [i for i, label in enumerate(validation.labels) if label != OUT_OF_SCOPE]
        outside = [i for i, label in enumerate(validation.labels) if label == OUT_OF_SCOPE]
        return HeldOutScores.of(
            in_scope=[scores[i] for i in inside],
            in_scope_correct=[named[i] == validation.labels[i] for i in inside],
            out_of_scope=[scores[i] for i in outside],
            source=f"validation ({len(validation)} examples)",
            labelled_oos_share=len(outside) / len(validation) if outside else None,
        )

    # --- prediction --------------------------------------------------------------------------------------

    def predict(self, text: str, *, top: int = 3) -> IntentPrediction:
        return self.predict_many([text], top=top)[0]

    def predict_many(self, texts: Sequence[str], *, top: int = 3) -> list[IntentPrediction]:
        cleaned = [t if t.strip() else " " for t in texts]
        probabilities, similarity = self._probabilities(cleaned)
        results = []
        oos_at = self.classes.index(OUT_OF_SCOPE) if OUT_OF_SCOPE in self.classes else None
        for row, nearest in zip(probabilities, similarity, strict=True):
            in_scope = row.copy()
            if oos_at is not None:
                in_scope[oos_at] = 0.0
            order = np.argsort(-in_scope)[:top]
            alternatives = tuple(IntentScore(self.classes[i], round(float(in_scope[i]), 4)) for i in order)
            best = alternatives[0]
            score = _score(best.score, float(nearest))
            oos_probability = float(row[oos_at]) if oos_at is not None else 0.0
            out = score < self.threshold or (oos_at is not None and int(np.argmax(row)) == oos_at)
            results.append(
                IntentPrediction(
                    intent=None if out else best.intent,
                    confidence=round(score, 4),
                    alternatives=alternatives,
                    out_of_scope=out,
                    threshold=round(self.threshold, 4),
                    oos_probability=round(oos_probability, 4),
                )
            )
        return results

    def _probabilities(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        encoder = self.encoder
        if self.fitted.embedding_head is None or encoder is None:
            return _raw_scores(self.fitted, texts, None)
        return _raw_scores(self.fitted, texts, lambda rows: encoder.encode([texts[i] for i in rows]))

    # --- persistence -------------------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "format": MODEL_FORMAT,
            "backend": self.backend,
            "fitted": self.fitted,
            "classes": self.classes,
            "threshold": self.threshold,
            "threshold_source": self.threshold_source,
            "fingerprint": self.fingerprint,
            "trained_seconds": self.trained_seconds,
            "metadata": self.metadata,
            "held_out": self.held_out,
            "operating_point": self.operating_point,
        }
        temporary = target.with_suffix(target.suffix + ".tmp")
        joblib.dump(payload, temporary)
        temporary.replace(target)  # a crash while saving never leaves a half-written model behind
        return target

    @classmethod
    def load(cls, path: str | Path, *, encoder: Encoder | None = None) -> IntentModel:
        """Loads a model this installation saved. Model files are code (pickle): load only your own."""
        payload = joblib.load(Path(path))
        if not isinstance(payload, dict) or payload.get("format") not in READABLE_FORMATS:
            raise TrainingDataError("not a Tandem intent model of this version; retrain it", path=str(path))
        backend = payload["backend"]
        if backend == "minilm" and encoder is None:
            encoder = MiniLmEncoder()
        return cls(
            backend=backend,
            fitted=payload["fitted"],
            classes=payload["classes"],
            threshold=payload["threshold"],
            threshold_source=payload["threshold_source"],
            fingerprint=payload["fingerprint"],
            trained_seconds=payload["trained_seconds"],
            metadata=payload["metadata"],
            encoder=encoder,
            held_out=payload.get("held_out"),
            operating_point=payload.get("operating_point"),
        )


def fingerprint(examples: Examples) -> str:
    """Same examples in any order give the same fingerprint; used to name cached models."""
    digest = hashlib.sha256()
    for text, label in sorted(zip(examples.texts, examples.labels, strict=True)):
        digest.update(f"{label}\t{text}\n".encode())
    return digest.hexdigest()[:16]


def _encode(encoder: Encoder | None, texts: list[str], progress: Progress) -> np.ndarray:
    assert encoder is not None
    step = 512
    parts = []
    for start in range(0, len(texts), step):
        parts.append(encoder.encode(texts[start : start + step]))
        progress("encode", min(start + step, len(texts)), len(texts))
    return np.vstack(parts)


def _fit(data: Examples, embeddings: np.ndarray | None) -> _Fitted:
    labels = np.array(data.labels)
    vectorizer = _vectorizer(len(data))
    grams = vectorizer.fit_transform(data.texts)
    ngram_head = _head(10.0).fit(grams, labels)
    embedding_head = _head(30.0).fit(embeddings, labels) if embeddings is not None else None
    in_scope = labels != OUT_OF_SCOPE
    return _Fitted(
        vectorizer=vectorizer,
        ngram_head=ngram_head,
        embedding_head=embedding_head,
        reference_ngrams=csr_matrix(grams[in_scope].T),
        reference_embeddings=embeddings[in_scope] if embeddings is not None else None,
    )


def _score(best_probability: float, nearest_similarity: float) -> float:
    """Confidence that the message is in scope: the classifier's best probability and how close the
    message is to something we were trained on. Either alone misses cases the other catches."""
    return (best_probability + max(0.0, nearest_similarity)) / 2.0


def _max_cosine(rows: spmatrix, reference_t: spmatrix) -> np.ndarray:
    products = rows @ reference_t
    return np.asarray(products.max(axis=1).toarray()).ravel()


def _raw_scores(
    fitted: _Fitted, texts: Sequence[str], encode: Callable[[list[int]], np.ndarray] | None
) -> tuple[np.ndarray, np.ndarray]:
    """Class probabilities (heads averaged) and the cosine similarity to the nearest in-scope example.

    A cascade: the n-gram head runs first, and the sentence encoder (most of the cost) only for messages
    the n-grams are not sure of. Skipping it when the n-gram head is confident AND the message is close to a
    training example (probability >= 0.8) changed no prediction on a Banking77 hold-out and skipped the
    encoder for about 60 % of its messages.
    """
    grams = fitted.vectorizer.transform(texts)
    probabilities = fitted.ngram_head.predict_proba(grams)
    similarity = _max_cosine(grams, fitted.reference_ngrams) / 2.0  # the union holds two unit vectors
    head, reference = fitted.embedding_head, fitted.reference_embeddings
    if encode is None or head is None or reference is None:
        return probabilities, similarity
    in_scope = probabilities.copy()
    classes = list(fitted.ngram_head.classes_)
    if OUT_OF_SCOPE in classes:
        in_scope[:, classes.index(OUT_OF_SCOPE)] = 0.0
    sure = (in_scope.max(axis=1) >= CASCADE_PROBABILITY) & (similarity >= CASCADE_SIMILARITY)
    rows = [int(i) for i in np.flatnonzero(~sure)]
    if rows:
        vectors = encode(rows)
        probabilities[rows] = (probabilities[rows] + head.predict_proba(vectors)) / 2.0
        similarity[rows] = (vectors @ reference.T).max(axis=1)
    return probabilities, similarity


def _held_out_scores(
    data: Examples, embeddings: np.ndarray | None, file_oos: list[int], progress: Progress
) -> HeldOutScores:
    """Scores of messages each fold's model never saw: in-scope examples held out of their intent, and
    out-of-scope ones: every example of the intents the fold left out, and the file's own out-of-scope
    examples held out of the fold."""
    labels = np.array(data.labels)
    intents = sorted(set(data.labels) - {OUT_OF_SCOPE})
    order = np.random.RandomState(13).permutation(len(intents))
    folds = max(1, min(FOLDS, len(intents) - 1))
    group = {intents[i]: position % folds for position, i in enumerate(order)}
    # In fold k, the kept intents' examples of example-fold k are held out (scored as in-scope samples),
    # and so are the file's own out-of-scope examples of example-fold k.
    held_in = np.random.RandomState(7).randint(folds, size=len(labels))
    is_file_oos = np.zeros(len(labels), dtype=bool)
    is_file_oos[file_oos] = True
    inside: list[float] = []
    correct: list[bool] = []
    outside: list[float] = []
    for fold in range(folds):
        progress("held-out scores", fold, folds)
        left_out = np.array(
            [label != OUT_OF_SCOPE and group[label] == fold and folds > 1 for label in labels]
        )
        held = (held_in == fold) & ~left_out & ((labels != OUT_OF_SCOPE) | is_file_oos)
        rows = np.flatnonzero(~left_out & ~held)
        part = Examples([data.texts[i] for i in rows], [data.labels[i] for i in rows])
        if len(set(part.labels)) < 2:
            continue
        fitted = _fit(part, embeddings[rows] if embeddings is not None else None)
        for scored, is_inside in (
            (np.flatnonzero(held & (labels != OUT_OF_SCOPE)), True),
            (np.flatnonzero(left_out | (held & (labels == OUT_OF_SCOPE))), False),
        ):
            if not len(scored):
                continue
            lookup = _rows_of(embeddings[scored]) if embeddings is not None else None
            probabilities, similarity = _raw_scores(fitted, [data.texts[i] for i in scored], lookup)
            classes = [str(c) for c in fitted.ngram_head.classes_]
            claimed = np.zeros(len(scored), dtype=bool)
            if OUT_OF_SCOPE in classes:
                at = classes.index(OUT_OF_SCOPE)
                claimed = probabilities.argmax(axis=1) == at
                probabilities[:, at] = 0.0
            best = probabilities.argmax(axis=1)
            for k, row in enumerate(scored):
                value = (
                    REJECTED if claimed[k] else _score(float(probabilities[k, best[k]]), float(similarity[k]))
                )
                if is_inside:
                    inside.append(value)
                    correct.append(classes[best[k]] == data.labels[row])
                else:
                    outside.append(value)
    progress("held-out scores", folds, folds)
    return HeldOutScores.of(
        in_scope=inside,
        in_scope_correct=correct,
        out_of_scope=outside,
        source=f"{folds}-fold held-out scores of the training data, whole intents left out",
        labelled_oos_share=None,
    )


def _rows_of(vectors: np.ndarray) -> Callable[[list[int]], np.ndarray]:
    """Already computed embeddings, served like an encoder call for the cascade."""

    def lookup(rows: list[int]) -> np.ndarray:
        return vectors[rows]

    return lookup

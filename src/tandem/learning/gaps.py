"""Knowledge gaps, the pure part: group the questions the bot could not answer (or that ended with a person)
by topic, name each group by its most telling phrases, count it this window and the one before, and
propose what to write: an article when the bot knew the intent but had nothing good to say, a new intent
when it did not know what the customer meant."""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import Stemmer
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

MAX_QUESTIONS = 3_000  # newest kept; clustering is quadratic in the number of questions
DISTANCE = 0.8  # cosine distance under which two questions are on one topic (average linkage)
MIN_VOLUME = 3
EMBEDDING_DISTANCE = 0.5  # the same, between sentence embeddings
NOISE = frozenset(
    {"hi", "hello", "hey", "please", "thanks", "thank", "want", "need", "know", "like", "just", "help", "get", "can",
     "does", "do", "did", "hola", "bonjour", "hallo", "bitte", "por", "favor", "merci"}
)  # fmt: skip


WORD = re.compile(r"[^\W\d_]{2,}")
_STOP = ENGLISH_STOP_WORDS | NOISE


class _Analyzer:
    """Words to stems (so "wrapped" and "wrapping" are one), unigrams and bigrams; and, for naming a
    topic, the word customers used most for each stem."""

    def __init__(self) -> None:
        self.stemmer = Stemmer.Stemmer("english")
        self.spelled: dict[str, Counter[str]] = defaultdict(Counter)

    def __call__(self, text: str) -> list[str]:
        words = [w for w in WORD.findall(text.lower()) if w not in _STOP]
        stems: list[str] = list(self.stemmer.stemWords(words))
        for word, stem in zip(words, stems, strict=True):
            self.spelled[stem][word] += 1
        return stems + [f"{a} {b}" for a, b in itertools.pairwise(stems)]

    def readable(self, term: str) -> str:
        return " ".join(self.spelled[s].most_common(1)[0][0] if self.spelled[s] else s for s in term.split())


@dataclass(frozen=True)
class Question:
    text: str
    reason: str  # escalated | unanswered
    out_of_scope: bool  # the bot did not recognise an intent
    intent: str | None
    previous_window: bool = False  # asked in the window before (for the trend)


@dataclass
class Gap:
    name: str
    phrases: list[str]
    volume: int
    previous_volume: int
    trend: str  # new | rising | falling | steady
    escalated: int
    unanswered: int
    proposal: str  # article | intent
    intent: str | None  # the intent the bot saw most, when it saw one
    examples: list[str] = field(default_factory=list)

    @property
    def suggested_title(self) -> str:
        return self.name[:1].upper() + self.name[1:]


def find_gaps(
    questions: list[Question],
    *,
    encode: Callable[[list[str]], Any] | None = None,
    min_volume: int = MIN_VOLUME,
    limit: int = 20,
) -> list[Gap]:
    """Topics of this window's questions, largest first; the previous window's questions only count
    towards the trend of the topic they are closest to."""
    current = [q for q in questions if not q.previous_window][-MAX_QUESTIONS:]
    earlier = [q for q in questions if q.previous_window][-MAX_QUESTIONS:]
    if len(current) < min_volume:
        return []
    analyzer = _Analyzer()
    vectorizer = TfidfVectorizer(analyzer=analyzer, min_df=1, sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform([q.text.lower() for q in current])
    except ValueError:  # only stop words
        return []
    dense = matrix.toarray()
    keep = dense.sum(axis=1) > 0
    if keep.sum() < 2:
        return []
    # Topics by meaning when a sentence encoder is at hand ("delivery to brazil cost" and "do you ship to
    # brazil" share one word), by words otherwise; names always come from the words.
    space = np.asarray(encode([q.text for q in current]), dtype=float) if encode else dense
    distance = EMBEDDING_DISTANCE if encode else DISTANCE
    labels = np.full(len(current), -1)
    labels[keep] = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=distance
    ).fit_predict(space[keep])
    terms = np.asarray(vectorizer.get_feature_names_out())
    labels = _attach_strays(space, labels, min_volume=min_volume, threshold=1 - distance - 0.05)
    centroids: dict[int, np.ndarray] = {}
    gaps: list[tuple[int, Gap]] = []
    for label in sorted(set(labels.tolist()) - {-1}):
        members = [i for i, found in enumerate(labels) if found == label]
        if len(members) < min_volume:
            continue
        centroids[label] = space[members].mean(axis=0)
        phrases = [analyzer.readable(term) for term in _phrases(dense[members].mean(axis=0), dense, terms)]
        group = [current[i] for i in members]
        intents = Counter(q.intent for q in group if q.intent and not q.out_of_scope)
        out = sum(q.out_of_scope for q in group)
        gaps.append(
            (
                label,
                Gap(
                    name=" / ".join(phrases[:2]) if phrases else group[0].text[:60],
                    phrases=phrases,
                    volume=len(group),
                    previous_volume=0,
                    trend="new",
                    escalated=sum(q.reason == "escalated" for q in group),
                    unanswered=sum(q.reason == "unanswered" for q in group),
                    proposal="intent" if out * 2 > len(group) else "article",
                    intent=intents.most_common(1)[0][0] if intents else None,
                    examples=[q.text for q in group[:5]],
                ),
            )
        )
    if earlier and centroids:
        texts = [q.text for q in earlier]
        before = (
            np.asarray(encode(texts), dtype=float)
            if encode
            else vectorizer.transform([t.lower() for t in texts]).toarray()
        )
        order = list(centroids)
        stacked = np.vstack([centroids[label] for label in order])
        similarity = _cosine(before, stacked)
        best = similarity.argmax(axis=1)
        for row, column in enumerate(best):
            if similarity[row, column] >= 1 - distance:
                label = order[int(column)]
                for found, gap in gaps:
                    if found == label:
                        gap.previous_volume += 1
    for _, gap in gaps:
        gap.trend = trend(gap.volume, gap.previous_volume)
    ranked = sorted((gap for _, gap in gaps), key=lambda gap: (-gap.volume, gap.name))
    return ranked[:limit]


def _attach_strays(dense: np.ndarray, labels: np.ndarray, *, min_volume: int, threshold: float) -> np.ndarray:
    """Questions left in groups too small to count join the nearest topic when they share enough with it
    ("can I order from brazil" with the shipping-to-Brazil questions); the rest stay out."""
    sizes = Counter(labels.tolist())
    kept = [label for label, size in sizes.items() if label != -1 and size >= min_volume]
    if not kept:
        return labels
    centroids = np.vstack([dense[labels == label].mean(axis=0) for label in kept])
    strays = [i for i, label in enumerate(labels) if label == -1 or sizes[label] < min_volume]
    if not strays:
        return labels
    similarity = _cosine(dense[strays], centroids)
    attached = labels.copy()
    for row, index in enumerate(strays):
        best = int(similarity[row].argmax())
        if similarity[row, best] >= threshold:
            attached[index] = kept[best]
    return attached


def _phrases(centroid: np.ndarray, dense: np.ndarray, terms: np.ndarray, *, count: int = 4) -> list[str]:
    """The terms that weigh most in this topic against all questions (a class-based TF-IDF), bigrams
    preferred over the words they contain."""
    background = dense.mean(axis=0) + 1e-9
    weight = centroid * np.log1p(centroid / background)
    chosen: list[str] = []
    for index in np.argsort(-weight):
        if weight[index] <= 0 or len(chosen) >= count:
            break
        term = str(terms[index])
        if any(term in kept or kept in term for kept in chosen):
            continue
        chosen.append(term)
    return chosen


def _cosine(rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
    left = rows / (np.linalg.norm(rows, axis=1, keepdims=True) + 1e-12)
    right = columns / (np.linalg.norm(columns, axis=1, keepdims=True) + 1e-12)
    return np.asarray(left @ right.T)


def trend(now: int, before: int) -> str:
    """new, rising (+25 % or more), falling (-20 % or more) or steady."""
    if before == 0:
        return "new" if now else "steady"
    if now >= before * 1.25:
        return "rising"
    if now <= before * 0.8:
        return "falling"
    return "steady"


def draft_body(gap: Gap) -> str:
    """The start of an article for a person to finish: what customers asked, in their words."""
    asked = "\n".join(f"- {text}" for text in gap.examples)
    return (
        f"Customers asked about {gap.name} {gap.volume} times in the last window, and the assistant could not "
        f"answer.\n\nWhat they asked:\n{asked}\n\nAnswer: (write the answer here)"
    )

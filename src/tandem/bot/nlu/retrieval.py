"""Knowledge retrieval: BM25 (bm25s, with Snowball stemming per language) fused with dense similarity
from the sentence encoder when one is configured.

BM25 finds exact words ("LANTERN15", "Breton top"); the encoder finds paraphrases ("my parcel never came"
↔ "Missing package"). Ranks are fused with reciprocal-rank fusion; the confidence the bot compares with its
answer bar is the dense cosine when there is an encoder, otherwise BM25 relative to the query's own best
possible score, so both backends have a 0-1 scale.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import bm25s
import numpy as np
import Stemmer

from tandem.bot.nlu.encoders import Encoder
from tandem.bot.nlu.signals import fold
from tandem.kb.schemas import ArticleOut

_STEMMERS = {"en": "english", "es": "spanish", "fr": "french", "de": "german"}
_STOPWORDS = {"en": "en", "es": "es", "fr": "fr", "de": "de"}
RRF_K = 60


@dataclass(frozen=True)
class ArticleHit:
    article: ArticleOut
    score: float  # 0-1: how well the article matches the question
    bm25: float
    dense: float | None


class Retriever(Protocol):
    name: str

    def rebuild(self, articles: Sequence[ArticleOut]) -> None:
        """Index these published articles (called on start and whenever the knowledge base changes)."""
        ...

    def search(self, query: str, *, locale: str, limit: int = 3, dense: bool = True) -> list[ArticleHit]:
        """``dense=False`` skips the encoder: BM25 alone, for when the intent already names the article."""
        ...


NO_WORDS = "\x00no-words"


class _LocaleIndex:
    def __init__(self, locale: str, articles: list[ArticleOut], encoder: Encoder | None) -> None:
        self.locale = locale
        self.articles = articles
        self.stemmer = Stemmer.Stemmer(_STEMMERS.get(locale, "english"))
        self.stopwords = _STOPWORDS.get(locale, "en")
        documents = [f"{a.title} {a.title} {' '.join(a.tags)} {a.body}" for a in articles]
        self.bm25 = bm25s.BM25()
        # An article with no searchable word (symbols, stopwords only) still needs a token: with none in a
        # whole language BM25's average length is 0 and every score NaN. No query yields this token.
        tokens = [words or [NO_WORDS] for words in self._tokens(documents)]
        self.bm25.index(tokens, show_progress=False)
        self.vocabulary = set(self.bm25.vocab_dict)
        self.dense = encoder.encode([f"{a.title}. {a.body[:400]}" for a in articles]) if encoder else None

    def _tokens(self, texts: list[str]) -> list[list[str]]:
        tokenized = bm25s.tokenize(
            [fold(t) for t in texts],
            stopwords=self.stopwords,
            stemmer=self.stemmer,
            return_ids=False,
            show_progress=False,
        )
        return [list(tokens) for tokens in tokenized]

    def bm25_scores(self, query: str) -> tuple[np.ndarray, float]:
        """BM25 per article, and how much of the query the best article can explain (0-1): matched tokens'
        best scores over all tokens' best scores, where a token no article contains counts as the rarest."""
        tokens = list(dict.fromkeys(self._tokens([query])[0]))
        known = [t for t in tokens if t in self.vocabulary]
        if not known:
            return np.zeros(len(self.articles)), 0.0
        scores = np.asarray(self.bm25.get_scores(known), dtype=float)
        best_per_token = [float(np.asarray(self.bm25.get_scores([t])).max()) for t in known]
        rarest = max(best_per_token)
        ceiling = sum(best_per_token) + rarest * (len(tokens) - len(known))
        return scores, ceiling


class HybridRetriever:
    name = "hybrid"

    def __init__(self, encoder: Encoder | None = None) -> None:
        self.encoder = encoder
        self._indexes: dict[str, _LocaleIndex] = {}

    def rebuild(self, articles: Sequence[ArticleOut]) -> None:
        by_locale: dict[str, list[ArticleOut]] = {}
        for article in articles:
            by_locale.setdefault(article.locale.split("-")[0].lower(), []).append(article)
        self._indexes = {
            locale: _LocaleIndex(locale, group, self.encoder if locale == "en" else None)
            for locale, group in by_locale.items()
        }

    @property
    def size(self) -> int:
        return sum(len(index.articles) for index in self._indexes.values())

    def search(self, query: str, *, locale: str, limit: int = 3, dense: bool = True) -> list[ArticleHit]:
        if not query.strip():
            return []
        index = self._indexes.get(locale) or self._indexes.get("en")
        if index is None:
            return []
        bm25, ceiling = index.bm25_scores(query[:2000])
        similarities = None
        if dense and index.dense is not None and self.encoder is not None:
            similarities = index.dense @ self.encoder.encode([query[:2000]])[0]
        ranked = _fuse(bm25, similarities)
        hits = []
        for position in ranked[:limit]:
            lexical = min(1.0, float(bm25[position] / ceiling)) if ceiling > 0 else 0.0
            similarity = float(similarities[position]) if similarities is not None else None
            score = max(similarity or 0.0, 0.0) if similarity is not None else lexical
            if bm25[position] <= 0 and (similarity is None or similarity < 0.2):
                continue
            hits.append(
                ArticleHit(
                    index.articles[position],
                    round(score, 4),
                    round(float(bm25[position]), 4),
                    round(similarity, 4) if similarity is not None else None,
                )
            )
        return hits


def _fuse(bm25: np.ndarray, dense: np.ndarray | None) -> list[int]:
    fused = np.zeros(len(bm25))
    for scores in (bm25, dense):
        if scores is None:
            continue
        for rank, position in enumerate(np.argsort(-scores)):
            fused[position] += 1.0 / (RRF_K + rank)
    return [int(i) for i in np.argsort(-fused)]


def words(text: str) -> list[str]:
    return re.findall(r"\w+", fold(text))

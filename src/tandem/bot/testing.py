"""Deterministic doubles of the bot's parts, for our tests and for plugin authors' tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from tandem.bot.types import IntentPrediction, IntentScore
from tandem.kb.schemas import ArticleOut

if TYPE_CHECKING:
    from tandem.bot.pipeline import Tier0Responder


class FixedIntentClassifier:
    """Answers from a table: text -> [(intent, score), ...] best first; unknown texts are out of scope."""

    def __init__(self, table: Mapping[str, list[tuple[str, float]]], *, threshold: float = 0.3) -> None:
        self.table = dict(table)
        self.threshold = threshold

    def predict(self, text: str, *, top: int = 3) -> IntentPrediction:
        ranked = self.table.get(text.strip(), [])
        alternatives = tuple(IntentScore(intent, score) for intent, score in ranked[:top])
        best = alternatives[0] if alternatives else IntentScore("none", 0.0)
        out = best.score < self.threshold
        return IntentPrediction(
            intent=None if out else best.intent,
            confidence=best.score,
            alternatives=alternatives or (best,),
            out_of_scope=out,
            threshold=self.threshold,
        )


def scripted_tier0(
    table: Mapping[str, list[tuple[str, float]]], articles: Sequence[ArticleOut] = ()
) -> Tier0Responder:
    """The real Tier-0 pipeline (language, signals, rules, BM25 over ``articles``) with a scripted intent
    model and no flows: decisions become deterministic without training anything."""
    from tandem.bot.nlu.retrieval import HybridRetriever
    from tandem.bot.nlu.sentiment import VaderLexiconSentiment
    from tandem.bot.pipeline import Tier0Responder
    from tandem.bot.registry import shared_language_detector

    retriever = HybridRetriever(None)
    retriever.rebuild(articles)
    return Tier0Responder(
        language=shared_language_detector(),
        sentiment=VaderLexiconSentiment(),
        intents=FixedIntentClassifier(table),
        retriever=retriever,
        flows=None,
    )

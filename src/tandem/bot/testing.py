"""Deterministic doubles of the bot's parts, for our tests and for plugin authors' tests."""

from __future__ import annotations

from collections.abc import Mapping

from tandem.bot.types import IntentPrediction, IntentScore


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

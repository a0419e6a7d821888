"""Sentiment and frustration, both directions, in the four languages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tandem.bot.escalation import default_policy
from tandem.bot.nlu.sentiment import (
    VaderLexiconSentiment,
    estimate_frustration,
    frustration_trend,
    is_repetition,
)
from tandem.bot.nlu.signals import detect_signals

CORPUS = json.loads(
    (Path(__file__).parent.parent / "fixtures" / "frustration.json").read_text(encoding="utf-8")
)
# Payment disputes are sensitive topics (they go to a person by that rule), not frustration phrases.
DISPUTES = ("bank", "banco", "banque", "Bank")


@pytest.fixture(scope="module")
def sentiment() -> VaderLexiconSentiment:
    return VaderLexiconSentiment()


def _frustration(
    sentiment: VaderLexiconSentiment, text: str, language: str, earlier: list[str] | None = None
) -> float:
    score = sentiment.score(text, language=language).compound
    return estimate_frustration(
        sentiment=score, signals=detect_signals(text), text=text, earlier_customer_texts=earlier or []
    ).score


@pytest.mark.parametrize("language", ["en", "es", "fr", "de"])
def test_frustrated_messages_cross_the_threshold(sentiment: VaderLexiconSentiment, language: str) -> None:
    texts = [t for t in CORPUS["frustrated"][language] if not any(word in t for word in DISPUTES)]
    below = [t for t in texts if _frustration(sentiment, t, language) < _threshold(language)]
    assert len(below) <= 1, below  # "I want my money back NOW" is the one we knowingly let through


@pytest.mark.parametrize("language", ["en", "es", "fr", "de"])
def test_calm_messages_stay_below_the_threshold(sentiment: VaderLexiconSentiment, language: str) -> None:
    above = [
        t for t in CORPUS["calm"][language] if _frustration(sentiment, t, language) >= _threshold(language)
    ]
    assert above == []


def test_lexicon_handles_negation(sentiment: VaderLexiconSentiment) -> None:
    assert sentiment.score("el servicio es muy malo", language="es").compound < -0.3
    assert sentiment.score("no está mal", language="es").compound > 0
    assert sentiment.score("c'est parfait, merci", language="fr").compound > 0.3
    assert sentiment.score("das ist nicht gut", language="de").compound < 0


def test_repeating_an_earlier_message_is_frustration(sentiment: VaderLexiconSentiment) -> None:
    earlier = ["where is my order ORD-10042"]
    assert is_repetition("Where is my order ORD-10042???", earlier)
    assert not is_repetition("thanks", ["thanks"])  # short courtesies repeat innocently
    assert _frustration(sentiment, "where is my order ORD-10042", "en", earlier) > _frustration(
        sentiment, "where is my order ORD-10042", "en"
    )


def test_trend_weights_recent_turns_most() -> None:
    assert frustration_trend([0.0, 0.0, 0.9]) > frustration_trend([0.9, 0.0, 0.0])
    assert frustration_trend([]) == 0.0


def _threshold(language: str) -> float:
    """The shipped policy's threshold: the fixture is judged against what the product actually uses."""
    threshold = default_policy().frustration_threshold(language)
    assert threshold is not None
    return threshold

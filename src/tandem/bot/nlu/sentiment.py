"""Sentiment and frustration: per message, and as a trend over the conversation.

Sentiment (-1 … +1) comes from VADER for English and from a small hand-written lexicon with negation and
intensifiers for Spanish, French and German (VADER is English-only). Frustration (0 … 1) is a separate
score: a customer can be polite and still furious that this is the third time they explain the same thing,
so it adds the rule signals (phrases like "I already told you", anger markers, threats, repetition of their
own earlier message) to negative sentiment. The trend is an exponentially weighted average over the
customer's turns, so one sharp word does not count as much as a rising pattern.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from tandem.bot.nlu.signals import Signals, fold

_LEXICON: dict[str, dict[str, float]] = {
    "es": {
        "gracias": 1.5,
        "genial": 2.0,
        "perfecto": 2.0,
        "excelente": 2.5,
        "bien": 1.0,
        "bueno": 1.0,
        "encantado": 2.0,
        "encantada": 2.0,
        "amable": 1.5,
        "ayuda": 0.5,
        "rapido": 1.0,
        "feliz": 2.0,
        "mal": -1.5,
        "malo": -1.5,
        "mala": -1.5,
        "terrible": -2.5,
        "horrible": -2.5,
        "pesimo": -3.0,
        "fatal": -2.5,
        "inutil": -2.5,
        "ridiculo": -2.0,
        "enfadado": -2.5,
        "enfadada": -2.5,
        "harto": -2.5,
        "harta": -2.5,
        "molesto": -2.0,
        "molesta": -2.0,
        "decepcionado": -2.0,
        "decepcionada": -2.0,
        "roto": -1.5,
        "rota": -1.5,
        "tarde": -1.0,
        "nunca": -1.0,
        "problema": -1.0,
        "queja": -2.0,
        "estafa": -3.0,
        "verguenza": -2.5,
        "vergonzoso": -2.5,
        "furioso": -3.0,
        "furiosa": -3.0,
        "lamentable": -2.5,
        "asco": -3.0,
        "peor": -2.5,
    },
    "fr": {
        "merci": 1.5,
        "super": 2.0,
        "parfait": 2.0,
        "excellent": 2.5,
        "bien": 1.0,
        "bon": 1.0,
        "genial": 2.0,
        "gentil": 1.5,
        "rapide": 1.0,
        "content": 2.0,
        "contente": 2.0,
        "ravi": 2.0,
        "mal": -1.5,
        "mauvais": -1.5,
        "mauvaise": -1.5,
        "terrible": -2.5,
        "horrible": -2.5,
        "nul": -2.5,
        "nulle": -2.5,
        "inutile": -2.5,
        "ridicule": -2.0,
        "enerve": -2.5,
        "enervee": -2.5,
        "marre": -2.5,
        "fache": -2.5,
        "fachee": -2.5,
        "decu": -2.0,
        "decue": -2.0,
        "casse": -1.5,
        "cassee": -1.5,
        "retard": -1.0,
        "jamais": -1.0,
        "probleme": -1.0,
        "plainte": -2.0,
        "arnaque": -3.0,
        "honte": -2.5,
        "scandaleux": -3.0,
        "furieux": -3.0,
        "furieuse": -3.0,
        "inadmissible": -3.0,
        "pire": -2.5,
    },
    "de": {
        "danke": 1.5,
        "super": 2.0,
        "perfekt": 2.0,
        "toll": 2.0,
        "gut": 1.0,
        "prima": 2.0,
        "klasse": 2.0,
        "freundlich": 1.5,
        "schnell": 1.0,
        "zufrieden": 2.0,
        "froh": 2.0,
        "hilfreich": 1.5,
        "schlecht": -2.0,
        "schrecklich": -2.5,
        "furchtbar": -2.5,
        "nutzlos": -2.5,
        "lacherlich": -2.0,
        "verargert": -2.5,
        "sauer": -2.0,
        "wutend": -3.0,
        "enttauscht": -2.0,
        "kaputt": -1.5,
        "beschadigt": -1.5,
        "spat": -1.0,
        "nie": -1.0,
        "problem": -1.0,
        "beschwerde": -2.0,
        "betrug": -3.0,
        "frechheit": -3.0,
        "unverschamt": -3.0,
        "katastrophe": -3.0,
        "unmoglich": -2.5,
        "schlimmste": -3.0,
        "schlechteste": -3.0,
        "armselig": -2.5,
        "zumutung": -3.0,
    },
}
_NEGATORS = frozenset("no not nunca jamas ne pas jamais nicht kein keine keinen nie".split())
_BOOSTERS = {
    "muy": 1.3,
    "tres": 1.3,
    "vraiment": 1.3,
    "sehr": 1.3,
    "total": 1.3,
    "absolut": 1.4,
    "completamente": 1.4,
    "totalement": 1.4,
    "extremadamente": 1.5,
    "extremement": 1.5,
}


@dataclass(frozen=True)
class SentimentScore:
    compound: float  # -1 (very negative) … +1 (very positive)
    method: str


class VaderLexiconSentiment:
    """The lexicon above for es/fr/de; VADER for English and, as the best available guess, other languages."""

    name = "vader"

    def __init__(self) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._vader = SentimentIntensityAnalyzer()

    def score(self, text: str, *, language: str) -> SentimentScore:
        if language in _LEXICON:
            return SentimentScore(_lexicon_compound(text, _LEXICON[language]), f"lexicon-{language}")
        if language == "en" or language not in _LEXICON:
            return SentimentScore(float(self._vader.polarity_scores(text[:2000])["compound"]), "vader")
        return SentimentScore(0.0, "none")  # pragma: no cover


def _lexicon_compound(text: str, lexicon: dict[str, float]) -> float:
    words = re.findall(r"[\w']+", fold(text))
    total = 0.0
    for index, word in enumerate(words):
        value = lexicon.get(word)
        if value is None:
            continue
        window = words[max(0, index - 3) : index]
        if any(w in _NEGATORS for w in window):
            value = -0.6 * value
        for w in window:
            value *= _BOOSTERS.get(w, 1.0)
        total += value
    if "!" in text and total:
        total *= 1.0 + 0.1 * min(text.count("!"), 4)
    # VADER's normalisation, so both scales read the same
    return float(max(-1.0, min(1.0, total / (total * total + 15) ** 0.5)))


@dataclass(frozen=True)
class Frustration:
    score: float  # 0 … 1 for this message
    reasons: tuple[str, ...]
    repeated_message: bool


def estimate_frustration(
    *, sentiment: float, signals: Signals, text: str, earlier_customer_texts: Sequence[str]
) -> Frustration:
    """Combines what the rules found with negative sentiment. Weights are chosen so that one strong signal
    (an explicit "I already told you", shouting with insults, a threat) is enough to cross the default
    escalation threshold of 0.6, while mild negativity ("unfortunately it doesn't fit") is not."""
    reasons: list[str] = []
    score = 0.0
    if sentiment <= -0.05:
        score += min(0.35, -sentiment * 0.4)
        if sentiment <= -0.5:
            reasons.append(f"negative sentiment ({sentiment:.2f})")
    if signals.frustration:
        score += 0.6 + 0.1 * (len(signals.frustration) - 1)
        reasons.append("frustration phrase: " + ", ".join(signals.frustration[:3]))
    if signals.insults:
        score += 0.45
        reasons.append("insult: " + ", ".join(signals.insults[:2]))
    if signals.shouting:
        score += 0.6
        reasons.append("shouting (capital letters)")
    if signals.exclamations >= 3:
        score += 0.15
        reasons.append("repeated exclamation marks")
    if signals.churn:
        score += 0.6
        reasons.append(f"churn threat: {signals.churn}")
    if signals.legal:
        score += 0.6
        reasons.append(f"legal threat: {signals.legal}")
    repeated = is_repetition(text, earlier_customer_texts)
    if repeated:
        score += 0.45
        reasons.append("repeats an earlier message")
    return Frustration(round(min(1.0, score), 3), tuple(reasons), repeated)


def is_repetition(text: str, earlier: Sequence[str]) -> bool:
    """The customer sends (nearly) the same message again: the clearest sign the bot did not help."""
    current = fold(text)
    if len(current) < 8:
        return False  # "yes", "ok", "thanks" repeat innocently
    return any(fuzz.token_set_ratio(current, fold(old)) >= 88 for old in earlier if len(fold(old)) >= 8)


def frustration_trend(scores: Sequence[float], *, smoothing: float = 0.5) -> float:
    """Exponentially weighted average over the customer's turns, newest weighted most."""
    trend = 0.0
    for index, value in enumerate(scores):
        trend = value if index == 0 else smoothing * value + (1 - smoothing) * trend
    return round(trend, 3)

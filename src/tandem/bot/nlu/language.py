"""Language of a customer message, with the conversation's language as the prior.

Short messages ("ok", "ORD-10042", "agent") carry too little text to tell languages apart, so they keep
the conversation's locale; a confident detection of another supported language switches it, and a
confident detection of a language we do not serve is reported so the bot can say so honestly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from tandem.bot.nlu.signals import fold

SUPPORTED = ("en", "es", "fr", "de")
# Languages we can recognise but do not serve; detecting them avoids mistaking Italian for Spanish.
RECOGNISED_ONLY = ("it", "pt", "nl")
MIN_LETTERS = 12
MIN_CONFIDENCE = 0.55
# Short messages that still say which language the customer speaks.
_SHORT = {
    "es": {"hola", "buenas", "buenos dias", "buenas tardes", "gracias", "muchas gracias", "adios", "vale"},
    "fr": {"bonjour", "bonsoir", "salut", "merci", "merci beaucoup", "au revoir"},
    "de": {"hallo", "guten tag", "guten morgen", "danke", "danke schon", "tschuss", "servus", "moin"},
    "en": {"hello", "hi", "hey", "thanks", "thank you", "bye", "good morning"},
}


@dataclass(frozen=True)
class LanguageGuess:
    language: str  # ISO 639-1
    confidence: float
    supported: bool
    method: str


class LanguageDetector(Protocol):
    name: str

    def detect(self, text: str, *, prior: str) -> LanguageGuess: ...


class LinguaDetector:
    """lingua-language-detector restricted to the languages above (about 0.1 ms per message)."""

    name = "lingua"

    def __init__(self) -> None:
        from lingua import Language, LanguageDetectorBuilder

        languages = [Language.from_iso_code_639_1(_iso(code)) for code in (*SUPPORTED, *RECOGNISED_ONLY)]
        self._detector = (
            LanguageDetectorBuilder.from_languages(*languages).with_preloaded_language_models().build()
        )

    def detect(self, text: str, *, prior: str) -> LanguageGuess:
        prior = prior if prior in SUPPORTED else "en"
        short = fold(text).strip(" !.?,")
        for code, words in _SHORT.items():
            if short in words:
                return LanguageGuess(code, 1.0, True, "greeting word")
        letters = sum(c.isalpha() for c in text)
        if letters < MIN_LETTERS or not re.search(r"[^\W\d_]{3,}\s+[^\W\d_]{2,}", text):
            return LanguageGuess(prior, 0.0, True, "prior (too short to tell)")
        values = self._detector.compute_language_confidence_values(text[:400])
        if not values:
            return LanguageGuess(prior, 0.0, True, "prior (undetected)")
        best = values[0]
        code = best.language.iso_code_639_1.name.lower()
        prior_value = next((v.value for v in values if v.language.iso_code_639_1.name.lower() == prior), 0.0)
        if code == prior or best.value < MIN_CONFIDENCE or best.value - prior_value < 0.25:
            return LanguageGuess(prior, round(prior_value, 3), True, "prior (consistent)")
        return LanguageGuess(code, round(best.value, 3), code in SUPPORTED, "lingua")


def _iso(code: str):  # type: ignore[no-untyped-def]
    from lingua import IsoCode639_1

    return getattr(IsoCode639_1, code.upper())

"""Language detection with the conversation's language as the prior."""

from __future__ import annotations

import pytest

from tandem.bot.nlu.language import LinguaDetector


@pytest.fixture(scope="module")
def detector() -> LinguaDetector:
    return LinguaDetector()


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("¿dónde está mi pedido? lo necesito para el viernes", "es"),
        ("je voudrais retourner ma commande s'il vous plaît", "fr"),
        ("wo ist meine Bestellung, sie ist seit einer Woche unterwegs", "de"),
        ("I would like to return the jumper I bought", "en"),
    ],
)
def test_clear_messages_switch_to_their_language(detector: LinguaDetector, text: str, language: str) -> None:
    guess = detector.detect(text, prior="en" if language != "en" else "de")
    assert guess.language == language and guess.supported


def test_short_messages_keep_the_conversation_language(detector: LinguaDetector) -> None:
    assert detector.detect("ok", prior="fr").language == "fr"
    assert detector.detect("ORD-10042", prior="de").language == "de"
    assert detector.detect("🙂🙂", prior="es").language == "es"


def test_greeting_words_name_their_language(detector: LinguaDetector) -> None:
    assert detector.detect("hola", prior="en").language == "es"
    assert detector.detect("Bonjour !", prior="en").language == "fr"


def test_a_language_we_do_not_serve_is_reported(detector: LinguaDetector) -> None:
    guess = detector.detect("buongiorno, dov'è il mio ordine? non è ancora arrivato", prior="en")
    assert guess.language == "it" and not guess.supported

"""The mood badge in the agent's lists: how the customer feels now, from their latest messages, with the real
sentiment scorer (VADER for English, the hand-written lexicon for Spanish)."""

from __future__ import annotations

import pytest

from tandem.assist.mood import ANGRY, UPSET, Mood, MoodReader, read_mood
from tandem.bot.nlu.sentiment import VaderLexiconSentiment

CALM = "hello, where is my order?"
SHOUTING = "THIS IS RIDICULOUS, I HAVE BEEN WAITING FOR WEEKS AND NOBODY ANSWERS MY EMAILS"
INSULT = "you are useless idiots, this is a scam"
FRUSTRATION_PHRASE = "I have told you three times already, the parcel never arrived"


@pytest.fixture(scope="module")
def sentiment() -> VaderLexiconSentiment:
    return VaderLexiconSentiment()


def _mood(sentiment: VaderLexiconSentiment, *texts: str, language: str = "en") -> Mood:
    return read_mood(list(texts), language=language, sentiment=sentiment)


def test_no_messages_is_calm_and_steady(sentiment: VaderLexiconSentiment) -> None:
    assert _mood(sentiment) == Mood(0.0, "calm", "steady")


@pytest.mark.parametrize(
    "text", [CALM, "Thanks, that was really helpful!", "Could you tell me how long delivery takes?"]
)
def test_calm_english_is_calm(sentiment: VaderLexiconSentiment, text: str) -> None:
    mood = _mood(sentiment, text)
    assert mood.label == "calm", mood
    assert mood.score < UPSET
    assert mood.direction == "steady"


@pytest.mark.parametrize("text", [SHOUTING, INSULT, FRUSTRATION_PHRASE], ids=["shouting", "insult", "phrase"])
def test_shouting_insults_and_frustration_phrases_are_angry(
    sentiment: VaderLexiconSentiment, text: str
) -> None:
    mood = _mood(sentiment, text)
    assert mood.label == "angry", mood
    assert ANGRY <= mood.score <= 1.0


def test_calm_then_angry_is_rising(sentiment: VaderLexiconSentiment) -> None:
    mood = _mood(sentiment, CALM, SHOUTING)
    assert mood.direction == "rising", mood
    assert mood.label != "calm"


def test_angry_then_calm_is_falling(sentiment: VaderLexiconSentiment) -> None:
    mood = _mood(sentiment, SHOUTING, "ok thanks, that works for me")
    assert mood.direction == "falling", mood
    # one calm message does not wipe out the anger before it: the newest weighs most, not alone
    assert mood.score > 0.0


def test_a_steady_run_of_calm_messages_stays_steady(sentiment: VaderLexiconSentiment) -> None:
    mood = _mood(sentiment, CALM, "it is order ORD-10002", "thank you")
    assert (mood.label, mood.direction) == ("calm", "steady"), mood


def test_angry_spanish_is_not_calm(sentiment: VaderLexiconSentiment) -> None:
    text = "¡Esto es una vergüenza, ya lo he explicado tres veces!"
    mood = _mood(sentiment, text, language="es")
    assert mood.label in ("upset", "angry"), mood
    assert mood.score >= UPSET
    # and a calm Spanish question is not flagged: the badge reads the words, not the language
    assert _mood(sentiment, "Hola, ¿dónde está mi pedido?", language="es").label == "calm"


def test_the_reader_scores_a_conversation_once_per_new_message_and_stays_bounded() -> None:
    calls: list[str] = []

    class Counting:
        def score(self, text: str, *, language: str) -> object:
            calls.append(text)
            return VaderLexiconSentiment().score(text, language=language)

    reader = MoodReader(Counting(), size=2)
    first = reader.read((1, 5), [CALM], language="en")
    assert reader.read((1, 5), [CALM], language="en") is first and calls == [CALM]  # polled again: cached
    assert reader.read((1, 7), [CALM, SHOUTING], language="en").label != "calm"  # a new message: scored
    reader.read((2, 3), [CALM], language="en")
    reader.read((1, 5), [CALM], language="en")  # the oldest entry made room, so it is scored again
    assert calls.count(CALM) == 4

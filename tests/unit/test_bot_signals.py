"""The rule signals, each in both directions: asking for a person, frustration, threats, sensitive topics.

The example corpora in bot/nlu/assets hold many phrasings per language and were used to write the rules;
the hand-written cases below were not, and check that they generalise. How rules and the learned detector
do together on a held-out corpus is in test_bot_human_request.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tandem.bot.nlu import signals
from tandem.bot.nlu.signals import detect_human_request, detect_signals, fold, is_shouting

ASSETS = Path(signals.__file__).parent / "assets"  # the rules were written against these examples
HUMAN = json.loads((ASSETS / "human_requests.json").read_text(encoding="utf-8"))
NOT_HUMAN = json.loads((ASSETS / "not_human_requests.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("language", ["en", "es", "fr", "de"])
def test_every_fixture_request_for_a_person_fires(language: str) -> None:
    missed = [text for text in HUMAN[language] if detect_human_request(text) is None]
    assert missed == []


@pytest.mark.parametrize("language", ["en", "es", "fr", "de"])
def test_innocent_uses_of_person_words_do_not_fire(language: str) -> None:
    fired = [text for text in NOT_HUMAN[language] if detect_human_request(text) is not None]
    assert fired == []


@pytest.mark.parametrize(
    "text",
    [
        "can I please chat with an actual human",
        "I need a representative now",
        "SPEAK TO AGENT",
        "please connect me with your support team",
        "necesito hablar con un asesor",
        "mettez-moi en relation avec un agent svp",
        "Ich brauche einen Mitarbeiter",
        "could you put me through to someone in customer care?",
    ],
)
def test_unseen_requests_for_a_person_fire(text: str) -> None:
    assert detect_human_request(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "I don't need a human, just tell me the return window",
        "the agent on the phone was lovely, thanks",
        "what does the human-centred design label mean?",
        "how many people can share one gift card?",
        "my supervisor approved the order, can you send the invoice?",
    ],
)
def test_unseen_innocent_mentions_do_not_fire(text: str) -> None:
    assert detect_human_request(text) is None


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("someone hacked my account and changed the email", "account_compromised"),
        ("there are two charges on my statement that I didn't make", "fraud"),
        ("I'm going to file a chargeback with my bank", "chargeback"),
        ("my husband passed away last month, please close his account", "bereavement"),
        ("I want to make a formal complaint about your courier", "formal_complaint"),
        ("mi cuenta ha sido hackeada", "account_compromised"),
        ("je ne reconnais pas ce prélèvement de 89 euros", "fraud"),
        ("mein Vater ist verstorben", "bereavement"),
    ],
)
def test_sensitive_topics_are_named(text: str, topic: str) -> None:
    assert topic in detect_signals(text).sensitive


@pytest.mark.parametrize(
    "text",
    ["where is my order?", "can I return a jacket after 60 days?", "the charge for express shipping is fine"],
)
def test_routine_questions_are_not_sensitive(text: str) -> None:
    assert detect_signals(text).sensitive == {}


def test_threats_of_leaving_and_of_lawyers_are_reported() -> None:
    signals = detect_signals("I will cancel my account and my lawyer will hear about this")
    assert signals.churn is not None and signals.legal is not None
    calm = detect_signals("how do I cancel an order that has not shipped?")
    assert calm.churn is None and calm.legal is None


def test_shouting_needs_enough_capital_letters_and_ignores_order_numbers() -> None:
    assert is_shouting("WHY IS MY PARCEL STILL NOT HERE")
    assert not is_shouting("OK")
    assert not is_shouting("where is ORD-10042 please")


def test_fold_removes_accents_and_case() -> None:
    assert fold("Opérateur  SVP") == "operateur svp"
    assert fold("Straße") == "strasse"

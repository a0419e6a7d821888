"""Each escalation rule in both directions."""

from __future__ import annotations

from tandem.bot.escalation import (
    ConversationStats,
    EscalationPolicy,
    TurnAnalysis,
    decide_escalation,
    explicit_request,
    failed_attempts,
    frustration,
    human_only_intent,
    intent_loop,
    sensitive_topic,
    unsupported_language,
)
from tandem.bot.nlu.sentiment import Frustration
from tandem.bot.nlu.signals import Signals, detect_signals
from tandem.bot.types import IntentPrediction, IntentScore

POLICY = EscalationPolicy(frustration_thresholds={"en": 0.6, "de": 0.8})


def _turn(
    text: str = "hello",
    *,
    intent: str | None = "order_status",
    score: float = 0.0,
    trend: float = 0.0,
    language: str = "en",
    supported: bool = True,
    signals: Signals | None = None,
) -> TurnAnalysis:
    prediction = IntentPrediction(intent, 0.9, (IntentScore(intent or "x", 0.9),), intent is None, 0.2)
    return TurnAnalysis(
        text=text,
        language=language,
        language_supported=supported,
        signals=signals or detect_signals(text),
        sentiment=0.0,
        frustration=Frustration(score, ("test",), False),
        frustration_trend=trend,
        intent=prediction,
    )


def test_explicit_request_fires_only_on_a_request() -> None:
    assert explicit_request(_turn("let me talk to a human"), ConversationStats(), POLICY) is not None
    assert explicit_request(_turn("where is my order"), ConversationStats(), POLICY) is None


def test_sensitive_topic_names_the_topic() -> None:
    found = sensitive_topic(_turn("my account was hacked"), ConversationStats(), POLICY)
    assert found is not None and found.evidence["topic"] == "account_compromised"
    assert sensitive_topic(_turn("my account page is slow"), ConversationStats(), POLICY) is None


def test_frustration_uses_the_locale_threshold_and_the_trend() -> None:
    assert frustration(_turn(score=0.7), ConversationStats(), POLICY) is not None
    assert frustration(_turn(score=0.7, language="de"), ConversationStats(), POLICY) is None
    assert frustration(_turn(score=0.2, trend=0.65), ConversationStats(), POLICY) is not None
    assert frustration(_turn(score=0.3), ConversationStats(), POLICY) is None


def test_human_only_intents_go_to_people() -> None:
    assert human_only_intent(_turn(intent="complaint"), ConversationStats(), POLICY) is not None
    assert human_only_intent(_turn(intent="order_status"), ConversationStats(), POLICY) is None


def test_the_same_intent_three_times_is_a_loop() -> None:
    looping = ConversationStats(recent_intents=("promo_code", "promo_code"))
    assert intent_loop(_turn(intent="promo_code"), looping, POLICY) is not None
    assert intent_loop(_turn(intent="order_status"), looping, POLICY) is None
    broken = ConversationStats(
        recent_intents=("promo_code", "", "promo_code")
    )  # "": a turn that was not answered
    assert intent_loop(_turn(intent="promo_code"), broken, POLICY) is None
    assert (
        intent_loop(_turn(intent="thanks"), ConversationStats(recent_intents=("thanks", "thanks")), POLICY)
        is None
    )


def test_unsupported_language_hands_over_the_second_time() -> None:
    once = ConversationStats(unsupported_language_turns=1)
    assert unsupported_language(_turn(language="it", supported=False), once, POLICY) is not None
    assert unsupported_language(_turn(language="it", supported=False), ConversationStats(), POLICY) is None


def test_failed_attempts_count_to_the_limit() -> None:
    assert failed_attempts("not_understood", ConversationStats(consecutive_failures=2), POLICY) is not None
    assert failed_attempts("not_understood", ConversationStats(consecutive_failures=1), POLICY) is None
    assert failed_attempts("answered", ConversationStats(consecutive_failures=5), POLICY) is None


def test_saying_an_answer_did_not_help_fails_that_answer_too() -> None:
    # earlier: not understood, then an answer; now "that didn't help" -> three failures in a row
    after_answer = ConversationStats(consecutive_failures=0, last_outcome="answered")
    assert failed_attempts("unhelpful", after_answer, POLICY) is None  # the answer and this turn: two
    after_miss_and_answer = ConversationStats(consecutive_failures=1, last_outcome="answered")
    assert failed_attempts("unhelpful", after_miss_and_answer, POLICY) is not None
    assert failed_attempts("not_understood", after_miss_and_answer, POLICY) is None


def test_an_explicit_request_wins_over_every_other_rule() -> None:
    turn = _turn("I want a human, my account was hacked", score=0.9, intent="complaint")
    found = decide_escalation(turn, ConversationStats(), POLICY)
    assert found is not None and found.rule == "explicit_request"
    assert decide_escalation(_turn("where is my order"), ConversationStats(), POLICY) is None

"""Each escalation rule in both directions, on its own (``rule.check``) and inside a policy (``decide``).

Turns are built by hand (``TurnAnalysis``) so the frustration score, the trend, the language and the intent
are exactly what a test says; only the rule signals come from the real detectors. The conversation-level
suite, through the whole Tier-0 pipeline, is test_escalation_conversations.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from tandem.bot.escalation import (
    FAILED_OUTCOMES,
    ConversationStats,
    Escalation,
    EscalationPolicy,
    ExplicitRequest,
    FailedAttempts,
    FrustrationRule,
    HumanOnlyIntent,
    IntentLoop,
    MembershipRule,
    SensitiveTopic,
    TurnAnalysis,
    UnsupportedLanguage,
    default_policy,
)
from tandem.bot.nlu.sentiment import Frustration
from tandem.bot.nlu.signals import Signals, detect_signals
from tandem.bot.types import IntentPrediction, IntentScore

POLICY = default_policy()
CALM = ConversationStats()


def _turn(
    text: str = "hello",
    *,
    intent: str | None = "order_status",
    score: float = 0.0,
    trend: float | None = None,
    language: str = "en",
    supported: bool = True,
    signals: Signals | None = None,
    reasons: tuple[str, ...] = ("test",),
) -> TurnAnalysis:
    prediction = IntentPrediction(intent, 0.9, (IntentScore(intent or "x", 0.9),), intent is None, 0.2)
    return TurnAnalysis(
        text=text,
        language=language,
        language_supported=supported,
        signals=signals or detect_signals(text),
        sentiment=0.0,
        frustration=Frustration(score, reasons, False),
        frustration_trend=score if trend is None else trend,
        intent=prediction,
    )


def _policy(*rules: dict[str, Any]) -> EscalationPolicy:
    return EscalationPolicy.model_validate({"version": 1, "rules": list(rules)})


EXPLICIT = {"rule": "explicit_request"}


# --- the packaged policy -----------------------------------------------------------------------------------


def test_the_default_policy_has_every_rule_in_file_order() -> None:
    assert [rule.rule for rule in POLICY.rules] == [
        "explicit_request",
        "sensitive_topic",
        "membership",
        "frustration",
        "human_only_intent",
        "loop",
        "unsupported_language",
        "failed_attempts",
    ]
    assert POLICY.human_only_intents == {"complaint", "cancel_subscription"}
    assert {language: POLICY.frustration_threshold(language) for language in ("en", "es", "fr", "de")} == {
        "en": 0.6,
        "es": 0.6,
        "fr": 0.6,
        "de": 0.6,
    }


def test_nothing_fires_on_a_calm_routine_turn() -> None:
    assert POLICY.decide(_turn("where is my order ORD-10042?"), CALM) is None


# --- explicit_request --------------------------------------------------------------------------------------


def test_explicit_request_fires_on_a_request_with_the_phrase_as_evidence() -> None:
    rule = ExplicitRequest(rule="explicit_request")
    found = rule.check(_turn("let me talk to a human"), CALM)
    assert found is not None
    assert (found.rule, found.trigger, found.threshold) == ("explicit_request", "customer_request", None)
    assert found.evidence == {"phrase": "talk to a <person>"}


@pytest.mark.parametrize(
    "text", ["where is my order", "the delivery agent left my parcel outside", "my manager needs an invoice"]
)
def test_explicit_request_does_not_fire_without_a_request(text: str) -> None:
    assert ExplicitRequest(rule="explicit_request").check(_turn(text), CALM) is None
    assert POLICY.decide(_turn(text), CALM) is None


@pytest.mark.parametrize(
    "text", ["talk to an agent", "quiero hablar con una persona", "un conseiller svp", "Mitarbeiter bitte"]
)
def test_explicit_request_through_the_policy(text: str) -> None:
    found = POLICY.decide(_turn(text), CALM)
    assert found is not None and found.rule == "explicit_request" and found.trigger == "customer_request"


def test_explicit_request_fires_whatever_else_the_conversation_has_shown() -> None:
    stats = ConversationStats(
        consecutive_failures=5, frustration_since_escalation=(0.9,), membership="guest", customer_turns=9
    )
    found = POLICY.decide(_turn("agent please", intent=None), stats)
    assert found is not None and found.rule == "explicit_request"


# --- sensitive_topic ---------------------------------------------------------------------------------------

TOPIC_EXAMPLES = {
    "fraud": "there are two charges on my statement that I didn't make",
    "account_compromised": "someone hacked my account and changed the email",
    "chargeback": "I'm going to file a chargeback with my bank",
    "legal_threat": "I will talk to my lawyer about this",
    "bereavement": "my husband passed away last month, please close his account",
    "formal_complaint": "I want to make a formal complaint about your courier",
}


@pytest.mark.parametrize(("topic", "text"), TOPIC_EXAMPLES.items())
def test_sensitive_topic_fires_and_names_the_topic(topic: str, text: str) -> None:
    found = SensitiveTopic(rule="sensitive_topic").check(_turn(text), CALM)
    assert found is not None
    assert found.rule == "sensitive_topic" and found.trigger == "sensitive_topic"
    assert found.evidence["topic"] == topic and topic in found.evidence["all"]
    assert topic.replace("_", " ") in found.reason
    through_policy = POLICY.decide(_turn(text), CALM)
    assert through_policy is not None and through_policy.rule == "sensitive_topic"


@pytest.mark.parametrize(
    "text", ["my account page is slow", "how do I change the card on my account?", "I forgot my password"]
)
def test_sensitive_topic_does_not_fire_on_routine_account_questions(text: str) -> None:
    assert SensitiveTopic(rule="sensitive_topic").check(_turn(text), CALM) is None
    assert POLICY.decide(_turn(text), CALM) is None


def test_sensitive_topic_only_watches_the_topics_it_lists() -> None:
    fraud_only = SensitiveTopic(rule="sensitive_topic", topics=("fraud",))
    assert fraud_only.check(_turn(TOPIC_EXAMPLES["account_compromised"]), CALM) is None
    assert fraud_only.check(_turn(TOPIC_EXAMPLES["fraud"]), CALM) is not None
    policy = _policy(EXPLICIT, {"rule": "sensitive_topic", "topics": ["fraud"]})
    assert policy.decide(_turn(TOPIC_EXAMPLES["bereavement"]), CALM) is None


# --- frustration -------------------------------------------------------------------------------------------


def test_frustration_fires_at_the_threshold_and_not_below() -> None:
    rule = FrustrationRule(rule="frustration")
    at = rule.check(_turn(score=0.6), CALM)
    assert at is not None and at.rule == "frustration" and at.trigger == "sentiment"
    assert rule.check(_turn(score=0.59), CALM) is None
    assert POLICY.decide(_turn(score=0.6), CALM) is not None
    assert POLICY.decide(_turn(score=0.59), CALM) is None


def test_frustration_uses_the_threshold_of_the_customer_language() -> None:
    rule = FrustrationRule(rule="frustration", threshold=0.6, locales={"de": 0.8, "es": 0.5})
    assert rule.check(_turn(score=0.7, language="de"), CALM) is None
    assert rule.check(_turn(score=0.8, language="de"), CALM) is not None
    assert rule.check(_turn(score=0.55, language="es"), CALM) is not None
    assert rule.check(_turn(score=0.55, language="en"), CALM) is None
    assert rule.check(_turn(score=0.6, language="fr"), CALM) is not None  # unlisted: the general threshold
    assert [rule.threshold_for(code) for code in ("de", "es", "fr")] == [0.8, 0.5, 0.6]


def test_per_locale_thresholds_through_the_policy() -> None:
    policy = _policy(EXPLICIT, {"rule": "frustration", "threshold": 0.6, "locales": {"de": 0.8, "es": 0.5}})
    assert policy.decide(_turn(score=0.7, language="de"), CALM) is None
    assert policy.decide(_turn(score=0.7, language="en"), CALM) is not None
    found = policy.decide(_turn(score=0.52, language="es"), CALM)
    assert found is not None and found.threshold == 0.5 and found.evidence["language"] == "es"
    assert policy.frustration_threshold("de") == 0.8 and policy.frustration_threshold("it") == 0.6


def test_the_crossed_threshold_is_recorded_in_the_escalation_and_its_trace() -> None:
    rule = FrustrationRule(rule="frustration", locales={"de": 0.8})
    found = rule.check(_turn(score=0.85, language="de", reasons=("frustration phrase: frechheit",)), CALM)
    assert found is not None and found.threshold == 0.8
    trace = found.as_trace()
    assert trace == {
        "rule": "frustration",
        "trigger": "sentiment",
        "reason": "the customer is frustrated: frustration phrase: frechheit",
        "evidence": {
            "score": 0.85,
            "trend": 0.85,
            "language": "de",
            "reasons": ["frustration phrase: frechheit"],
        },
        "threshold": 0.8,
    }


def test_a_rising_trend_fires_even_when_this_message_is_below_the_threshold() -> None:
    rule = FrustrationRule(rule="frustration")
    found = rule.check(_turn(score=0.2, trend=0.65, reasons=()), CALM)
    assert found is not None and found.evidence["trend"] == 0.65 and "rising frustration" in found.reason
    assert rule.check(_turn(score=0.2, trend=0.5), CALM) is None
    without_trend = FrustrationRule(rule="frustration", use_trend=False)
    assert without_trend.check(_turn(score=0.2, trend=0.65), CALM) is None
    assert POLICY.decide(_turn(score=0.2, trend=0.65), CALM) is not None


@pytest.mark.parametrize(
    "since",
    [
        (),  # handed back, nothing said since: frustration from before the handoff does not count again
        (0.9,),
        (0.9, 0.7, 0.62),
        (0.5, 0.46),  # calmer, but not below threshold - release (0.6 - 0.15)
    ],
)
def test_after_a_sentiment_handoff_frustration_does_not_fire_again_until_it_fell(
    since: tuple[float, ...],
) -> None:
    stats = ConversationStats(frustration_since_escalation=since)
    assert FrustrationRule(rule="frustration").check(_turn(score=0.9), stats) is None
    assert POLICY.decide(_turn(score=0.9), stats) is None


@pytest.mark.parametrize("since", [(0.44,), (0.9, 0.1), (0.0, 0.8)])
def test_frustration_fires_again_once_it_fell_below_threshold_minus_release(since: tuple[float, ...]) -> None:
    stats = ConversationStats(frustration_since_escalation=since)
    found = FrustrationRule(rule="frustration").check(_turn(score=0.9), stats)
    assert found is not None and found.rule == "frustration"
    decided = POLICY.decide(_turn(score=0.9), stats)
    assert decided is not None and decided.rule == "frustration"


def test_the_release_margin_is_configurable() -> None:
    wide = FrustrationRule(rule="frustration", threshold=0.6, release=0.3)
    assert wide.check(_turn(score=0.9), ConversationStats(frustration_since_escalation=(0.4,))) is None
    assert wide.check(_turn(score=0.9), ConversationStats(frustration_since_escalation=(0.29,))) is not None
    german = FrustrationRule(rule="frustration", threshold=0.6, locales={"de": 0.8}, release=0.15)
    calmer = ConversationStats(frustration_since_escalation=(0.6,))  # below 0.8 - 0.15, not below 0.6 - 0.15
    assert german.check(_turn(score=0.9, language="de"), calmer) is not None
    assert german.check(_turn(score=0.9, language="en"), calmer) is None


def test_no_sentiment_handoff_in_this_episode_means_armed() -> None:
    assert ConversationStats().frustration_since_escalation is None
    assert FrustrationRule(rule="frustration").check(_turn(score=0.9), ConversationStats()) is not None


# --- human_only_intent -------------------------------------------------------------------------------------


@pytest.mark.parametrize("intent", ["complaint", "cancel_subscription"])
def test_human_only_intents_go_to_people(intent: str) -> None:
    rule = POLICY.rule("human_only_intent")
    found = rule.check(_turn("some message", intent=intent), CALM)
    assert found is not None
    assert (found.rule, found.trigger) == ("human_only_intent", "bot_rule")
    assert found.evidence == {"intent": intent, "confidence": 0.9}
    decided = POLICY.decide(_turn("some message", intent=intent), CALM)
    assert decided is not None and decided.rule == "human_only_intent"


@pytest.mark.parametrize("intent", ["order_status", "shipping_cost", None])
def test_other_intents_and_out_of_scope_stay_with_the_bot(intent: str | None) -> None:
    assert POLICY.rule("human_only_intent").check(_turn("some message", intent=intent), CALM) is None
    assert POLICY.decide(_turn("some message", intent=intent), CALM) is None


def test_human_only_intents_are_configurable() -> None:
    rule = HumanOnlyIntent(rule="human_only_intent")  # default: complaints only
    assert rule.check(_turn(intent="complaint"), CALM) is not None
    assert rule.check(_turn(intent="cancel_subscription"), CALM) is None
    returns = HumanOnlyIntent(rule="human_only_intent", intents=("return_request",))
    assert returns.check(_turn(intent="return_request"), CALM) is not None
    assert returns.check(_turn(intent="complaint"), CALM) is None


# --- membership --------------------------------------------------------------------------------------------

GOLD = ConversationStats(membership="gold")
GUEST = ConversationStats(membership="guest")


def test_a_gold_member_reaches_a_person_at_a_lower_frustration() -> None:
    rule = POLICY.rule("membership")
    found = rule.check(_turn(score=0.45), GOLD)
    assert found is not None
    assert (found.rule, found.trigger, found.threshold) == ("membership", "sentiment", 0.4)
    assert found.evidence == {"membership": "gold", "score": 0.45, "language": "en"}
    decided = POLICY.decide(_turn(score=0.45), GOLD)
    assert decided is not None and decided.rule == "membership" and decided.as_trace()["threshold"] == 0.4


@pytest.mark.parametrize(
    "stats", [GUEST, ConversationStats(membership="silver"), CALM], ids=["guest", "silver", "unknown"]
)
def test_others_at_the_same_frustration_stay_with_the_bot(stats: ConversationStats) -> None:
    assert POLICY.rule("membership").check(_turn(score=0.45), stats) is None
    assert POLICY.decide(_turn(score=0.45), stats) is None


def test_a_calm_gold_member_stays_with_the_bot() -> None:
    assert POLICY.rule("membership").check(_turn(score=0.39), GOLD) is None
    assert POLICY.decide(_turn(score=0.39), GOLD) is None


def test_always_sends_every_member_of_the_levels_to_a_person_at_once() -> None:
    rule = MembershipRule(rule="membership", levels=("silver", "gold"), always=True)
    for level in ("silver", "gold"):
        found = rule.check(_turn("hello", intent="greeting"), ConversationStats(membership=level))
        assert found is not None and found.trigger == "bot_rule" and found.evidence == {"membership": level}
    assert rule.check(_turn("hello", intent="greeting"), ConversationStats(membership="bronze")) is None
    assert rule.check(_turn("hello", intent="greeting"), CALM) is None
    policy = _policy(EXPLICIT, {"rule": "membership", "levels": ["gold"], "always": True})
    decided = policy.decide(_turn("hello", intent="greeting"), GOLD)
    assert decided is not None and decided.rule == "membership"
    assert policy.decide(_turn("hello", intent="greeting"), GUEST) is None


def test_membership_lowers_the_failure_limit() -> None:
    assert POLICY.failure_limit(CALM) == 3
    assert POLICY.failure_limit(GUEST) == 3
    assert POLICY.failure_limit(GOLD) == 2
    member_only = _policy(EXPLICIT, {"rule": "membership", "max_failed_attempts": 1})
    assert member_only.failure_limit(GOLD) == 1 and member_only.failure_limit(GUEST) is None
    looser_member = _policy(
        EXPLICIT, {"rule": "membership", "max_failed_attempts": 5}, {"rule": "failed_attempts"}
    )
    assert looser_member.failure_limit(GOLD) == 3  # the lower of the two limits


def test_a_gold_member_is_handed_over_after_fewer_failures() -> None:
    gold_once = ConversationStats(membership="gold", consecutive_failures=1)
    found = POLICY.failed_attempts("not_understood", gold_once)
    assert found is not None and found.threshold == 2 and found.evidence["membership"] == "gold"
    assert (
        POLICY.failed_attempts(
            "not_understood", ConversationStats(membership="guest", consecutive_failures=1)
        )
        is None
    )


@pytest.mark.parametrize(
    "since",
    [
        (),  # handed back, nothing said since: not straight back to the queue
        (0.9,),
        (0.5, 0.3),  # calmer, but not below the member threshold - 0.15
    ],
)
def test_after_a_sentiment_handoff_membership_does_not_fire_again_until_frustration_fell(
    since: tuple[float, ...],
) -> None:
    stats = ConversationStats(membership="gold", frustration_since_escalation=since)
    assert POLICY.rule("membership").check(_turn(score=0.5), stats) is None
    assert POLICY.decide(_turn(score=0.5), stats) is None  # nor the general frustration rule (0.5 < 0.6)


@pytest.mark.parametrize("since", [(0.2,), (0.9, 0.1)])
def test_membership_fires_again_once_frustration_fell_below_its_threshold_minus_the_margin(
    since: tuple[float, ...],
) -> None:
    stats = ConversationStats(membership="gold", frustration_since_escalation=since)
    found = POLICY.rule("membership").check(_turn(score=0.5), stats)
    assert found is not None and found.rule == "membership"
    decided = POLICY.decide(_turn(score=0.5), stats)
    assert decided is not None and decided.rule == "membership"


# --- loop --------------------------------------------------------------------------------------------------


def test_the_same_intent_three_times_in_a_row_is_a_loop() -> None:
    looping = ConversationStats(recent_intents=("order_status", "promo_code", "promo_code"))
    found = IntentLoop(rule="loop").check(_turn(intent="promo_code"), looping)
    assert found is not None and found.trigger == "bot_failure" and found.threshold == 3
    assert found.evidence == {"intent": "promo_code", "times": 3}
    decided = POLICY.decide(_turn(intent="promo_code"), looping)
    assert decided is not None and decided.rule == "loop"


@pytest.mark.parametrize(
    ("recent", "intent"),
    [
        (("promo_code",), "promo_code"),  # twice
        (("promo_code", "promo_code"), "order_status"),  # something else
        (("promo_code", "", "promo_code"), "promo_code"),  # "": a turn that was not answered breaks the run
        (("thanks", "thanks"), "thanks"),  # small talk is never a loop
        (("promo_code", "promo_code"), None),  # out of scope
    ],
)
def test_no_loop(recent: tuple[str, ...], intent: str | None) -> None:
    stats = ConversationStats(recent_intents=recent)
    assert IntentLoop(rule="loop").check(_turn(intent=intent), stats) is None
    assert POLICY.decide(_turn(intent=intent), stats) is None


def test_the_loop_length_is_configurable() -> None:
    twice = IntentLoop(rule="loop", max_same_intent=2)
    found = twice.check(_turn(intent="promo_code"), ConversationStats(recent_intents=("promo_code",)))
    assert found is not None and found.threshold == 2
    assert (
        twice.check(_turn(intent="promo_code"), ConversationStats(recent_intents=("order_status",))) is None
    )


# --- unsupported_language ----------------------------------------------------------------------------------


def test_unsupported_language_hands_over_the_second_time() -> None:
    once = ConversationStats(unsupported_language_turns=1)
    italian = _turn("per favore, mi aiuti con l'ordine", language="it", supported=False, intent=None)
    found = UnsupportedLanguage(rule="unsupported_language").check(italian, once)
    assert found is not None and found.trigger == "bot_rule" and found.evidence == {"language": "it"}
    assert found.threshold == 1
    decided = POLICY.decide(italian, once)
    assert decided is not None and decided.rule == "unsupported_language"


def test_unsupported_language_the_first_time_or_a_supported_one_stays_with_the_bot() -> None:
    italian = _turn("per favore, mi aiuti con l'ordine", language="it", supported=False, intent=None)
    rule = UnsupportedLanguage(rule="unsupported_language")
    assert rule.check(italian, CALM) is None and POLICY.decide(italian, CALM) is None
    once = ConversationStats(unsupported_language_turns=1)
    assert rule.check(_turn("where is my order"), once) is None
    assert POLICY.decide(_turn("where is my order"), once) is None


def test_unsupported_language_after_zero_turns_hands_over_at_once() -> None:
    italian = _turn("ciao", language="it", supported=False, intent=None)
    assert UnsupportedLanguage(rule="unsupported_language", after_turns=0).check(italian, CALM) is not None


# --- failed_attempts ---------------------------------------------------------------------------------------


def test_failed_attempts_is_not_decided_before_the_bot_answered() -> None:
    stats = ConversationStats(consecutive_failures=10)
    assert FailedAttempts(rule="failed_attempts").check(_turn(intent=None), stats) is None
    assert POLICY.decide(_turn(intent=None), stats) is None


@pytest.mark.parametrize("outcome", sorted(FAILED_OUTCOMES))
def test_the_third_failure_in_a_row_hands_over(outcome: str) -> None:
    found = POLICY.failed_attempts(outcome, ConversationStats(consecutive_failures=2))
    assert found is not None
    assert (found.rule, found.trigger, found.threshold) == ("failed_attempts", "bot_failure", 3)
    assert found.evidence == {"failures": 3, "last_outcome": outcome, "membership": None}
    assert POLICY.failed_attempts(outcome, ConversationStats(consecutive_failures=1)) is None


@pytest.mark.parametrize("outcome", ["answered", "smalltalk", "clarify", "flow:order_status"])
def test_a_turn_that_helped_is_never_a_failure(outcome: str) -> None:
    assert POLICY.failed_attempts(outcome, ConversationStats(consecutive_failures=5)) is None


def test_saying_an_answer_did_not_help_fails_that_answer_too() -> None:
    # a miss, then an answer (which ended the run), now "that didn't help": the answer counts again
    after_answer = ConversationStats(consecutive_failures=1, last_outcome="answered")
    found = POLICY.failed_attempts("unhelpful", after_answer)
    assert found is not None and found.evidence["failures"] == 3
    assert POLICY.failed_attempts("not_understood", after_answer) is None  # only "unhelpful" disowns it
    first = ConversationStats(consecutive_failures=0, last_outcome="answered")
    assert POLICY.failed_attempts("unhelpful", first) is None  # the answer and this turn: two
    after_a_miss = ConversationStats(consecutive_failures=1, last_outcome="not_understood")
    assert POLICY.failed_attempts("unhelpful", after_a_miss) is None  # nothing to disown: two


def test_the_failure_limit_is_configurable_and_the_rule_can_be_switched_off() -> None:
    strict = _policy(EXPLICIT, {"rule": "failed_attempts", "max_failures": 1})
    found = strict.failed_attempts("not_understood", CALM)
    assert found is not None and found.threshold == 1
    without = _policy(EXPLICIT)
    assert without.failure_limit(CALM) is None
    assert without.failed_attempts("not_understood", ConversationStats(consecutive_failures=10)) is None


# --- the order of the rules --------------------------------------------------------------------------------


def test_an_explicit_request_wins_over_every_other_rule() -> None:
    turn = _turn("I want a human, my account was hacked", score=0.9, intent="complaint")
    stats = ConversationStats(membership="gold", recent_intents=("complaint", "complaint"))
    found = POLICY.decide(turn, stats)
    assert found is not None and found.rule == "explicit_request"


def test_a_sensitive_topic_wins_over_frustration_and_human_only_intents() -> None:
    turn = _turn("someone hacked my account", score=0.95, intent="complaint")
    found = POLICY.decide(turn, CALM)
    assert found is not None and found.rule == "sensitive_topic"


def test_membership_comes_before_frustration_in_the_default_file() -> None:
    found = POLICY.decide(_turn(score=0.9), GOLD)
    assert found is not None and found.rule == "membership"
    found = POLICY.decide(_turn(score=0.9), GUEST)
    assert found is not None and found.rule == "frustration"


def test_frustration_comes_before_human_only_intents_and_loops() -> None:
    turn = _turn(score=0.7, intent="complaint")
    found = POLICY.decide(turn, ConversationStats(recent_intents=("complaint", "complaint")))
    assert found is not None and found.rule == "frustration"
    found = POLICY.decide(
        _turn(intent="complaint"), ConversationStats(recent_intents=("complaint", "complaint"))
    )
    assert found is not None and found.rule == "human_only_intent"


def test_the_first_rule_in_file_order_wins() -> None:
    turn = _turn("someone hacked my account", score=0.95, intent="complaint")
    frustration_first = _policy(
        EXPLICIT, {"rule": "frustration"}, {"rule": "sensitive_topic"}, {"rule": "human_only_intent"}
    )
    intent_first = _policy(
        EXPLICIT, {"rule": "human_only_intent"}, {"rule": "frustration"}, {"rule": "sensitive_topic"}
    )
    assert [r.rule for r in frustration_first.rules][1] == "frustration"
    found = frustration_first.decide(turn, CALM)
    assert found is not None and found.rule == "frustration"
    found = intent_first.decide(turn, CALM)
    assert found is not None and found.rule == "human_only_intent"
    # explicit_request wins by its place in the file too: listed last, a rule before it goes first
    last = _policy({"rule": "frustration"}, EXPLICIT)
    found = last.decide(_turn("talk to a human", score=0.95), CALM)
    assert found is not None and found.rule == "frustration"
    found = last.decide(_turn("talk to a human"), CALM)
    assert found is not None and found.rule == "explicit_request"


def test_escalation_trace_has_every_field() -> None:
    found = Escalation("loop", "bot_failure", "why", {"intent": "x", "times": 3}, threshold=3)
    assert found.as_trace() == {
        "rule": "loop",
        "trigger": "bot_failure",
        "reason": "why",
        "evidence": {"intent": "x", "times": 3},
        "threshold": 3,
    }
    assert Escalation("explicit_request", "customer_request", "r", {}).as_trace()["threshold"] is None

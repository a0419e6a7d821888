"""The escalation policy file: the packaged default loads, a mistake stops start-up with the file, the line
and the values that would have been accepted, and a valid custom file changes what the bot does."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from textwrap import dedent

import pytest

from tandem.bot.escalation import (
    DEFAULT_RULES_FILE,
    RULE_NAMES,
    SENSITIVE_TOPIC_NAMES,
    ConversationStats,
    EscalationPolicy,
    TurnAnalysis,
    default_policy,
    load_policy,
)
from tandem.bot.nlu.sentiment import Frustration
from tandem.bot.nlu.signals import detect_signals
from tandem.bot.pipeline import Tier0Settings
from tandem.bot.testing import scripted_tier0
from tandem.bot.types import BotTurn, IntentPrediction, IntentScore
from tandem.core.config_file import PolicyFileError, load_policy_file, parse_policy
from tandem.core.errors import ConfigurationError
from tandem.kb.schemas import ArticleOut

SOURCE = "custom_rules.yaml"


def _parse(text: str) -> EscalationPolicy:
    return parse_policy(dedent(text).lstrip("\n"), EscalationPolicy, source=SOURCE)


def _refused(text: str) -> PolicyFileError:
    with pytest.raises(PolicyFileError) as caught:
        _parse(text)
    return caught.value


def _turn(text: str, intent: str | None = None, score: float = 0.0) -> TurnAnalysis:
    prediction = IntentPrediction(intent, 0.9, (IntentScore(intent or "x", 0.9),), intent is None, 0.2)
    return TurnAnalysis(
        text=text,
        language="en",
        language_supported=True,
        signals=detect_signals(text),
        sentiment=0.0,
        frustration=Frustration(score, (), False),
        frustration_trend=score,
        intent=prediction,
    )


# --- the packaged default ----------------------------------------------------------------------------------


def test_the_packaged_default_loads() -> None:
    policy = load_policy_file(DEFAULT_RULES_FILE, EscalationPolicy)
    assert [rule.rule for rule in policy.rules] == [
        "explicit_request",
        "sensitive_topic",
        "membership",
        "frustration",
        "human_only_intent",
        "loop",
        "unsupported_language",
        "failed_attempts",
    ]
    assert policy == default_policy() == load_policy(None)
    assert set(policy.rule("sensitive_topic").topics) == set(SENSITIVE_TOPIC_NAMES)
    frustration = policy.rule("frustration")
    assert (frustration.threshold, frustration.release, frustration.use_trend) == (0.6, 0.15, True)
    assert frustration.locales == {"en": 0.6, "es": 0.6, "fr": 0.6, "de": 0.6}
    membership = policy.rule("membership")
    assert (membership.levels, membership.always, membership.frustration_threshold) == (("gold",), False, 0.4)
    assert membership.max_failed_attempts == 2
    assert policy.rule("loop").max_same_intent == 3
    assert policy.rule("unsupported_language").after_turns == 1
    assert policy.rule("failed_attempts").max_failures == 3


def test_the_default_is_what_the_bot_uses_unless_told_otherwise() -> None:
    assert Tier0Settings().policy == default_policy()
    assert default_policy() is default_policy()  # parsed once per process


def test_a_policy_file_is_a_configuration_error() -> None:
    assert issubclass(PolicyFileError, ConfigurationError)
    assert PolicyFileError.code == "invalid_policy_file"


# --- mistakes: file, line and allowed values ---------------------------------------------------------------


def test_an_unknown_field_in_a_rule_names_the_line_and_the_allowed_fields() -> None:
    error = _refused(
        """
        version: 1
        rules:
          - rule: explicit_request
          - rule: frustration
            threshold: 0.6
            treshold: 0.7
        """
    )
    assert error.context["problems"] == [
        f"{SOURCE}:6: rules[1].treshold: unknown field 'treshold'; "
        "allowed fields: locales, release, rule, threshold, use_trend"
    ]
    assert error.context["file"] == SOURCE
    assert error.detail.startswith("Invalid policy file:\n  " + SOURCE + ":6:")
    assert str(error) == error.detail


def test_an_unknown_field_in_another_rule_lists_that_rules_fields() -> None:
    error = _refused(
        """
        version: 1
        rules:
          - rule: explicit_request
          - rule: loop
            max_same_intents: 4
        """
    )
    assert f"{SOURCE}:5: rules[1].max_same_intents: unknown field 'max_same_intents'" in error.detail
    assert "allowed fields: max_same_intent, rule" in error.detail


def test_an_unknown_top_level_field_names_the_line_and_the_allowed_fields() -> None:
    error = _refused(
        """
        # comments count as lines
        version: 1
        rule:
          - rule: explicit_request
        rules:
          - rule: explicit_request
        """
    )
    assert error.context["problems"] == [
        f"{SOURCE}:3: rule: unknown field 'rule'; allowed fields: rules, version"
    ]


def test_an_unknown_rule_name_lists_the_rule_names() -> None:
    error = _refused(
        """
        version: 1
        rules:
          - rule: explicit_request

          - rule: frustation
            threshold: 0.6
        """
    )
    (problem,) = error.context["problems"]
    assert problem.startswith(f"{SOURCE}:5: rules[1]: unknown rule 'frustation'; allowed: ")
    for name in RULE_NAMES:
        assert f"'{name}'" in problem


@pytest.mark.parametrize(
    ("rule", "line", "where", "shown", "allowed"),
    [
        ("frustration\n    threshold: 1.5", 5, "rules[1].threshold", "1.5", "0.0 to 1.0"),
        ("frustration\n    release: -0.1", 5, "rules[1].release", "-0.1", "0.0 to 1.0"),
        ("membership\n    frustration_threshold: 2", 5, "rules[1].frustration_threshold", "2", "0.0 to 1.0"),
        ("membership\n    max_failed_attempts: 0", 5, "rules[1].max_failed_attempts", "0", "1 to 20"),
        ("loop\n    max_same_intent: 1", 5, "rules[1].max_same_intent", "1", "2 to 20"),
        ("unsupported_language\n    after_turns: 11", 5, "rules[1].after_turns", "11", "0 to 10"),
        ("failed_attempts\n    max_failures: 50", 5, "rules[1].max_failures", "50", "1 to 20"),
    ],
)
def test_out_of_range_values_name_the_line_and_the_range(
    rule: str, line: int, where: str, shown: str, allowed: str
) -> None:
    error = _refused(f"version: 1\nrules:\n  - rule: explicit_request\n  - rule: {rule}\n")
    assert error.context["problems"] == [
        f"{SOURCE}:{line}: {where}: {shown} is out of range; allowed: {allowed}"
    ]


def test_an_out_of_range_per_locale_threshold_names_its_line() -> None:
    error = _refused(
        """
        version: 1
        rules:
          - rule: explicit_request
          - rule: frustration
            threshold: 0.6
            locales:
              en: 0.6
              de: 1.2
              fr: 0.7
        """
    )
    assert error.context["problems"] == [
        f"{SOURCE}:8: rules[1].locales.de: 1.2 is out of range; allowed: 0.0 to 1.0"
    ]


def test_an_out_of_range_locale_in_a_flow_mapping_names_its_line() -> None:
    error = _refused(
        """
        version: 1
        rules:
          - rule: explicit_request
          - rule: frustration
            locales: {en: 0.6, es: -0.2}
        """
    )
    assert error.context["problems"] == [
        f"{SOURCE}:5: rules[1].locales.es: -0.2 is out of range; allowed: 0.0 to 1.0"
    ]


def test_every_problem_is_reported_at_once() -> None:
    error = _refused(
        """
        version: 1
        rules:
          - rule: explicit_request
          - rule: loop
            max_same_intent: 1
          - rule: failed_attempts
            max_failures: 50
        """
    )
    assert [problem.split(": ")[0] for problem in error.context["problems"]] == [f"{SOURCE}:5", f"{SOURCE}:7"]


def test_an_unknown_sensitive_topic_lists_the_topics() -> None:
    error = _refused(
        """
        version: 1
        rules:
          - rule: explicit_request
          - rule: sensitive_topic
            topics:
              - fraud
              - hacking
        """
    )
    (problem,) = error.context["problems"]
    assert problem.startswith(f"{SOURCE}:7: rules[1].topics[1]: ")
    for topic in SENSITIVE_TOPIC_NAMES:
        assert f"'{topic}'" in problem


def test_an_unknown_membership_level_lists_the_levels() -> None:
    error = _refused(
        """
        version: 1
        rules:
          - rule: explicit_request
          - rule: membership
            levels: [gold, platinum]
        """
    )
    (problem,) = error.context["problems"]
    assert problem.startswith(f"{SOURCE}:5: rules[1].levels[1]: ")
    assert all(f"'{level}'" in problem for level in ("guest", "bronze", "silver", "gold"))


def test_a_policy_without_explicit_request_is_refused_at_the_rules_line() -> None:
    error = _refused(
        """
        version: 1
        rules:
          - rule: frustration
          - rule: failed_attempts
        """
    )
    assert error.context["problems"] == [
        f"{SOURCE}:2: rules: the rule 'explicit_request' is required: customers must always reach a person"
    ]
    empty = _refused("# no rules at all\nversion: 1\nrules: []\n")
    assert empty.context["problems"][0].startswith(f"{SOURCE}:3: rules: the rule 'explicit_request'")


def test_a_duplicated_rule_is_refused_at_the_rules_line() -> None:
    error = _refused(
        """
        version: 1
        rules:
          - rule: explicit_request
          - rule: loop
          - rule: failed_attempts
          - rule: loop
            max_same_intent: 4
        """
    )
    # The line of `rules:`, not of the repeated entry (line 6): the check runs over the whole list.
    assert error.context["problems"] == [f"{SOURCE}:2: rules: each rule may appear once; repeated: loop"]


def test_a_policy_without_rules_names_the_missing_field() -> None:
    error = _refused("version: 1\n")
    assert error.context["problems"] == [f"{SOURCE}:1: rules: the required field 'rules' is missing"]


def test_a_wrong_version_or_a_wrong_type_names_the_line() -> None:
    version = _refused("version: 2\nrules:\n  - rule: explicit_request\n")
    assert version.context["problems"] == [f"{SOURCE}:1: version: Input should be 1"]
    kind = _refused(
        "version: 1\nrules:\n  - rule: explicit_request\n  - rule: frustration\n    threshold: high\n"
    )
    (problem,) = kind.context["problems"]
    assert problem.startswith(f"{SOURCE}:5: rules[1].threshold: ") and "number" in problem


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("version: 1\nrules:\n  - rule: explicit_request\n    - rule: loop\n", 4),
        ("version: 1\nrules: [explicit_request\n", 3),
        ("version: 1\nrules:\n  - rule: explicit_request\n\tthreshold: 0.5\n", 4),
    ],
)
def test_invalid_yaml_names_the_line(text: str, line: int) -> None:
    with pytest.raises(PolicyFileError) as caught:
        parse_policy(text, EscalationPolicy, source=SOURCE)
    assert caught.value.detail.startswith(f"{SOURCE}:{line}: not valid YAML (")


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_an_empty_file_is_refused(text: str) -> None:
    with pytest.raises(PolicyFileError) as caught:
        parse_policy(text, EscalationPolicy, source=SOURCE)
    assert caught.value.detail == f"{SOURCE}: the file is empty."


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "rules.yaml"
    with pytest.raises(PolicyFileError) as caught:
        load_policy_file(missing, EscalationPolicy)
    assert caught.value.detail == f"{missing}: cannot read the policy file (No such file or directory)."
    with pytest.raises(PolicyFileError, match="cannot read the policy file"):
        load_policy(missing)


def test_errors_from_a_file_name_the_file_path(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("version: 1\nrules:\n  - rule: explicit_request\n  - rule: lop\n", encoding="utf-8")
    with pytest.raises(PolicyFileError) as caught:
        load_policy(path)
    assert caught.value.context["problems"][0].startswith(f"{path}:4: rules[1]: unknown rule 'lop'")


# --- a valid custom file changes behaviour -----------------------------------------------------------------

NO_HUMAN_ONLY = """
version: 1
rules:
  - rule: explicit_request
  - rule: sensitive_topic
  - rule: frustration
  - rule: loop
  - rule: failed_attempts
    max_failures: 1
"""


def test_a_custom_file_loads_from_disk(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(NO_HUMAN_ONLY, encoding="utf-8")
    policy = load_policy(path)
    assert [rule.rule for rule in policy.rules] == [
        "explicit_request",
        "sensitive_topic",
        "frustration",
        "loop",
        "failed_attempts",
    ]
    assert policy.human_only_intents == frozenset()
    assert policy.failure_limit(ConversationStats()) == 1
    assert policy.rule("sensitive_topic").topics == SENSITIVE_TOPIC_NAMES  # defaults fill in


def test_without_human_only_intent_complaints_reach_the_bot() -> None:
    complaint = _turn("the courier was rude to me", intent="complaint")
    found = default_policy().decide(complaint, ConversationStats())
    assert found is not None and found.rule == "human_only_intent"
    assert _parse(NO_HUMAN_ONLY).decide(complaint, ConversationStats()) is None


def test_max_failures_one_hands_over_at_the_first_failure() -> None:
    policy = _parse(NO_HUMAN_ONLY)
    found = policy.failed_attempts("not_understood", ConversationStats())
    assert found is not None and found.threshold == 1
    assert default_policy().failed_attempts("not_understood", ConversationStats()) is None


TABLE = {
    "the courier was rude to me": [("complaint", 0.9)],
    "blorp": [("shipping_cost", 0.1)],
}
COMPLAINTS = ArticleOut(
    id=1,
    slug="complaints",
    locale="en",
    title="Unhappy with a courier?",
    body="We are sorry the courier was rude to you. Tell us the order number and we will report the courier.",
    tags=["courier"],
    intents=["complaint"],
    status="published",
)


async def test_a_custom_policy_changes_what_the_bot_does() -> None:
    default = scripted_tier0(TABLE, [COMPLAINTS])
    custom = scripted_tier0(TABLE, [COMPLAINTS])
    custom.settings = Tier0Settings(policy=_parse(NO_HUMAN_ONLY))

    def turn(text: str) -> BotTurn:
        return BotTurn(conversation_id=1, locale="en", text=text, seq=1)

    complaint = await default.respond(turn("the courier was rude to me"))
    assert complaint.handoff and complaint.trace["escalation"]["rule"] == "human_only_intent"
    complaint = await custom.respond(turn("the courier was rude to me"))
    assert not complaint.handoff and complaint.trace["decision"] == "article"

    miss = await default.respond(turn("blorp"))
    assert not miss.handoff
    miss = await custom.respond(turn("blorp"))
    assert miss.handoff and miss.handoff_trigger == "bot_failure"
    assert (
        miss.trace["escalation"]["rule"] == "failed_attempts" and miss.trace["escalation"]["threshold"] == 1
    )


def test_a_custom_frustration_threshold_per_locale() -> None:
    policy = _parse(
        """
        version: 1
        rules:
          - rule: explicit_request
          - rule: frustration
            threshold: 0.6
            locales: {de: 0.85}
        """
    )
    german = replace(_turn("das ist ärgerlich", score=0.8), language="de")
    assert policy.decide(german, ConversationStats()) is None
    assert policy.decide(_turn("this is annoying", score=0.8), ConversationStats()) is not None

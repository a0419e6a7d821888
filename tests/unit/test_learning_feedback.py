"""Every kind of feedback maps to labelled examples (pure), the regression gate of the loop, and the
expectations a replay case may carry."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from tandem.bench.replay import NOT_SET, ReplayCase, ReplayResult, check, load_cases
from tandem.bot.errors import TrainingDataError
from tandem.conversation.service import FeedbackEvent
from tandem.learning import evaluation, feedback


def _event(type_: str, data: dict[str, object], event_id: int = 7) -> FeedbackEvent:
    return FeedbackEvent(event_id, 11, 5, "en", type_, 3, data)


def test_bot_failed_here_gives_an_intent_and_an_article_example() -> None:
    found = feedback.from_event(
        _event("bot_failed_here", {"customer_text": " my parcel never came ", "correct_intent": "missing_package",
                                   "correct_article": "lost-parcels"}),
        None,
    )  # fmt: skip
    assert [(c.kind, c.text, c.label, c.source) for c in found] == [
        ("intent", "my parcel never came", "missing_package", "event:7"),
        ("article", "my parcel never came", "lost-parcels", "event:7:article"),
    ]
    assert all((c.conversation_id, c.staff_id, c.event_id) == (11, 3, 7) for c in found)


def test_only_reason_tags_become_escalation_reasons_with_the_customers_words() -> None:
    found = feedback.from_event(
        _event("tagged", {"add": ["vip", "reason:billing"], "remove": []}), "I was charged twice"
    )
    assert [(c.kind, c.text, c.label) for c in found] == [
        ("escalation_reason", "I was charged twice", "billing")
    ]
    assert (
        feedback.from_event(_event("tagged", {"add": ["reason:billing"]}), None) == []
    )  # no words, no example


@pytest.mark.parametrize(
    ("csat", "label"), [(5, "satisfied"), (4, "satisfied"), (3, "unsatisfied"), (1, "unsatisfied")]
)
def test_a_rating_is_satisfied_from_four(csat: int, label: str) -> None:
    [found] = feedback.from_event(_event("rated", {"csat": csat, "nps": None}), "where is my order")
    assert (found.kind, found.label, found.target) == ("satisfaction", label, str(csat))
    assert feedback.from_event(_event("rated", {"csat": None, "nps": 9}), "where is my order") == []


def test_verdicts_keep_what_was_sent_and_overrides_say_not_frustrated() -> None:
    edited = SimpleNamespace(id=4, conversation_id=11, staff_id=3, action="edited", customer_text="refund?",
                             suggested_text="Refunds take 5 days.", final_text="Refunds take 3-5 days.")  # fmt: skip
    [reply] = feedback.from_verdict(edited)
    assert (reply.kind, reply.label, reply.target, reply.source) == (
        "reply",
        "edited",
        "Refunds take 3-5 days.",
        "suggestion:4",
    )
    rejected = SimpleNamespace(**{**vars(edited), "action": "rejected", "final_text": None})
    assert feedback.from_verdict(rejected)[0].target == "Refunds take 5 days."  # what was turned down
    override = SimpleNamespace(
        id=2, conversation_id=11, staff_id=3, customer_text="THIS IS GREAT!!!", rule="frustration"
    )
    [calm] = feedback.from_override(override)
    assert (calm.kind, calm.label, calm.source) == ("sentiment", "not_frustrated", "override:2")
    assert feedback.from_override(SimpleNamespace(**{**vars(override), "customer_text": None})) == []


def _metrics(replay: tuple[bool, ...], in_scope: tuple[bool, ...] = (True,) * 10) -> evaluation.Metrics:
    return evaluation.Metrics(
        examples=10, accuracy=0.9, in_scope_accuracy=sum(in_scope) / len(in_scope), oos_recall=None,
        replay_pass_rate=sum(replay) / len(replay), replay_cases=len(replay), in_scope_rows=in_scope,
        replay_rows=replay,
    )  # fmt: skip


def test_a_challenger_that_forgets_an_earlier_correction_is_not_promoted() -> None:
    champion = _metrics((True, True, False))
    challenger = _metrics((True, False, True))  # learns the new one, forgets the second
    regressed = evaluation.regressions(champion, challenger, [True, True, False], ["a", "b", "c"])
    assert regressed == ["b"]
    decision = evaluation.decide(champion, challenger, regressed=regressed)
    assert (
        not decision.promoted and "fails 1 earlier correction" in decision.reason and "'b'" in decision.reason
    )
    # the same change when "b" is new in this round (not yet a regression case) is judged on the measures
    assert evaluation.regressions(champion, challenger, [True, False, False], ["a", "b", "c"]) == []


def test_replay_cases_pass_or_fail_on_what_they_expect(tmp_path: Path) -> None:
    file = tmp_path / "cases.jsonl"
    file.write_text(
        '{"id": "a", "turns": ["hi"], "expect_intent": "order_status", "expect_handoff_turn": null}\n'
        '{"id": "b", "turns": ["hi"]}\n',
        encoding="utf-8",
    )
    expecting, plain = load_cases(file)
    assert expecting.has_expectations and not plain.has_expectations and plain.expect_handoff_turn is NOT_SET
    wrong = ReplayResult("a", handoff_turn=1, intent="contact_human_agent")
    assert check(expecting, wrong) == [
        "intent contact_human_agent, expected order_status",
        "handed over at turn 1, expected none",
    ]
    assert check(expecting, ReplayResult("a", intent="order_status")) == []
    assert check(ReplayCase("c", ("x",), expect_handoff_turn=2), ReplayResult("c", handoff_turn=2)) == []


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": "a", "turns": ["hi"], "expect_intent": 3}', "expect_intent must be an intent name"),
        (
            '{"id": "a", "turns": ["hi"], "expect_handoff_turn": 0}',
            "expect_handoff_turn must be a turn number",
        ),
        (
            '{"id": "a", "turns": ["hi"], "expect_handoff_turn": true}',
            "expect_handoff_turn must be a turn number",
        ),
    ],
)
def test_a_malformed_expectation_names_its_line(tmp_path: Path, line: str, message: str) -> None:
    file = tmp_path / "cases.jsonl"
    file.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(TrainingDataError, match=message) as raised:
        load_cases(file)
    assert "line 1" in str(raised.value.detail)

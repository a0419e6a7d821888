from __future__ import annotations

import pytest

from tandem.conversation.state import (
    InvalidTransitionError,
    Owner,
    Transition,
    allowed_transitions,
    next_owner,
)


@pytest.mark.parametrize(
    ("current", "transition", "expected"),
    [
        (Owner.BOT, Transition.REQUEST_HUMAN, Owner.WAITING),
        (Owner.BOT, Transition.ASSIGN, Owner.HUMAN),
        (Owner.WAITING, Transition.ASSIGN, Owner.HUMAN),
        (Owner.HUMAN, Transition.ASSIGN, Owner.HUMAN),
        (Owner.HUMAN, Transition.HAND_BACK, Owner.BOT),
        (Owner.WAITING, Transition.HAND_BACK, Owner.BOT),
        (Owner.HUMAN, Transition.RESOLVE, Owner.RESOLVED),
        (Owner.RESOLVED, Transition.REOPEN, Owner.BOT),
    ],
)
def test_allowed_transitions_lead_to_the_expected_owner(
    current: Owner, transition: Transition, expected: Owner
) -> None:
    assert next_owner(current, transition) is expected


@pytest.mark.parametrize(
    ("current", "transition"),
    [
        (Owner.RESOLVED, Transition.HAND_BACK),
        (Owner.RESOLVED, Transition.ASSIGN),
        (Owner.RESOLVED, Transition.RESOLVE),
        (Owner.BOT, Transition.REOPEN),
        (Owner.BOT, Transition.HAND_BACK),
        (Owner.HUMAN, Transition.REQUEST_HUMAN),
    ],
)
def test_forbidden_transitions_say_what_is_allowed(current: Owner, transition: Transition) -> None:
    with pytest.raises(InvalidTransitionError) as refused:
        next_owner(current, transition)
    for allowed in allowed_transitions(current):
        assert allowed.value in refused.value.detail


def test_a_resolved_conversation_can_only_be_reopened() -> None:
    assert allowed_transitions(Owner.RESOLVED) == [Transition.REOPEN]

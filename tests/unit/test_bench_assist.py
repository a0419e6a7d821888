"""The assist benchmark's own parts: the simulated history and the hit measure."""

from __future__ import annotations

from pathlib import Path

import pytest

from tandem.bench.assist import load_replies, run_assist_benchmark, simulate_history, token_f1
from tandem.bench.errors import BenchError


def test_every_built_in_reply_greets_by_name() -> None:
    replies = load_replies()
    assert len(replies) >= 27
    assert all(text.count("{name}") == 1 for texts in replies.values() for text in texts)


def test_simulated_replies_are_personal_and_quote_the_customers_order() -> None:
    replies = {"track_order": ["Hi {name}, order {order} ships today."]}
    turns = simulate_history(["where is order 1234567"], ["track_order"], replies, seed=1)
    assert turns[0].reply == f"Hi {turns[0].name.split()[0]}, order 1234567 ships today."
    assert turns[0].order == "1234567"


def test_messages_of_an_intent_without_replies_are_refused_by_name() -> None:
    with pytest.raises(BenchError, match="cancel_order"):
        simulate_history(["cancel it"], ["cancel_order"], {"track_order": ["Hi {name}"]}, seed=1)


def test_token_f1() -> None:
    assert token_f1("Hi Tom, it ships today.", "hi tom it ships today") == 1.0
    assert token_f1("Hi Tom", "Goodbye") == 0.0


def test_a_small_run_beats_canned_replies(tmp_path: Path) -> None:
    messages = tmp_path / "messages.csv"
    rows = ["text,category"]
    for n in range(40):
        rows += [
            f"where is my parcel number {n},track_order",
            f"how do I pay with paypal {n},check_payment_methods",
        ]
    messages.write_text("\n".join(rows))
    result = run_assist_benchmark(messages, seed=0)
    assert result.held_out == 16 and result.intents == 2
    assert result.top3_hit_rate > result.canned_top3_hit_rate
    assert result.top3_hit_rate >= 0.75

"""The out-of-scope operating point: pure maths over held-out scores, with hand-checkable cases."""

from __future__ import annotations

import numpy as np
import pytest

from tandem.bot.nlu.operating import (
    DEFAULT_OOS_SHARE,
    HeldOutScores,
    choose_operating_point,
    estimate_oos_share,
)


def _scores(seed: int = 0, n: int = 2000) -> HeldOutScores:
    rng = np.random.default_rng(seed)
    inside = np.clip(rng.normal(0.75, 0.1, n), 0, 1)
    outside = np.clip(rng.normal(0.45, 0.1, n), 0, 1)
    return HeldOutScores.of(
        in_scope=inside.tolist(),
        in_scope_correct=(rng.random(n) < 0.95).tolist(),
        out_of_scope=outside.tolist(),
        source="synthetic",
        labelled_oos_share=None,
    )


def test_a_closed_set_turns_nothing_away() -> None:
    point = choose_operating_point(_scores(), oos_share=0.0)
    assert point.expected_in_scope_answered == pytest.approx(0.95, abs=0.02)
    assert point.threshold <= 0.45


def test_more_out_of_scope_traffic_raises_the_threshold() -> None:
    held = _scores()
    thresholds = [choose_operating_point(held, oos_share=s).threshold for s in (0.05, 0.3, 0.6, 0.9)]
    assert thresholds == sorted(thresholds) and thresholds[0] < thresholds[-1]


def test_at_an_even_share_the_threshold_sits_between_the_two_distributions() -> None:
    # Two normals of equal spread, 0.45 and 0.75: the best cut at 50 % is near the middle, 0.6.
    point = choose_operating_point(_scores(n=20000), oos_share=0.5)
    assert point.threshold == pytest.approx(0.6, abs=0.03)
    assert point.expected_accuracy == pytest.approx(
        0.5 * point.expected_in_scope_answered + 0.5 * point.expected_oos_recall
    )


def test_a_costly_wrong_answer_raises_the_threshold() -> None:
    held = _scores()
    plain = choose_operating_point(held, oos_share=0.3)
    careful = choose_operating_point(held, oos_share=0.3, wrong_answer_cost=4.0)
    assert careful.threshold > plain.threshold and careful.expected_oos_recall > plain.expected_oos_recall


def test_the_share_falls_back_to_the_labelled_sample_then_the_default_prior() -> None:
    held = _scores()
    assert choose_operating_point(held).oos_share == DEFAULT_OOS_SHARE
    assert choose_operating_point(held).oos_share_source == "default prior"
    sampled = HeldOutScores(held.in_scope, held.in_scope_correct, held.out_of_scope, "val", 0.2)
    assert choose_operating_point(sampled).oos_share == 0.2


@pytest.mark.parametrize("share", [0.0, 0.2, 0.5, 0.8])
def test_the_share_of_unlabelled_traffic_is_recovered(share: float) -> None:
    held = _scores(seed=1)
    rng = np.random.default_rng(2)
    n = 4000
    traffic = np.where(rng.random(n) < share, rng.normal(0.45, 0.1, n), rng.normal(0.75, 0.1, n))
    assert estimate_oos_share(held, np.clip(traffic, 0, 1).tolist()) == pytest.approx(share, abs=0.04)


def test_out_of_range_choices_are_refused() -> None:
    with pytest.raises(ValueError, match=r"between 0 and 0\.95"):
        choose_operating_point(_scores(), oos_share=1.0)
    with pytest.raises(ValueError, match="between 1 and 100"):
        choose_operating_point(_scores(), wrong_answer_cost=0.5)

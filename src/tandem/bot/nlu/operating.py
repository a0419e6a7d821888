"""The out-of-scope operating point: which threshold to answer above, for how much out-of-scope traffic.

A fixed budget of in-scope rejections is the wrong operating point when most traffic is out of scope (real
production bots see 40-70 % of messages outside every intent). Here the threshold is an explicit choice:

* the share of out-of-scope traffic is assumed (a configured prior), read from a labelled sample, or
  estimated from the deployment's own unlabelled messages (:func:`estimate_oos_share`);
* the threshold maximises the expected accuracy at that share, or, with a cost of a wrong answer above 1,
  the expected value when a wrong answer is worse than a needless "I didn't understand";
* the result (:class:`OperatingPoint`) says what it expects: the share of in-scope messages answered
  correctly, the share of out-of-scope ones turned away, and the expected accuracy.

Pure NumPy over held-out scores (:class:`HeldOutScores`, measured when the model is trained).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# The share assumed when nothing else is known: a cautious prior that answers nearly every in-scope
# question. Production bots see far more out-of-scope traffic (the HINT3 bots 40-72 %): configure the
# deployment's share, or estimate it from its own messages (`tandem bot operating-point --from-history`).
DEFAULT_OOS_SHARE = 0.1
MAX_OOS_SHARE = 0.95


@dataclass(frozen=True)
class HeldOutScores:
    """Scores of messages the model never saw while it was fitted: in-scope ones (and whether the best
    intent was right) and out-of-scope ones. Kept with the model so its operating point can move."""

    in_scope: np.ndarray
    in_scope_correct: np.ndarray
    out_of_scope: np.ndarray
    source: str
    labelled_oos_share: float | None = None  # the out-of-scope share of a labelled sample, when there was one

    @classmethod
    def of(
        cls,
        *,
        in_scope: Sequence[float],
        in_scope_correct: Sequence[bool],
        out_of_scope: Sequence[float],
        source: str,
        labelled_oos_share: float | None,
    ) -> HeldOutScores:
        return cls(
            np.asarray(in_scope, dtype=np.float64),
            np.asarray(in_scope_correct, dtype=bool),
            np.asarray(out_of_scope, dtype=np.float64),
            source,
            labelled_oos_share,
        )


@dataclass(frozen=True)
class OperatingPoint:
    threshold: float
    oos_share: float
    oos_share_source: str  # "configured", "labelled sample", "estimated from N messages", "default prior"
    wrong_answer_cost: float
    expected_accuracy: float
    expected_in_scope_answered: float  # in-scope messages above the threshold with the right intent
    expected_oos_recall: float  # out-of-scope messages below the threshold
    scores_source: str
    in_scope_samples: int
    oos_samples: int

    @classmethod
    def fixed(cls, threshold: float, *, source: str) -> OperatingPoint:
        """A model trained before operating points keeps the threshold it was trained with."""
        return cls(
            threshold,
            float("nan"),
            "not chosen (retrain the model to choose one)",
            1.0,
            float("nan"),
            float("nan"),
            float("nan"),
            source,
            0,
            0,
        )

    def describe(self) -> str:
        return (
            f"expected accuracy at {self.oos_share:.0%} out of scope ({self.oos_share_source}); "
            f"{self.scores_source}"
        )

    def as_dict(self) -> dict[str, float | str | int]:
        return {
            "threshold": round(self.threshold, 4),
            "oos_share_assumed": round(self.oos_share, 4),
            "oos_share_source": self.oos_share_source,
            "wrong_answer_cost": self.wrong_answer_cost,
            "expected_accuracy": round(self.expected_accuracy, 4),
            "expected_in_scope_answered": round(self.expected_in_scope_answered, 4),
            "expected_oos_recall": round(self.expected_oos_recall, 4),
            "scores_source": self.scores_source,
            "in_scope_samples": self.in_scope_samples,
            "oos_samples": self.oos_samples,
        }


def choose_operating_point(
    held_out: HeldOutScores,
    *,
    oos_share: float | None = None,
    wrong_answer_cost: float = 1.0,
    source: str | None = None,
) -> OperatingPoint:
    """The threshold with the best expected outcome at ``oos_share`` (None: the labelled sample's share,
    else :data:`DEFAULT_OOS_SHARE`). Outcomes: a right answer or a rightly refused out-of-scope message
    counts 1; a wrong answer costs ``wrong_answer_cost - 1`` more than a needless refusal. With a cost of 1
    this is the expected accuracy."""
    if not 1.0 <= wrong_answer_cost <= 100.0:
        raise ValueError("the cost of a wrong answer is between 1 and 100 (1: plain accuracy)")
    if oos_share is None:
        if held_out.labelled_oos_share is not None:
            share, where = held_out.labelled_oos_share, "labelled sample"
        else:
            share, where = DEFAULT_OOS_SHARE, "default prior"
    else:
        if not 0.0 <= oos_share <= MAX_OOS_SHARE:
            raise ValueError(f"the out-of-scope share is between 0 and {MAX_OOS_SHARE}")
        share, where = oos_share, "configured"
    where = source or where
    inside, correct, outside = held_out.in_scope, held_out.in_scope_correct, held_out.out_of_scope
    candidates = np.unique(np.concatenate([inside, outside, [0.0]]))
    candidates = candidates[candidates >= 0.0]
    # Expected shares for "answer when score >= t", for every candidate t at once.
    answered_right = _share_at_or_above(inside[correct], candidates, len(inside))
    answered_wrong = _share_at_or_above(inside[~correct], candidates, len(inside))
    oos_answered = (
        _share_at_or_above(outside, candidates, len(outside)) if len(outside) else np.zeros_like(candidates)
    )
    extra = wrong_answer_cost - 1.0
    value = (1 - share) * (answered_right - extra * answered_wrong) + share * (
        (1 - oos_answered) - extra * oos_answered
    )
    optimal = value >= value.max() - 1e-12
    # Inside the first run of best candidates, halfway between the scores that bound it: a few samples
    # should not decide the exact edge.
    first = int(np.argmax(optimal))
    last = first
    while last + 1 < len(candidates) and optimal[last + 1]:
        last += 1
    # From the bottom, answer everything: nothing below the lowest score was seen to be out of scope.
    threshold = float((candidates[first - 1] + candidates[last]) / 2) if first > 0 else float(candidates[0])
    at = np.array([threshold])
    right = float(_share_at_or_above(inside[correct], at, len(inside))[0])
    oos_recall = float(1 - _share_at_or_above(outside, at, len(outside))[0]) if len(outside) else 0.0
    return OperatingPoint(
        threshold=threshold,
        oos_share=float(share),
        oos_share_source=where,
        wrong_answer_cost=wrong_answer_cost,
        expected_accuracy=(1 - share) * right + share * oos_recall,
        expected_in_scope_answered=right,
        expected_oos_recall=oos_recall,
        scores_source=held_out.source,
        in_scope_samples=len(inside),
        oos_samples=len(outside),
    )


def estimate_oos_share(held_out: HeldOutScores, scores: Sequence[float]) -> float:
    """The out-of-scope share of unlabelled traffic whose scores are ``scores``: the mixture weight that best
    explains, at every quantile, the share of traffic below it by the held-out in-scope and out-of-scope
    shares below it (least squares; black-box shift estimation). Clipped to [0, MAX_OOS_SHARE]."""
    observed = np.asarray(scores, dtype=np.float64)
    if not len(observed) or not len(held_out.out_of_scope) or not len(held_out.in_scope):
        return DEFAULT_OOS_SHARE
    pooled = np.concatenate([held_out.in_scope, held_out.out_of_scope])
    cuts = np.unique(np.quantile(pooled[pooled >= 0], np.linspace(0.05, 0.95, 19)))
    below_traffic = _share_below(observed, cuts)
    below_in = _share_below(held_out.in_scope, cuts)
    below_out = _share_below(held_out.out_of_scope, cuts)
    gap = below_out - below_in
    if float(gap @ gap) <= 1e-12:
        return DEFAULT_OOS_SHARE
    share = float((below_traffic - below_in) @ gap / (gap @ gap))
    return float(min(MAX_OOS_SHARE, max(0.0, share)))


def _share_at_or_above(values: np.ndarray, thresholds: np.ndarray, total: int) -> np.ndarray:
    if total == 0:
        return np.zeros(len(thresholds))
    ordered = np.sort(values)
    return (len(ordered) - np.searchsorted(ordered, thresholds, side="left")) / total


def _share_below(values: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    ordered = np.sort(values)
    return np.searchsorted(ordered, thresholds, side="left") / max(1, len(ordered))

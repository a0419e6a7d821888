"""Champion against challenger, the pure part: which examples are held out (for good), how a model scores
on them, and whether the challenger may replace the champion. No I/O."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from tandem.bot.nlu.dataset import OUT_OF_SCOPE, Examples

HOLDOUT_SHARE = 0.2
MARGIN = 0.005  # "better" means better by at least half a point
Z_WORSE = 1.645  # one-sided 95 %: a challenger is worse when it loses significantly more rows than it wins


class Classifier(Protocol):
    def predict_many(self, texts: Sequence[str], *, top: int = 3) -> Sequence[Any]: ...


def held_out(text: str, *, share: float = HOLDOUT_SHARE) -> bool:
    """Stable for ever: the same text is held out in every run, so the held-out set is frozen and a model
    is never scored on what it was trained on."""
    digest = hashlib.sha256(text.strip().lower().encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < share


def split(examples: Examples, *, share: float = HOLDOUT_SHARE) -> tuple[Examples, Examples]:
    train, test = Examples(), Examples()
    for text, label in zip(examples.texts, examples.labels, strict=True):
        (test if held_out(text, share=share) else train).add(text, label)
    return train, test


def normal(text: str) -> str:
    """The same words whatever their case and spacing."""
    return " ".join(text.lower().split())


def agreeing(feedback: Examples, base: Examples) -> list[bool]:
    """For each correction: does it leave the base intents alone? One that gives a message of the base,
    word for word, another label is left out (a slip, or a disagreement for a person to settle in the base
    data, not for the loop)."""
    known = {normal(text): label for text, label in zip(base.texts, base.labels, strict=True)}
    return [
        known.get(normal(text), label) == label
        for text, label in zip(feedback.texts, feedback.labels, strict=True)
    ]


def contradicting(model: Classifier, feedback: Examples, *, plausible: int = 3) -> list[bool]:
    """For each correction: is it implausible to the model? It gives an intent the model knows to a
    message the model places under another intent, and the corrected intent is not even among the model's
    ``plausible`` best guesses. Such corrections wait for a person's review instead of being learned at
    once: one agent's slip (or a batch of them) must not undo what the base intents teach. Corrections
    that teach a new intent, fix an out-of-scope answer, or pick one of the model's close alternatives are
    learned."""
    known = set(getattr(model, "classes", ()))
    predictions = model.predict_many(feedback.texts, top=plausible) if len(feedback) else []
    return [
        label in known
        and not p.out_of_scope
        and p.intent != label
        and label not in {alternative.intent for alternative in p.alternatives}
        for p, label in zip(predictions, feedback.labels, strict=True)
    ]


@dataclass(frozen=True)
class Metrics:
    examples: int
    accuracy: float  # all held-out rows, out-of-scope ones included
    in_scope_accuracy: float
    oos_recall: float | None  # None without out-of-scope rows
    replay_pass_rate: float | None  # corrected messages now classified as the agent said; None without any
    replay_cases: int
    # per held-out row, right or wrong: champion and challenger are compared row by row (paired)
    in_scope_rows: tuple[bool, ...] = field(default=(), repr=False)
    oos_rows: tuple[bool, ...] = field(default=(), repr=False)
    replay_rows: tuple[bool, ...] = field(default=(), repr=False)

    def as_dict(self) -> dict[str, Any]:
        found = asdict(self)
        del found["in_scope_rows"], found["oos_rows"], found["replay_rows"]
        return found


def measure(model: Classifier, held: Examples, replay: Examples) -> Metrics:
    def predicted(texts: list[str]) -> list[str]:
        return [p.intent if not p.out_of_scope else OUT_OF_SCOPE for p in model.predict_many(texts, top=1)]

    guesses = predicted(held.texts) if len(held) else []
    pairs = list(zip(held.labels, guesses, strict=True))
    inside = [(t, p) for t, p in pairs if t != OUT_OF_SCOPE]
    outside = [(t, p) for t, p in pairs if t == OUT_OF_SCOPE]
    replayed = predicted(replay.texts) if len(replay) else []
    replay_rows = tuple(t == p for t, p in zip(replay.labels, replayed, strict=True))
    return Metrics(
        examples=len(pairs),
        accuracy=_share(sum(t == p for t, p in pairs), len(pairs)),
        in_scope_accuracy=_share(sum(t == p for t, p in inside), len(inside)),
        oos_recall=_share(sum(p == OUT_OF_SCOPE for _, p in outside), len(outside)) if outside else None,
        replay_pass_rate=_share(sum(replay_rows), len(replay)) if len(replay) else None,
        replay_cases=len(replay),
        in_scope_rows=tuple(t == p for t, p in inside),
        oos_rows=tuple(p == OUT_OF_SCOPE for _, p in outside),
        replay_rows=replay_rows,
    )


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


@dataclass(frozen=True)
class Decision:
    promoted: bool
    reason: str


COLLAPSE = 0.1  # a net loss of a tenth of either kind of held-out message is never traded for the other


def paired_loss(champion: Sequence[bool], challenger: Sequence[bool]) -> tuple[int, int, bool]:
    """Rows the challenger gets wrong that the champion got right (lost), the reverse (won), and whether the
    losses are significant (McNemar's test, one-sided): on a few hundred held-out rows one or two flips
    are noise, a pattern of them is a regression."""
    lost = sum(a and not b for a, b in zip(champion, challenger, strict=True))
    won = sum(b and not a for a, b in zip(champion, challenger, strict=True))
    return lost, won, lost > won and (lost - won) > Z_WORSE * math.sqrt(lost + won)


def regressions(
    champion: Metrics, challenger: Metrics, earlier: Sequence[bool], texts: Sequence[str]
) -> list[str]:
    """Regression cases: corrections learned in earlier rounds (``earlier``) that the champion passes and
    the challenger fails. Every corrected conversation is a case future models must pass."""
    if len(champion.replay_rows) != len(challenger.replay_rows):
        return []
    return [
        text
        for text, old, before, after in zip(
            texts, earlier, champion.replay_rows, challenger.replay_rows, strict=True
        )
        if old and before and not after
    ]


def decide(champion: Metrics | None, challenger: Metrics, *, regressed: Sequence[str] = ()) -> Decision:
    """Promote only when the challenger passes every earlier correction the champion passes
    (``regressed`` is empty), is not worse on the frozen held-out set (no significant loss, row by row,
    over in-scope and out-of-scope messages together, and no collapse of either) and is better, by
    ``MARGIN``, on at least one of in-scope accuracy, out-of-scope recall and the replay of the corrected
    conversations."""
    if champion is None:
        return Decision(True, "no champion yet: the first model is promoted")
    if regressed:
        shown = "; ".join(f"'{text[:60]}'" for text in regressed[:3])
        return Decision(
            False,
            f"not promoted: fails {len(regressed)} earlier correction(s) the champion passes ({shown})",
        )
    worse = []
    # Each model answers at its own out-of-scope operating point, so a challenger may trade a few in-scope
    # answers for more out-of-scope messages turned away: what must not get worse is the held-out set as a
    # whole (every row right or wrong), and neither side may collapse.
    same_rows = len(champion.in_scope_rows) == len(challenger.in_scope_rows) and len(
        champion.oos_rows
    ) == len(challenger.oos_rows)
    if same_rows:
        lost, won, significant = paired_loss(
            [*champion.in_scope_rows, *champion.oos_rows], [*challenger.in_scope_rows, *challenger.oos_rows]
        )
        if significant:
            worse.append(f"all held-out messages: {lost} lost, {won} won")
        for name, before, after in (
            ("in-scope accuracy", champion.in_scope_rows, challenger.in_scope_rows),
            ("out-of-scope recall", champion.oos_rows, challenger.oos_rows),
        ):
            lost, won, _ = paired_loss(before, after)
            if before and lost - won > COLLAPSE * len(before):
                worse.append(f"{name}: {lost} held-out messages lost, {won} won")
    if worse:
        return Decision(False, "not promoted: worse on the held-out set (" + "; ".join(worse) + ")")
    better = []
    if challenger.in_scope_accuracy >= champion.in_scope_accuracy + MARGIN:
        better.append(
            f"in-scope accuracy {champion.in_scope_accuracy:.2%} → {challenger.in_scope_accuracy:.2%}"
        )
    if champion.oos_recall is not None and (challenger.oos_recall or 0.0) >= champion.oos_recall + MARGIN:
        better.append(f"out-of-scope recall {champion.oos_recall:.2%} → {challenger.oos_recall or 0.0:.2%}")
    if (
        challenger.replay_pass_rate is not None
        and challenger.replay_pass_rate >= (champion.replay_pass_rate or 0.0) + MARGIN
    ):
        better.append(
            f"corrected conversations passed {champion.replay_pass_rate or 0.0:.2%} → "
            f"{challenger.replay_pass_rate:.2%}"
        )
    if not better:
        return Decision(False, "not promoted: no better than the champion on any measure")
    return Decision(True, "promoted: " + "; ".join(better) + "; not worse on the held-out set")

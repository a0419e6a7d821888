"""The weekly review, the pure part: escalated conversations grouped by reason, trigger and topic with
their trend against the week before, the ten largest improvement opportunities, and a section for product
teams (problems with the product itself, and questions that read like a confusing feature). No I/O.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from tandem.learning.gaps import trend

# What to do about each escalation reason of routing.yaml's taxonomy (unknown codes get a generic action).
ACTIONS = {
    "bot_misunderstood": "Teach the bot: label these conversations with the right intent",
    "bot_wrong_answer": "Correct the article the bot answered with",
    "missing_knowledge": "Write an article (one click from Knowledge gaps)",
    "needs_action": "Build a self-service flow for this action",
    "policy_exception": "Review the policy with the team leads",
    "emotional": "Keep these with people; check the frustration thresholds",
    "customer_preference": "Keep 'talk to an agent' fast; nothing to automate",
    "product_issue": "Send to the product team (see Product feedback)",
}
TRIGGER_ACTIONS = {
    "failed_attempts": "Teach the bot: it failed three times in a row",
    "loop": "Teach the bot: the customer repeated themselves",
    "frustration": "Find what upset customers before the handoff",
    "bot_failure": "Teach the bot: it did not understand",
}
REASON_PREFIX = "reason:"
# Questions that read like a feature the customer could not work out, rather than a support request.
CONFUSION = re.compile(
    r"\b(how (do|can|should) i|how to|can'?t find|cannot find|where (do|can|is the) (i|setting|option|button)"
    r"|doesn'?t work|does not work|not working|won'?t let me|confus\w*|unable to|keeps? (failing|crashing)"
    r"|error (message|code)|no option)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Escalated:
    question: str
    trigger: str | None
    reason_code: str | None  # what the agent tagged (reason:<code>), if they did
    previous_window: bool = False
    csat: int | None = None


@dataclass(frozen=True)
class TopicLike:
    """A knowledge-gap topic (learning.gaps.Gap has these fields)."""

    name: str
    volume: int
    previous_volume: int
    trend: str
    escalated: int
    proposal: str
    examples: list[str]


@dataclass
class Group:
    key: str
    label: str
    volume: int
    previous: int
    trend: str
    share: float  # of this week's escalations
    examples: list[str] = field(default_factory=list)


@dataclass
class Opportunity:
    title: str
    action: str
    volume: int
    trend: str
    why: str
    score: float


@dataclass
class WeeklyReview:
    start: datetime
    end: datetime
    escalated: int
    previous_escalated: int
    trend: str
    untagged: int  # escalations no agent gave a reason for
    by_reason: list[Group]
    by_trigger: list[Group]
    by_topic: list[Group]
    opportunities: list[Opportunity]
    product: list[Group]
    held_corrections: int


def _groups(
    items: Sequence[Escalated], key: str, labels: dict[str, str], total: int, *, limit: int = 20
) -> list[Group]:
    now: Counter[str] = Counter()
    before: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    for item in items:
        value = getattr(item, key)
        if value is None:
            continue
        (before if item.previous_window else now)[value] += 1
        if not item.previous_window and item.question and len(examples.setdefault(value, [])) < 3:
            examples[value].append(item.question[:160])
    return [
        Group(k, labels.get(k, k.replace("_", " ")), now[k], before[k], trend(now[k], before[k]),
              round(now[k] / total, 4) if total else 0.0, examples.get(k, []))
        for k in sorted(set(now) | set(before), key=lambda k: (-now[k], -before[k], k))[:limit]
    ]  # fmt: skip


def build(
    items: Sequence[Escalated],
    topics: Sequence[TopicLike],
    *,
    start: datetime,
    end: datetime,
    reason_labels: dict[str, str],
    held_corrections: int = 0,
) -> WeeklyReview:
    """The review of [start, end): ``items`` hold this week's escalations and the week before's
    (``previous_window``); ``topics`` are the knowledge gaps of the week."""
    current = [item for item in items if not item.previous_window]
    total = len(current)
    by_reason = _groups(items, "reason_code", reason_labels, total)
    by_trigger = _groups(items, "trigger", {}, total)
    by_topic = [
        Group(t.name, t.name, t.volume, t.previous_volume, t.trend, round(t.escalated / total, 4) if total else 0.0,
              list(t.examples[:3]))
        for t in topics
    ]  # fmt: skip
    product = [g for g in by_reason if g.key == "product_issue" and g.volume]
    confusing = [q.question for q in current if CONFUSION.search(q.question or "")]
    if confusing:
        product.append(
            Group("confusing_features", "Questions that read like a confusing feature", len(confusing),
                  sum(1 for q in items if q.previous_window and CONFUSION.search(q.question or "")),
                  "steady", round(len(confusing) / total, 4) if total else 0.0, confusing[:5])
        )  # fmt: skip
        product[-1].trend = trend(product[-1].volume, product[-1].previous)
    return WeeklyReview(
        start=start,
        end=end,
        escalated=total,
        previous_escalated=len(items) - total,
        trend=trend(total, len(items) - total),
        untagged=sum(1 for item in current if item.reason_code is None),
        by_reason=by_reason,
        by_trigger=by_trigger,
        by_topic=by_topic,
        opportunities=opportunities(by_reason, by_trigger, topics, held_corrections),
        product=product,
        held_corrections=held_corrections,
    )


def _weight(trend_name: str) -> float:
    return {"new": 1.5, "rising": 1.5, "steady": 1.0, "falling": 0.7}.get(trend_name, 1.0)


def opportunities(
    by_reason: Sequence[Group],
    by_trigger: Sequence[Group],
    topics: Sequence[TopicLike],
    held: int,
    *,
    top: int = 10,
) -> list[Opportunity]:
    """The ten largest things to fix, by volume weighted by trend (a rising problem first)."""
    found = [
        Opportunity(
            f"Topic: {t.name}",
            "Write an article" if t.proposal == "article" else "Teach the bot a new intent",
            t.volume, t.trend, f"{t.volume} questions the bot could not answer or handed over",
            t.volume * _weight(t.trend),
        )
        for t in topics
    ]  # fmt: skip
    for group in by_reason:
        if group.volume and group.key != "customer_preference":
            action = ACTIONS.get(group.key, "Look at these conversations")
            why = f"{group.volume} escalations tagged '{group.label}'"
            found.append(Opportunity(f"Reason: {group.label}", action, group.volume, group.trend, why,
                                     group.volume * _weight(group.trend)))  # fmt: skip
    for group in by_trigger:
        if group.volume and group.key in TRIGGER_ACTIONS:
            why = f"{group.volume} handoffs triggered by {group.label}"
            found.append(Opportunity(f"Trigger: {group.label}", TRIGGER_ACTIONS[group.key], group.volume,
                                     group.trend, why, group.volume * _weight(group.trend)))  # fmt: skip
    if held:
        why = f"{held} agent corrections the bot has not learned yet"
        action = "Approve or reject them in the supervisor view"
        found.append(Opportunity("Corrections waiting for review", action, held, "steady", why, float(held)))
    return sorted(found, key=lambda o: (-o.score, o.title))[:top]


def to_markdown(review: WeeklyReview) -> str:
    """The review as a Markdown document (to paste into a team's notes or send by e-mail)."""
    lines = [
        f"# Weekly review: {review.start:%Y-%m-%d} to {review.end:%Y-%m-%d}",
        "",
        f"**{review.escalated}** conversations went to a person ({review.trend}; {review.previous_escalated} the "
        f"week before). {review.untagged} have no reason tagged by the agent.",
        "",
        "## Top opportunities",
        "",
    ]
    if not review.opportunities:
        lines.append("Nothing stands out this week.")
    for number, item in enumerate(review.opportunities, start=1):
        lines.append(f"{number}. **{item.title}**: {item.action}. {item.why} ({item.trend}).")
    for title, groups in (
        ("Escalations by reason", review.by_reason),
        ("Escalations by trigger", review.by_trigger),
        ("Escalations by topic", review.by_topic),
    ):
        lines += ["", f"## {title}", ""]
        if not groups:
            lines.append("None.")
            continue
        lines += ["| | This week | Week before | Trend | Example |", "| --- | ---: | ---: | --- | --- |"]
        for group in groups:
            example = _cell(group.examples[0]) if group.examples else ""
            lines.append(
                f"| {_cell(group.label)} | {group.volume} | {group.previous} | {group.trend} | {example} |"
            )
    lines += ["", "## Product feedback", ""]
    if not review.product:
        lines.append("No product problems or confusing features reported this week.")
    for group in review.product:
        lines.append(f"- **{group.label}**: {group.volume} this week ({group.trend}).")
        lines += [f"  - \u201c{_cell(example)}\u201d" for example in group.examples]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")[:160]

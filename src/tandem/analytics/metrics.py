"""Every metric once, as a pure function over per-conversation records (docs/metrics.md has the formulas).

A period holds the conversations *started* in it (a cohort): a conversation started before the period
and reopened inside it belongs to the period it started in, so a number never changes because of what
happened to another period's conversations. Repeat contacts are looked for in every record given, so
pass the records up to 7 days after the period too (``in_period`` picks the cohort). A metric with no
denominator is ``None`` ("no data"), never 0.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

REPEAT_FOR_CONTAINMENT = timedelta(hours=24)
REPEAT_FOR_FCR = timedelta(days=7)
SATISFIED = 4  # CSAT 1-5: top-2 box
PROMOTER, DETRACTOR = 9, 6  # NPS 0-10: 9-10 promoters, 0-6 detractors


@dataclass(frozen=True)
class Contact:
    """One conversation as the metrics read it (from ``conversation_outcomes`` and its events)."""

    conversation_id: int
    customer_id: int
    started_at: datetime
    channel: str = "web"
    locale: str = "en"
    intent: str | None = None
    resolved_by: str | None = None  # bot | human | abandoned | None (still open)
    abandoned_in: str | None = None  # bot | queue, when abandoned
    resolved_at: datetime | None = None
    human_involved: bool = False
    escalated: bool = False  # moved from the bot to a person
    escalation_trigger: str | None = None
    first_signal_at: datetime | None = None  # first frustration signal or request for a person
    escalated_at: datetime | None = None
    first_human_at: datetime | None = None  # a person took it
    first_response_at: datetime | None = None  # a person's first public reply
    handle_seconds: float | None = None  # a person's handling time
    csat: int | None = None
    nps: int | None = None
    assisted: bool = False  # the person used an agent-assist suggestion


@dataclass(frozen=True)
class Rate:
    value: float | None  # numerator / denominator; None without a denominator
    numerator: int
    denominator: int
    low: float | None = None  # Wilson 95 % interval
    high: float | None = None


@dataclass(frozen=True)
class Figure:
    value: float | None  # None without data
    count: int  # how many values it summarises


def rate(numerator: int, denominator: int) -> Rate:
    if denominator == 0:
        return Rate(None, 0, 0)
    low, high = wilson(numerator, denominator)
    return Rate(round(numerator / denominator, 4), numerator, denominator, low, high)


def wilson(successes: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval: sensible for small counts and for 0 % or 100 %."""
    if total == 0:
        return 0.0, 1.0
    p = successes / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)


def in_period(contacts: Iterable[Contact], start: datetime, end: datetime) -> list[Contact]:
    """The cohort: conversations started in [start, end)."""
    return [c for c in contacts if start <= c.started_at < end]


def _ended(contact: Contact) -> bool:
    return contact.resolved_by is not None


def _repeats(contact: Contact, everyone: Sequence[Contact], within: timedelta) -> bool:
    """The same customer started another conversation within ``within`` of this one ending."""
    ended = contact.resolved_at or contact.started_at
    return any(
        other.customer_id == contact.customer_id
        and other.conversation_id != contact.conversation_id
        and ended < other.started_at <= ended + within
        for other in everyone
    )


def containment(cohort: Sequence[Contact], everyone: Sequence[Contact]) -> Rate:
    """Resolved by the bot with no person and no repeat contact within 24 h, over ended conversations
    (open ones are not judged yet; abandoned ones count as not contained)."""
    ended = [c for c in cohort if _ended(c)]
    contained = [
        c for c in ended
        if c.resolved_by == "bot" and not c.human_involved and not _repeats(c, everyone, REPEAT_FOR_CONTAINMENT)
    ]  # fmt: skip
    return rate(len(contained), len(ended))


def escalation_rate(cohort: Sequence[Contact]) -> Rate:
    """Moved from the bot to a person, over conversations started."""
    return rate(sum(c.escalated for c in cohort), len(cohort))


def escalation_speed(cohort: Sequence[Contact]) -> Figure:
    """Median seconds from the first frustration signal or request for a person (else the escalation) to a
    person joining, over escalated conversations a person joined."""
    waits = []
    for c in cohort:
        since = c.first_signal_at or c.escalated_at
        if c.escalated and c.first_human_at is not None and since is not None:
            waits.append((c.first_human_at - since).total_seconds())
    return Figure(round(statistics.median(waits), 1) if waits else None, len(waits))


def resolution_after_handoff(cohort: Sequence[Contact]) -> Rate:
    """Resolved by a person, over escalated conversations that ended (abandoned in the queue: not)."""
    ended = [c for c in cohort if c.escalated and _ended(c)]
    return rate(sum(c.resolved_by == "human" for c in ended), len(ended))


def first_contact_resolution(cohort: Sequence[Contact], everyone: Sequence[Contact]) -> Rate:
    """Resolved (by the bot or a person) with no repeat contact within 7 days, over resolved ones."""
    resolved = [c for c in cohort if c.resolved_by in ("bot", "human")]
    return rate(sum(not _repeats(c, everyone, REPEAT_FOR_FCR) for c in resolved), len(resolved))


CSAT_SEGMENTS: dict[str, Callable[[Contact], bool]] = {
    "overall": lambda c: True,
    "bot_only": lambda c: not c.human_involved,
    "after_handoff": lambda c: c.escalated,
    "human_only": lambda c: c.human_involved and not c.escalated,  # a person from the start
}


def csat(cohort: Sequence[Contact], segment: str = "overall") -> Rate:
    """Top-2 box: ratings of 4 or 5, over conversations rated (1-5) in the segment."""
    keep = CSAT_SEGMENTS[segment]
    rated = [c for c in cohort if c.csat is not None and keep(c)]
    return rate(sum(c.csat >= SATISFIED for c in rated if c.csat is not None), len(rated))


def nps(cohort: Sequence[Contact]) -> Figure:
    """% promoters (9-10) minus % detractors (0-6), -100 to 100, over answers."""
    answers = [c.nps for c in cohort if c.nps is not None]
    if not answers:
        return Figure(None, 0)
    promoters = sum(a >= PROMOTER for a in answers)
    detractors = sum(a <= DETRACTOR for a in answers)
    return Figure(round(100 * (promoters - detractors) / len(answers), 1), len(answers))


def average_handle_time(cohort: Sequence[Contact]) -> Figure:
    """Mean seconds a person spent, over conversations a person handled with a recorded time."""
    times = [c.handle_seconds for c in cohort if c.human_involved and c.handle_seconds is not None]
    return Figure(round(statistics.fmean(times), 1) if times else None, len(times))


def first_response_time(cohort: Sequence[Contact]) -> Figure:
    """Median seconds from the handoff (or the start, for a person from the start) to a person's first
    public reply, over conversations with one."""
    waits = [
        (c.first_response_at - (c.escalated_at or c.started_at)).total_seconds()
        for c in cohort
        if c.first_response_at is not None
    ]
    return Figure(round(statistics.median(waits), 1) if waits else None, len(waits))


def abandonment_in_bot(cohort: Sequence[Contact]) -> Rate:
    """Left while the bot had them, over conversations started."""
    return rate(sum(c.abandoned_in == "bot" for c in cohort), len(cohort))


def abandonment_in_queue(cohort: Sequence[Contact]) -> Rate:
    """Left while waiting for a person, over escalated conversations."""
    escalated = [c for c in cohort if c.escalated]
    return rate(sum(c.abandoned_in == "queue" for c in escalated), len(escalated))


def service_level(cohort: Sequence[Contact], answer_seconds: float) -> Rate:
    """A person joined within ``answer_seconds`` of the handoff, over escalated conversations a person
    joined or that were abandoned in the queue (an abandonment is a miss; one still waiting is not judged)."""
    judged = [
        c for c in cohort if c.escalated and (c.first_human_at is not None or c.abandoned_in == "queue")
    ]
    met = [
        c for c in judged
        if c.first_human_at is not None and c.escalated_at is not None
        and (c.first_human_at - c.escalated_at).total_seconds() <= answer_seconds
    ]  # fmt: skip
    return rate(len(met), len(judged))


def human_touch_score(cohort: Sequence[Contact]) -> Rate:
    """Handled by a person who used agent assist, over conversations a person handled."""
    handled = [c for c in cohort if c.human_involved]
    return rate(sum(c.assisted for c in handled), len(handled))


def assist_acceptance(accepted: int, edited: int, rejected: int) -> Rate:
    """Suggestions used (as they were or edited), over suggestions judged."""
    return rate(accepted + edited, accepted + edited + rejected)


@dataclass(frozen=True)
class Costs:
    contacts: int
    bot_only: int
    with_person: int
    cost: float
    cost_per_contact: float | None
    savings: float  # what the bot-only ones would have cost with a person, less what the bot cost


def costs(cohort: Sequence[Contact], *, bot_price: float, human_price: float) -> Costs:
    """Prices per conversation (configuration): every conversation pays the bot; one a person handled
    pays the person too."""
    people = sum(c.human_involved for c in cohort)
    bot_only = len(cohort) - people
    total = len(cohort) * bot_price + people * human_price
    return Costs(
        contacts=len(cohort),
        bot_only=bot_only,
        with_person=people,
        cost=round(total, 2),
        cost_per_contact=round(total / len(cohort), 4) if cohort else None,
        savings=round(bot_only * (human_price - bot_price), 2),
    )


@dataclass(frozen=True)
class IntentRow:
    intent: str
    conversations: int
    containment: Rate
    csat: Rate
    # route_to_people (the bot contains it, customers are unhappy) | bot_works | people_work (low containment,
    # happy customers) | fix_both | too_few (under ``minimum`` ended conversations, or no ratings)
    quadrant: str


def containment_by_csat(
    cohort: Sequence[Contact], everyone: Sequence[Contact], *, minimum: int = 10
) -> list[IntentRow]:
    """Per intent, containment and CSAT side by side with their intervals: where the bot resolves cheaply
    but customers are unhappy (route to people) and where people handle what the bot could."""
    by_intent: dict[str, list[Contact]] = {}
    for contact in cohort:
        by_intent.setdefault(contact.intent or "unknown", []).append(contact)
    rows = []
    for intent, group in by_intent.items():
        contained, satisfied = containment(group, everyone), csat(group)
        rows.append(
            IntentRow(intent, len(group), contained, satisfied, _quadrant(contained, satisfied, minimum))
        )
    return sorted(rows, key=lambda r: (-r.conversations, r.intent))


def _quadrant(contained: Rate, satisfied: Rate, minimum: int) -> str:
    if contained.value is None or satisfied.value is None or contained.denominator < minimum:
        return "too_few"
    high_containment = contained.value >= 0.5
    happy = satisfied.value >= 0.7
    if high_containment:
        return "bot_works" if happy else "route_to_people"
    return "people_work" if happy else "fix_both"

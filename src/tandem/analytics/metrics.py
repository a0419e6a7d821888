"""Every metric once, as a pure function over per-conversation records (docs/metrics.md has the formulas).

A period holds the conversations *started* in it (a cohort): a conversation started before the period
and reopened inside it belongs to the period it started in, so a number never changes because of what
happened to another period's conversations. A record knows when its customer came back
(``next_started_at``), so each conversation is counted on its own and the counts (``Tally``) add up across
hours, days and filters. A metric with no denominator is ``None`` ("no data"), never 0.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tandem.conversation.state import Trigger

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
    next_started_at: datetime | None = None  # the same customer's next conversation (repeat contacts)
    team: str | None = None  # the routing queue that had it last
    escalation_reason: str | None = (
        None  # the reason code an agent tagged (routing.yaml's escalation_reasons)
    )


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


# Waits (seconds) are counted in bins so that tallies add up across hours and days: a median is read from
# the bins (exact at a bin edge, interpolated inside one), a service level is exact at any edge.
WAIT_EDGES: tuple[int, ...] = (
    5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 300, 420, 600, 900, 1200, 1800, 2700, 3600, 7200,
    14400, 28800, 86400,
)  # fmt: skip
CSAT_SEGMENTS = ("overall", "bot_only", "after_handoff", "human_only")
TRIGGERS = (*(t.value for t in Trigger), "unknown")
UNTAGGED = "untagged"  # an escalation no agent gave a reason for


def _bin(seconds: float) -> int:
    """Index of the bin holding ``seconds``: bin i is (edge[i-1], edge[i]]; the last is above every edge."""
    return bisect.bisect_left(WAIT_EDGES, max(0.0, seconds))


def _no_bins() -> list[int]:
    return [0] * (len(WAIT_EDGES) + 1)


@dataclass
class Tally:
    """The counters every metric is computed from. Tallies add up, so an hour's, a day's and a filter's
    figures are sums of stored tallies (the rollups) and never a scan of the conversations."""

    conversations: int = 0
    ended: int = 0
    contained: int = 0
    escalated: int = 0
    escalated_ended: int = 0
    resolved_after_handoff: int = 0
    resolved: int = 0  # by the bot or a person
    resolved_first_contact: int = 0
    handled: int = 0  # a person was involved
    assisted: int = 0  # ... and used agent assist
    handle_count: int = 0
    handle_seconds: float = 0.0
    abandoned_bot: int = 0
    abandoned_queue: int = 0
    answer_judged: int = 0  # escalated, and a person joined or the customer left the queue
    nps_answers: int = 0
    promoters: int = 0
    detractors: int = 0
    csat_rated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CSAT_SEGMENTS, 0))
    csat_satisfied: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CSAT_SEGMENTS, 0))
    triggers: dict[str, int] = field(default_factory=dict)  # escalations by rule
    reasons: dict[str, int] = field(default_factory=dict)  # escalations by the reason agents tagged
    answer_waits: list[int] = field(default_factory=_no_bins)  # handoff -> a person joined
    escalation_waits: list[int] = field(default_factory=_no_bins)  # first signal -> a person joined
    response_waits: list[int] = field(default_factory=_no_bins)  # handoff (or start) -> first reply

    def add(self, c: Contact) -> None:
        """Count one conversation: every definition of docs/metrics.md, once."""
        self.conversations += 1
        ended = c.resolved_by is not None
        self.ended += ended
        if c.resolved_by == "bot" and not c.human_involved and not _repeats(c, REPEAT_FOR_CONTAINMENT):
            self.contained += 1
        if c.resolved_by in ("bot", "human"):
            self.resolved += 1
            self.resolved_first_contact += not _repeats(c, REPEAT_FOR_FCR)
        if c.escalated:
            self.escalated += 1
            trigger = c.escalation_trigger if c.escalation_trigger in TRIGGERS else "unknown"
            self.triggers[trigger] = self.triggers.get(trigger, 0) + 1
            reason = c.escalation_reason or UNTAGGED
            self.reasons[reason] = self.reasons.get(reason, 0) + 1
            if ended:
                self.escalated_ended += 1
                self.resolved_after_handoff += c.resolved_by == "human"
            self.abandoned_queue += c.abandoned_in == "queue"
            if c.first_human_at is not None or c.abandoned_in == "queue":
                self.answer_judged += 1
                if c.first_human_at is not None and c.escalated_at is not None:
                    self.answer_waits[_bin((c.first_human_at - c.escalated_at).total_seconds())] += 1
            since = c.first_signal_at or c.escalated_at
            if c.first_human_at is not None and since is not None:
                self.escalation_waits[_bin((c.first_human_at - since).total_seconds())] += 1
        self.abandoned_bot += c.abandoned_in == "bot"
        if c.first_response_at is not None:
            waited = (c.first_response_at - (c.escalated_at or c.started_at)).total_seconds()
            self.response_waits[_bin(waited)] += 1
        if c.human_involved:
            self.handled += 1
            self.assisted += c.assisted
            if c.handle_seconds is not None:
                self.handle_count += 1
                self.handle_seconds += c.handle_seconds
        if c.csat is not None:
            for segment in CSAT_SEGMENTS:
                if _in_segment(c, segment):
                    self.csat_rated[segment] += 1
                    self.csat_satisfied[segment] += c.csat >= SATISFIED
        if c.nps is not None:
            self.nps_answers += 1
            self.promoters += c.nps >= PROMOTER
            self.detractors += c.nps <= DETRACTOR

    def __iadd__(self, other: Tally) -> Tally:
        for name, value in vars(other).items():
            mine = getattr(self, name)
            if isinstance(value, dict):
                for key, count in value.items():
                    mine[key] = mine.get(key, 0) + count
            elif isinstance(value, list):
                for i, count in enumerate(value):
                    mine[i] += count
            else:
                setattr(self, name, mine + value)
        return self

    def to_vector(self) -> list[float]:
        """The tally as numbers in a fixed order (``SCALARS``, CSAT segments, ``TRIGGERS``, wait bins): how
        rollups store it, and what the dashboard adds up (as arrays) for any filter. The reasons, codes a
        deployment configures, are stored beside it."""
        values: list[float] = [getattr(self, name) for name in SCALARS]
        values += [self.csat_rated[s] for s in CSAT_SEGMENTS] + [
            self.csat_satisfied[s] for s in CSAT_SEGMENTS
        ]
        values += [self.triggers.get(t, 0) for t in TRIGGERS]
        return values + self.answer_waits + self.escalation_waits + self.response_waits

    @classmethod
    def from_vector(cls, values: Sequence[float], reasons: dict[str, int] | None = None) -> Tally:
        if len(values) != VECTOR_WIDTH:
            raise ValueError(f"a tally has {VECTOR_WIDTH} numbers, not {len(values)}")
        it = iter(values)
        tally = cls(reasons=dict(reasons or {}))
        for name in SCALARS:
            setattr(tally, name, _number(name, next(it)))
        tally.csat_rated = {s: int(next(it)) for s in CSAT_SEGMENTS}
        tally.csat_satisfied = {s: int(next(it)) for s in CSAT_SEGMENTS}
        tally.triggers = {t: n for t in TRIGGERS if (n := int(next(it)))}
        bins = len(WAIT_EDGES) + 1
        tally.answer_waits = [int(next(it)) for _ in range(bins)]
        tally.escalation_waits = [int(next(it)) for _ in range(bins)]
        tally.response_waits = [int(next(it)) for _ in range(bins)]
        return tally


SCALARS = tuple(name for name, value in vars(Tally()).items() if isinstance(value, int | float))
VECTOR_WIDTH = len(SCALARS) + 2 * len(CSAT_SEGMENTS) + len(TRIGGERS) + 3 * (len(WAIT_EDGES) + 1)


def _number(name: str, value: float) -> float | int:
    return float(value) if name == "handle_seconds" else int(value)


def summarise(contacts: Iterable[Contact]) -> Tally:
    tally = Tally()
    for contact in contacts:
        tally.add(contact)
    return tally


def _repeats(contact: Contact, within: timedelta) -> bool:
    """The same customer started another conversation within ``within`` of this one ending."""
    if contact.next_started_at is None:
        return False
    ended = contact.resolved_at or contact.started_at
    return contact.next_started_at <= ended + within


def _in_segment(c: Contact, segment: str) -> bool:
    if segment == "bot_only":
        return not c.human_involved
    if segment == "after_handoff":
        return c.escalated
    if segment == "human_only":  # a person from the start
        return c.human_involved and not c.escalated
    return True


def median_of(bins: Sequence[int]) -> float | None:
    """The median read from wait bins, interpolated linearly inside the bin that holds it."""
    total = sum(bins)
    if total == 0:
        return None
    half, seen = total / 2, 0
    for i, count in enumerate(bins):
        if count and seen + count >= half:
            low = WAIT_EDGES[i - 1] if i > 0 else 0
            high = WAIT_EDGES[i] if i < len(WAIT_EDGES) else low * 2
            return round(low + (high - low) * (half - seen) / count, 1)
        seen += count
    return None  # unreachable: the counts add up to total


def containment(t: Tally) -> Rate:
    """Resolved by the bot with no person and no repeat contact within 24 h, over ended conversations
    (open ones are not judged yet; abandoned ones count as not contained)."""
    return rate(t.contained, t.ended)


def escalation_rate(t: Tally) -> Rate:
    """Moved from the bot to a person, over conversations started."""
    return rate(t.escalated, t.conversations)


def escalation_speed(t: Tally) -> Figure:
    """Median seconds from the first frustration signal or request for a person (else the escalation) to a
    person joining, over escalated conversations a person joined."""
    return Figure(median_of(t.escalation_waits), sum(t.escalation_waits))


def resolution_after_handoff(t: Tally) -> Rate:
    """Resolved by a person, over escalated conversations that ended (abandoned in the queue: not)."""
    return rate(t.resolved_after_handoff, t.escalated_ended)


def first_contact_resolution(t: Tally) -> Rate:
    """Resolved (by the bot or a person) with no repeat contact within 7 days, over resolved ones."""
    return rate(t.resolved_first_contact, t.resolved)


def csat(t: Tally, segment: str = "overall") -> Rate:
    """Top-2 box: ratings of 4 or 5, over conversations rated (1-5) in the segment."""
    return rate(t.csat_satisfied[segment], t.csat_rated[segment])


def nps(t: Tally) -> Figure:
    """% promoters (9-10) minus % detractors (0-6), -100 to 100, over answers."""
    if not t.nps_answers:
        return Figure(None, 0)
    return Figure(round(100 * (t.promoters - t.detractors) / t.nps_answers, 1), t.nps_answers)


def average_handle_time(t: Tally) -> Figure:
    """Mean seconds a person spent, over conversations a person handled with a recorded time."""
    if not t.handle_count:
        return Figure(None, 0)
    return Figure(round(t.handle_seconds / t.handle_count, 1), t.handle_count)


def first_response_time(t: Tally) -> Figure:
    """Median seconds from the handoff (or the start, for a person from the start) to a person's first
    public reply, over conversations with one."""
    return Figure(median_of(t.response_waits), sum(t.response_waits))


def abandonment_in_bot(t: Tally) -> Rate:
    """Left while the bot had them, over conversations started."""
    return rate(t.abandoned_bot, t.conversations)


def abandonment_in_queue(t: Tally) -> Rate:
    """Left while waiting for a person, over escalated conversations."""
    return rate(t.abandoned_queue, t.escalated)


def service_level(t: Tally, answer_seconds: int) -> Rate:
    """A person joined within ``answer_seconds`` (one of ``WAIT_EDGES``) of the handoff, over escalated
    conversations a person joined or that were abandoned in the queue (an abandonment is a miss; one still
    waiting is not judged)."""
    if answer_seconds not in WAIT_EDGES:
        raise ValueError(f"answer_seconds must be one of {', '.join(map(str, WAIT_EDGES))}")
    within = sum(t.answer_waits[: WAIT_EDGES.index(answer_seconds) + 1])
    return rate(within, t.answer_judged)


def human_touch_score(t: Tally) -> Rate:
    """Handled by a person who used agent assist, over conversations a person handled."""
    return rate(t.assisted, t.handled)


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
    savings: float  # what the contained ones would have cost with a person, less what the bot cost


def costs(t: Tally, *, bot_price: float, human_price: float) -> Costs:
    """Prices per conversation (configuration): every conversation pays the bot; one a person handled
    pays the person too. The bot saves only what it contained (``containment``'s numerator): a customer who
    asked for a person and left, who gave up on the bot, came back within a day or is still talking is
    not a saving."""
    contained = t.contained
    total = t.conversations * bot_price + t.handled * human_price
    return Costs(
        contacts=t.conversations,
        bot_only=contained,
        with_person=t.handled,
        cost=round(total, 2),
        cost_per_contact=round(total / t.conversations, 4) if t.conversations else None,
        savings=round(contained * (human_price - bot_price), 2),
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


def containment_by_csat(by_intent: dict[str, Tally], *, minimum: int = 10) -> list[IntentRow]:
    """Per intent, containment and CSAT side by side with their intervals: where the bot resolves cheaply
    but customers are unhappy (route to people) and where people handle what the bot could."""
    rows = []
    for intent, tally in by_intent.items():
        contained, satisfied = containment(tally), csat(tally)
        rows.append(
            IntentRow(
                intent, tally.conversations, contained, satisfied, _quadrant(contained, satisfied, minimum)
            )
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

"""Synthetic traffic through the real services: ``tandem simulate``, the dashboard's demo data and its
screenshots.

Every conversation goes the way a real one does: a customer (new, or one coming back) opens a chat on a
channel in a language and asks one of the demo store's questions in that language; the real Tier-0 bot
answers or hands over; some customers get frustrated or ask for a person, some leave; online agents get
offers from the real routing, accept them, use agent assist (accept, edit or reject a suggestion), reply
and resolve after a realistic handling time; customers answer CSAT and NPS. A frozen clock is moved
through the days, so the history spans ``days`` in a few seconds per hundred conversations.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from tandem.accounts import service as accounts_service
from tandem.accounts.actors import Actor, Role
from tandem.assist import service as assist_service
from tandem.assist.schemas import FeedbackIn
from tandem.bootstrap import Container
from tandem.conversation import service as conversation_service
from tandem.conversation.schemas import Channel, ConversationCreate, MessageCreate, RatingCreate
from tandem.conversation.state import Owner
from tandem.core.clock import FrozenClock
from tandem.core.errors import TandemError
from tandem.core.ids import ConversationId, CustomerId, StaffId
from tandem.routing import service as routing_service
from tandem.routing.schemas import Presence
from tandem.store.content import load_intents

T = TypeVar("T")
NOT_GOALS = frozenset({"greeting", "thanks", "goodbye", "affirm", "deny", "bot_unhelpful", "complaint"})
CHANNELS = ((Channel.WEB, 0.70), (Channel.WHATSAPP, 0.12), (Channel.EMAIL, 0.12), (Channel.SMS, 0.06))
LOCALES = (("en", 0.80), ("es", 0.08), ("fr", 0.06), ("de", 0.06))
FRUSTRATED = (
    "This is useless, I've explained this three times already!",
    "Seriously? That doesn't answer anything. I'm getting really annoyed.",
    "You keep giving me the same answer, this is ridiculous",
)
ASKS_FOR_PERSON = ("I want to talk to a real person", "Can I speak to an agent please?", "human please")
AGENT_REPLIES = (
    "Thanks for waiting, I can see what happened and I'm sorting it out for you now.",
    "I'm sorry about the trouble. I've checked your account and fixed it; you'll get an e-mail shortly.",
)
# Some topics please customers less when the bot answers them: the per-intent matrix should show it.
BOT_UNHAPPY = {"promo_code": 0.55, "mystery_fee": 0.5, "billing_dispute": 0.45, "price_match": 0.4}


@dataclass(frozen=True)
class Mix:
    """Shares of each kind of customer (the rest are served by the bot and leave happy or not)."""

    frustrated: float = 0.12
    asks_for_person: float = 0.10
    leaves_bot: float = 0.05
    returns: float = 0.10  # a customer from the last day comes back
    leaves_queue: float = 0.10
    rates: float = 0.45
    answers_nps: float = 0.25
    uses_assist: float = 0.65
    tags_reason: float = 0.75  # agents say why the conversation needed a person


@dataclass
class SimulationReport:
    conversations: int = 0
    handed_over: int = 0
    abandoned: int = 0
    resolved_by_bot: int = 0
    resolved_by_person: int = 0
    skipped: int = 0
    first_start: datetime | None = None
    last_start: datetime | None = None
    errors: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        found = {k: v for k, v in vars(self).items() if k not in ("first_start", "last_start")}
        found["first_start"] = self.first_start.isoformat() if self.first_start else None
        found["last_start"] = self.last_start.isoformat() if self.last_start else None
        return found


def start_times(count: int, *, days: int, end: datetime, rng: random.Random) -> list[datetime]:
    """Arrivals over ``days`` up to ``end``: busier on weekdays and in the daytime (peaks at 11:00 and
    15:00 UTC), quiet at night, sorted."""
    first = (end - timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    hours = [first + timedelta(hours=h) for h in range(days * 24)]
    weights = [_hour_weight(h) for h in hours]
    chosen = rng.choices(hours, weights=weights, k=count)
    times = [h + timedelta(seconds=rng.uniform(0, 3600)) for h in chosen]
    return sorted(t for t in times if t < end)


def _hour_weight(at: datetime) -> float:
    daytime = math.exp(-((at.hour - 11) ** 2) / 18) + 0.8 * math.exp(-((at.hour - 15) ** 2) / 12) + 0.05
    return daytime * (0.55 if at.weekday() >= 5 else 1.0)


class TrafficSimulator:
    """Runs conversations through ``container``'s services; the container must use ``clock``."""

    def __init__(self, container: Container, clock: FrozenClock, *, seed: int = 7, mix: Mix = Mix()) -> None:
        self.container, self.clock, self.mix = container, clock, mix
        self.rng = random.Random(seed)
        self.goals: dict[str, list[tuple[str, str]]] = {}  # locale -> (intent, example)
        for spec in load_intents():
            if spec.name in NOT_GOALS:
                continue
            for locale, texts in spec.examples.items():
                self.goals.setdefault(locale, []).extend((spec.name, text) for text in texts)
        self.agents: list[Actor] = []
        self.returning: list[tuple[datetime, str]] = []  # (when, widget token) of recent customers

    async def prepare(self) -> None:
        """Every active agent online (so the real routing offers them conversations)."""
        async with self.container.uow(write=False) as uow:
            staff = await accounts_service.list_staff(uow, actor=Actor.system())
        self.agents = [
            Actor.staff(StaffId(s.id), s.role, s.name) for s in staff if s.active and s.role is Role.AGENT
        ]
        for agent in self.agents:
            async with self.container.uow() as uow:
                await routing_service.set_presence(
                    uow, actor=agent, config=self.container.routing, presence=Presence.ONLINE
                )

    async def run(
        self,
        count: int,
        *,
        days: int,
        end: datetime | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> SimulationReport:
        report = SimulationReport()
        times = start_times(count, days=days, end=end or datetime.now(UTC), rng=self.rng)
        for done, at in enumerate(times, 1):
            try:
                await self.conversation(at, report)
            except TandemError as exc:  # a refusal of the services is counted, never fatal
                report.skipped += 1
                report.errors[type(exc).__name__] = report.errors.get(type(exc).__name__, 0) + 1
            report.conversations += 1
            report.first_start = report.first_start or at
            report.last_start = at
            if progress is not None:
                progress(done, len(times))
        return report

    async def conversation(self, at: datetime, report: SimulationReport) -> None:
        rng, mix = self.rng, self.mix
        self.clock.set(at)
        locale = _pick(rng, LOCALES)
        intent, text = rng.choice(self.goals.get(locale) or self.goals["en"])
        self.returning = [(t, token) for t, token in self.returning if at - t < timedelta(days=1)]
        token = rng.choice(self.returning)[1] if self.returning and rng.random() < mix.returns else None
        async with self.container.uow() as uow:
            started = await conversation_service.start_conversation(
                uow,
                actor=None,
                data=ConversationCreate(channel=_pick(rng, CHANNELS), locale=locale, widget_token=token),
                limits=self.container.limits,
            )
        if started.widget_token:
            self.returning.append((at, started.widget_token))
        cid = ConversationId(started.conversation.id)
        customer = Actor.customer(cid, CustomerId(started.conversation.customer_id))
        await self._say(customer, cid, text)
        roll = rng.random()
        if await self._state(cid) is Owner.BOT:
            if roll < mix.frustrated:
                self.clock.advance(seconds=rng.uniform(20, 90))
                await self._say(customer, cid, rng.choice(FRUSTRATED))
            elif roll < mix.frustrated + mix.asks_for_person:
                self.clock.advance(seconds=rng.uniform(10, 60))
                await self._say(customer, cid, rng.choice(ASKS_FOR_PERSON))
        state = await self._state(cid)
        if state is Owner.BOT:
            if rng.random() < mix.leaves_bot / max(1e-9, 1 - mix.frustrated - mix.asks_for_person):
                self.clock.advance(seconds=rng.uniform(60, 300))
                await self._close(Actor.system(), cid, abandoned=True)
                report.abandoned += 1
                return
            self.clock.advance(seconds=rng.uniform(20, 120))
            await self._close(customer, cid)
            report.resolved_by_bot += 1
            unhappy = BOT_UNHAPPY.get(intent, 0.15)
            await self._rate(customer, cid, happy=rng.random() > unhappy)
            return
        if state is not Owner.WAITING:
            return
        report.handed_over += 1
        wait = rng.lognormvariate(math.log(35), 0.8)  # median 35 s, a long tail
        if rng.random() < mix.leaves_queue:
            self.clock.advance(seconds=min(wait * 2, 900))
            await self._close(Actor.system(), cid, abandoned=True)
            report.abandoned += 1
            return
        self.clock.advance(seconds=wait)
        agent = await self._accept(cid)
        if agent is None:  # nobody could take it: the customer gives up
            self.clock.advance(seconds=120)
            await self._close(Actor.system(), cid, abandoned=True)
            report.abandoned += 1
            return
        self.clock.advance(seconds=rng.uniform(10, 60))
        reply = rng.choice(AGENT_REPLIES)
        if rng.random() < mix.uses_assist:
            action = _pick(rng, (("accepted", 0.55), ("edited", 0.25), ("rejected", 0.20)))
            async with self.container.uow() as uow:
                await assist_service.record_feedback(
                    uow,
                    actor=agent,
                    conversation_id=cid,
                    data=FeedbackIn.model_validate(
                        {"suggestion_id": f"sim-{cid}", "kind": "handoff", "action": action,
                         "suggested_text": reply, "final_text": reply if action != "rejected" else None}
                    ),
                )  # fmt: skip
        await self._say(agent, cid, reply)
        if rng.random() < mix.tags_reason:
            async with self.container.uow() as uow:
                await routing_service.tag_escalation_reason(
                    uow, actor=agent, config=self.container.routing, conversation_id=cid,
                    code=_reason_for(rng, intent, trigger=await self._trigger(cid)),
                )  # fmt: skip
        self.clock.advance(seconds=rng.lognormvariate(math.log(300), 0.6))  # handle: median 5 min
        await self._close(agent, cid)
        report.resolved_by_person += 1
        await self._rate(customer, cid, happy=rng.random() > 0.22)

    async def _say(self, actor: Actor, cid: ConversationId, text: str) -> None:
        async with self.container.uow() as uow:
            await conversation_service.post_message(
                uow,
                actor=actor,
                conversation_id=cid,
                data=MessageCreate(body=text),
                limits=self.container.limits,
            )
        await self.container.queue.drain(timeout=30)  # the bot's turn and any handoff, on this clock

    async def _trigger(self, cid: ConversationId) -> str | None:
        async with self.container.uow(write=False) as uow:
            found = await conversation_service.get_outcome(uow, actor=Actor.system(), conversation_id=cid)
        return found.escalation_trigger

    async def _state(self, cid: ConversationId) -> Owner:
        async with self.container.uow(write=False) as uow:
            found = await conversation_service.access_conversation(
                uow, actor=Actor.system(), conversation_id=cid
            )
        return found.state

    async def _close(self, actor: Actor, cid: ConversationId, *, abandoned: bool = False) -> None:
        async with self.container.uow() as uow:
            await conversation_service.close(uow, actor=actor, conversation_id=cid, abandoned=abandoned)
        await self.container.queue.drain(timeout=30)

    async def _accept(self, cid: ConversationId) -> Actor | None:
        """The agent the real routing offered the conversation to accepts it."""
        await self.container.route()
        for agent in self.agents:
            async with self.container.uow(write=False) as uow:
                offers = await routing_service.list_offers(uow, actor=agent)
            if any(offer.conversation_id == cid for offer in offers):
                async with self.container.uow() as uow:
                    await routing_service.accept_offer(uow, actor=agent, conversation_id=cid)
                await self.container.queue.drain(timeout=30)
                return agent
        return None

    async def _rate(self, customer: Actor, cid: ConversationId, *, happy: bool) -> None:
        rng = self.rng
        csat = (
            (rng.choice((4, 5, 5)) if happy else rng.choice((1, 2, 3)))
            if rng.random() < self.mix.rates
            else None
        )
        nps = (
            (rng.choice((9, 10, 8)) if happy else rng.choice((2, 5, 6, 7)))
            if rng.random() < self.mix.answers_nps
            else None
        )
        if csat is None and nps is None:
            return
        self.clock.advance(seconds=rng.uniform(5, 60))
        async with self.container.uow() as uow:
            await conversation_service.rate(
                uow, actor=customer, conversation_id=cid, data=RatingCreate(csat=csat, nps=nps)
            )


def _reason_for(rng: random.Random, intent: str, *, trigger: str | None) -> str:
    """What an agent would tag: an upset customer needed a person, one who asked mostly preferred one,
    billing questions often need an exception or an action, the rest a mix of the bot's misses."""
    if trigger == "sentiment":
        return _pick(rng, (("emotional", 0.5), ("bot_misunderstood", 0.3), ("bot_wrong_answer", 0.2)))
    if trigger == "customer_request":
        return _pick(rng, (("customer_preference", 0.6), ("needs_action", 0.25), ("missing_knowledge", 0.15)))
    if intent in BOT_UNHAPPY:
        return _pick(rng, (("policy_exception", 0.5), ("needs_action", 0.3), ("product_issue", 0.2)))
    return _pick(rng, (("bot_misunderstood", 0.4), ("missing_knowledge", 0.35), ("needs_action", 0.25)))


def _pick(rng: random.Random, shares: tuple[tuple[T, float], ...]) -> T:
    values = [value for value, _ in shares]
    return rng.choices(values, weights=[weight for _, weight in shares], k=1)[0]

"""Every kind of feedback a person gives becomes a labelled example with its provenance.

A kind says what the label means:

- ``intent``: the intent the customer's words really had ("bot failed here" with the right intent, or a
  correction of the handoff summary's intent). The intent model learns these.
- ``article``: the knowledge article that would have answered ("bot failed here" with the right article).
- ``escalation_reason``: why the conversation needed a person (the reason an agent tagged).
- ``reply``: how agents judged a suggested reply (accepted, edited, rejected), with what they sent.
- ``satisfaction``: satisfied or unsatisfied (CSAT 4-5 or 1-3), with the score.
- ``sentiment``: words a sentiment escalation took for frustration that an agent said were not.

The mapping from a feedback record to examples is pure (``from_event``, ``from_verdict``,
``from_override``); ``collect`` reads each source from its cursor and stores what is new.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from tandem.assist import service as assist_service
from tandem.conversation import service as conversation_service
from tandem.core.errors import ConflictError
from tandem.core.uow import UnitOfWork
from tandem.customers import service as customers_service
from tandem.learning import repository
from tandem.learning.models import TrainingExample
from tandem.routing import service as routing_service
from tandem.routing.service import REASON_TAG_PREFIX

INTENT = "intent"
ARTICLE = "article"
ESCALATION_REASON = "escalation_reason"
REPLY = "reply"
SATISFACTION = "satisfaction"
SENTIMENT = "sentiment"
KINDS = (INTENT, ARTICLE, ESCALATION_REASON, REPLY, SATISFACTION, SENTIMENT)

EVENT_TYPES = ["bot_failed_here", "intent_corrected", "tagged", "rated"]
NEEDS_WORDS = {"tagged", "rated"}  # events whose example text is what the customer came for
SATISFIED_FROM = 4  # CSAT 1-5: 4 and 5 are satisfied (top-2 box)
BATCH = 5_000


@dataclass(frozen=True)
class Candidate:
    """An example before it is stored: who labelled which words how, and where it came from."""

    kind: str
    text: str
    label: str
    source: str  # unique: collecting twice stores nothing twice
    conversation_id: int | None
    staff_id: int | None
    target: str | None = None
    event_id: int | None = None


def from_event(event: conversation_service.FeedbackEvent, words: str | None) -> list[Candidate]:
    """Examples from one conversation event; ``words`` are the customer's opening messages."""
    data = event.data
    found: list[Candidate] = []

    def add(kind: str, text: Any, label: Any, suffix: str = "", target: str | None = None) -> None:
        if isinstance(text, str) and text.strip() and isinstance(label, str) and label.strip():
            found.append(
                Candidate(
                    kind, text.strip()[:2000], label.strip()[:80], f"event:{event.id}{suffix}",
                    event.conversation_id, event.actor_id, target, event.id,
                )
            )  # fmt: skip

    if event.type in ("bot_failed_here", "intent_corrected"):
        add(INTENT, data.get("customer_text"), data.get("correct_intent"))
    if event.type == "bot_failed_here":
        add(ARTICLE, data.get("customer_text"), data.get("correct_article"), ":article")
    if event.type == "tagged":
        for tag in data.get("add") or []:
            if isinstance(tag, str) and tag.startswith(REASON_TAG_PREFIX):
                code = tag.removeprefix(REASON_TAG_PREFIX)
                add(ESCALATION_REASON, words, code, f":{code}")
    if event.type == "rated" and isinstance(data.get("csat"), int):
        score = int(data["csat"])
        label = "satisfied" if score >= SATISFIED_FROM else "unsatisfied"
        add(SATISFACTION, words, label, target=str(score))
    return found


def from_verdict(verdict: Any) -> list[Candidate]:
    """An agent's verdict on a suggested reply: the customer's words, the verdict, what was sent."""
    text = (verdict.customer_text or "").strip()
    if not text:
        return []
    sent = verdict.final_text if verdict.action == "edited" else verdict.suggested_text
    return [
        Candidate(
            REPLY, text[:2000], verdict.action, f"suggestion:{verdict.id}", verdict.conversation_id,
            verdict.staff_id, sent,
        )
    ]  # fmt: skip


def from_override(override: Any) -> list[Candidate]:
    """An override of a sentiment escalation: these words were not frustration."""
    text = (override.customer_text or "").strip()
    if not text:
        return []
    return [
        Candidate(
            SENTIMENT, text[:2000], "not_frustrated", f"override:{override.id}", override.conversation_id,
            override.staff_id, override.rule,
        )
    ]  # fmt: skip


async def collect(uow: UnitOfWork, *, default_consent: bool) -> dict[str, int]:
    """New feedback from every source since its cursor becomes labelled examples, with the customer's
    consent. Returns how many examples of each kind were added. Safe to run twice."""
    candidates: list[Candidate] = []
    events = await conversation_service.feedback_events(
        uow, types=EVENT_TYPES, after_id=await repository.cursor(uow.session, "events"), limit=BATCH
    )
    words = await conversation_service.customer_words(
        uow, [e.conversation_id for e in events if e.type in NEEDS_WORDS]
    )
    for event in events:
        candidates += from_event(event, words.get(event.conversation_id))
    verdicts = await assist_service.verdicts_after(
        uow, after_id=await repository.cursor(uow.session, "suggestions"), limit=BATCH
    )
    for verdict in verdicts:
        candidates += from_verdict(verdict)
    overrides = await routing_service.overrides_after(
        uow, after_id=await repository.cursor(uow.session, "overrides"), limit=BATCH
    )
    for override in overrides:
        candidates += from_override(override)

    known = await repository.known_sources(uow.session, [c.source for c in candidates])
    fresh = [c for c in candidates if c.source not in known]
    parties = await conversation_service.conversation_parties(
        uow, [c.conversation_id for c in fresh if c.conversation_id is not None]
    )
    consents = await customers_service.training_consents(
        uow, [customer for customer, _ in parties.values()], default=default_consent
    )
    added: dict[str, int] = {}
    now = uow.clock.now()
    for candidate in fresh:
        customer, locale = parties.get(candidate.conversation_id or 0, (None, None))
        uow.session.add(
            TrainingExample(
                text=candidate.text,
                label=candidate.label,
                kind=candidate.kind,
                source=candidate.source,
                event_id=candidate.event_id,
                conversation_id=candidate.conversation_id,
                staff_id=candidate.staff_id,
                locale=locale,
                consent=consents.get(customer, default_consent) if customer is not None else default_consent,
                active=True,
                target=candidate.target,
                created_at=now,
            )
        )
        added[candidate.kind] = added.get(candidate.kind, 0) + 1
    for source, rows in (("events", events), ("suggestions", verdicts), ("overrides", overrides)):
        if rows:
            await repository.advance(uow.session, source, max(int(row.id) for row in rows))
    try:
        await uow.session.flush()
    except IntegrityError as exc:  # a concurrent collection took them first
        raise ConflictError("Feedback is being collected by another run; try again in a moment.") from exc
    return added

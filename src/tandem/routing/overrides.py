"""Agents' verdicts on sentiment escalations, and what they say about the thresholds.

An agent who finds a sentiment escalation unnecessary overrides it once, with a reason; the override is
kept (locale, score, threshold, the customer's words) for the learning loop and for per-language
calibration, and by default the conversation goes back to the bot.
"""

from __future__ import annotations

import statistics
from datetime import timedelta
from typing import Any

from tandem.accounts.actors import Actor, Role
from tandem.conversation import service as conversation_service
from tandem.conversation.state import Owner
from tandem.core.ids import ConversationId
from tandem.core.uow import UnitOfWork
from tandem.routing import repository
from tandem.routing.errors import OverrideNotAllowedError
from tandem.routing.models import EscalationOverride
from tandem.routing.schemas import CalibrationRow, OverrideIn
from tandem.routing.service import language_of, require_person


async def override_escalation(
    uow: UnitOfWork, *, actor: Actor, conversation_id: ConversationId, data: OverrideIn
) -> None:
    """An agent says a sentiment escalation was not needed. Stored for the learning loop and for per-locale
    calibration; by default the conversation goes back to the bot, whose frustration rule then waits until
    the customer calms down before it fires again (hysteresis)."""
    staff_id = require_person(actor)
    view = await conversation_service.lock_for_routing(uow, conversation_id)
    escalation = await conversation_service.latest_escalation(uow, conversation_id, include_requeues=False)
    if escalation is None:
        await conversation_service.get_outcome(uow, actor=actor, conversation_id=conversation_id)  # 404 first
        raise OverrideNotAllowedError(
            "This conversation was never escalated, so there is nothing to override."
        )
    if escalation.trigger != "sentiment":
        raise OverrideNotAllowedError(
            f"Only sentiment escalations can be overridden; this one was triggered by '{escalation.trigger}'.",
            trigger=str(escalation.trigger),
        )
    if await repository.override_for(uow.session, escalation.id) is not None:
        raise OverrideNotAllowedError("This escalation was already overridden.")
    trace = escalation.data.get("trace") or {}
    found = trace.get("escalation") or {}
    evidence = found.get("evidence") or {}
    customer_text = await _message_text(uow, conversation_id, escalation.data.get("seq"))
    uow.session.add(
        EscalationOverride(
            conversation_id=conversation_id,
            episode=view.episode,
            event_id=escalation.id,
            rule=found.get("rule"),
            locale=str(evidence.get("language") or language_of(view.locale)),
            score=_float(evidence.get("score")),
            threshold=_float(found.get("threshold")),
            customer_text=customer_text,
            reason=data.reason,
            staff_id=staff_id,
            created_at=uow.clock.now(),
        )
    )
    await conversation_service.record_event(
        uow,
        actor=actor,
        conversation_id=conversation_id,
        event_type="escalation_overridden",
        reason=data.reason,
        data={"event_id": escalation.id, "rule": found.get("rule"), "score": evidence.get("score")},
    )
    if data.hand_back and view.state in (Owner.WAITING, Owner.HUMAN):
        await conversation_service.hand_back(
            uow, actor=actor, conversation_id=conversation_id, reason=f"escalation not needed: {data.reason}"
        )


async def _message_text(uow: UnitOfWork, conversation_id: int, seq: Any) -> str | None:
    if not isinstance(seq, int):
        return None
    for message in await conversation_service.episode_messages(uow, conversation_id, include_private=False):
        if message.seq == seq:
            return message.body[:2000]
    return None


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


async def calibration(
    uow: UnitOfWork, *, actor: Actor, thresholds: dict[str, float | None], days: int = 30
) -> list[CalibrationRow]:
    """Per locale: how often agents said a sentiment escalation was unnecessary, and a threshold that would
    have spared most of those without missing the rest (a suggestion; people edit the rules file)."""
    actor.require_staff(Role.SUPERVISOR)
    since = uow.clock.now() - timedelta(days=days)
    escalations = await conversation_service.escalations_by_locale(uow, trigger="sentiment", since=since)
    overrides: dict[str, list[float]] = {}
    counts: dict[str, int] = {}
    for row in await repository.overrides_since(uow.session, since):
        counts[row.locale] = counts.get(row.locale, 0) + 1
        if row.score is not None:
            overrides.setdefault(row.locale, []).append(row.score)
    rows = []
    for locale in sorted(set(escalations) | set(counts) | {k for k in thresholds if k != "*"}):
        total = escalations.get(locale, 0)
        overridden = counts.get(locale, 0)
        scores = sorted(overrides.get(locale, []))
        threshold = thresholds.get(locale, thresholds.get("*"))
        rate = overridden / total if total else None
        suggested, advice = _suggest(threshold, scores, rate, total)
        rows.append(
            CalibrationRow(
                locale=locale,
                threshold=threshold,
                sentiment_escalations=total,
                overrides=overridden,
                override_rate=round(rate, 3) if rate is not None else None,
                overridden_score_median=round(statistics.median(scores), 3) if scores else None,
                suggested_threshold=suggested,
                advice=advice,
            )
        )
    return rows


MIN_ESCALATIONS = 20
HIGH_OVERRIDE_RATE = 0.25


def _suggest(
    threshold: float | None, scores: list[float], rate: float | None, total: int
) -> tuple[float | None, str]:
    if threshold is None:
        return None, "The frustration rule is switched off."
    if total < MIN_ESCALATIONS or rate is None:
        return None, f"Too few sentiment escalations to judge ({total}; need {MIN_ESCALATIONS})."
    if rate < HIGH_OVERRIDE_RATE or not scores:
        return None, f"Agents overrode {rate:.0%}: keep {threshold:.2f}."
    # raise the threshold above three quarters of the overridden scores, by small steps, never above 0.9
    upper = scores[min(len(scores) - 1, int(0.75 * len(scores)))]
    suggested = round(min(0.9, max(threshold + 0.05, upper + 0.02)), 2)
    return suggested, f"Agents overrode {rate:.0%}; consider raising the threshold to {suggested:.2f}."

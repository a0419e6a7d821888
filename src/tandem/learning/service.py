"""The continuous learning loop: agents' corrections become labelled examples; a challenger model is trained
on the base intents plus those examples, measured against the champion on a frozen held-out set and on the
replay of the corrected conversations, and promoted only when it is better; the registry keeps every
version for a one-command rollback.

Examples respect consent: a customer's words train the bot only when the customer agreed, or has not said
and the deployment's default (``TANDEM_LEARNING_DEFAULT_CONSENT``) allows it.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy.exc import IntegrityError

from tandem.accounts import service as accounts_service
from tandem.accounts.actors import Actor, Role
from tandem.bot.nlu.dataset import OUT_OF_SCOPE, Examples, load_dataset
from tandem.bot.nlu.intents import IntentModel, Progress, generic_out_of_scope
from tandem.bot.registry import build_encoder
from tandem.bot.training import demo_examples
from tandem.conversation import service as conversation_service
from tandem.core.errors import ConflictError, InvalidInputError, NotFoundError
from tandem.core.uow import UnitOfWork, UnitOfWorkFactory
from tandem.customers import service as customers_service
from tandem.learning import evaluation, gaps, repository
from tandem.learning.models import ModelVersion, TrainingExample
from tandem.learning.schemas import Contributor, DraftProposal, GapOut, ModelVersionOut
from tandem.settings import Settings

log = structlog.get_logger(__name__)
FEEDBACK_EVENTS = ["bot_failed_here"]
REGISTRY_DIR = "registry"


# --- feedback -> examples ---------------------------------------------------------------------------------


async def collect(uow: UnitOfWork, *, default_consent: bool) -> int:
    """New corrections since the last collection become labelled examples (with who, when, which
    conversation, and the customer's consent). Safe to run twice: each event is taken once."""
    events = await conversation_service.feedback_events(
        uow, types=FEEDBACK_EVENTS, after_id=await repository.last_event_id(uow.session)
    )
    usable = [
        e
        for e in events
        if isinstance(e.data.get("correct_intent"), str)
        and isinstance(e.data.get("customer_text"), str)
        and e.data["customer_text"].strip()
    ]
    known = await repository.known_sources(uow.session, [f"event:{e.id}" for e in usable])
    consents = await customers_service.training_consents(
        uow, [e.customer_id for e in usable], default=default_consent
    )
    added = 0
    for event in usable:
        if f"event:{event.id}" in known:
            continue
        uow.session.add(
            TrainingExample(
                text=event.data["customer_text"][:2000],
                label=event.data["correct_intent"],
                kind=event.type,
                source=f"event:{event.id}",
                event_id=event.id,
                conversation_id=event.conversation_id,
                staff_id=event.actor_id,
                locale=event.locale,
                consent=consents[event.customer_id],
                active=True,
                created_at=uow.clock.now(),
            )
        )
        added += 1
    try:
        await uow.session.flush()
    except IntegrityError as exc:  # a concurrent collection took them first
        raise ConflictError("Feedback is being collected by another run; try again in a moment.") from exc
    return added


async def training_feedback(uow: UnitOfWork) -> Examples:
    """The labelled examples a retrained model learns from: active ones whose customer consented."""
    rows = await repository.usable_examples(uow.session)
    return Examples([r.text for r in rows], [r.label for r in rows])


# --- the loop ----------------------------------------------------------------------------------------------


@dataclass
class LoopResult:
    champion: dict[str, Any] | None
    challenger: dict[str, Any]
    promoted: bool
    reason: str
    version: int
    champion_version: int | None
    trigger: str
    examples: int
    feedback_examples: int
    collected: int
    conflicts: int = 0  # corrections that contradict the base intents word for word, left out
    held_for_review: int = 0  # corrections implausible to the champion, not learned until reviewed
    contributors: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def base_examples(settings: Settings) -> Examples:
    """What every model starts from: the deployment's intents (or the demo store's), with off-topic
    messages as the out-of-scope class so that out-of-scope recall can be measured on held-out ones."""
    if settings.learning_base_data is not None:
        examples = load_dataset(settings.learning_base_data).train
    else:
        examples = demo_examples()
    if OUT_OF_SCOPE not in examples.labels:
        for text in generic_out_of_scope():
            examples.add(text, OUT_OF_SCOPE)
    return examples


async def run(
    uows: UnitOfWorkFactory,
    *,
    settings: Settings,
    trigger: str = "manual",
    base: Examples | None = None,
    progress: Progress | None = None,
) -> LoopResult:
    """One round: collect, train a challenger, measure both, register, promote or not."""
    async with uows() as uow:
        collected = await collect(uow, default_consent=settings.learning_default_consent)
    async with uows(write=False) as uow:
        rows = await repository.usable_examples(uow.session)
        current = await repository.champion(uow.session)
    feedback = Examples([r.text for r in rows], [r.label for r in rows])
    base = base if base is not None else base_examples(settings)
    train_base, held = evaluation.split(base)
    feedback, conflicts = evaluation.without_conflicts(feedback, base)
    training = Examples(list(train_base.texts) + feedback.texts, list(train_base.labels) + feedback.labels)
    backend = settings.bot_intent_backend
    encoder = build_encoder(settings) if backend == "minilm" else None
    registry = settings.model_dir / REGISTRY_DIR

    def train(data: Examples, source: str) -> IntentModel:
        return IntentModel.train(
            data, backend=backend, encoder=encoder, source=source, progress=progress, generic_oos=False
        )

    baseline: IntentModel | None = None
    champion_model: IntentModel | None = None
    usable_champion = current is not None and current.backend == backend
    if current is not None and usable_champion and await asyncio.to_thread(Path(current.path).exists):
        champion_model = await asyncio.to_thread(IntentModel.load, current.path, encoder=encoder)
    else:  # the first run (or a new backend): the champion is the base intents alone, trained the same way
        baseline = await asyncio.to_thread(train, train_base, "base intents")
        champion_model = baseline
    doubtful = await asyncio.to_thread(evaluation.contradicting, champion_model, feedback)
    if any(doubtful):
        feedback = Examples(
            [t for t, d in zip(feedback.texts, doubtful, strict=True) if not d],
            [label for label, d in zip(feedback.labels, doubtful, strict=True) if not d],
        )
        training = Examples(
            list(train_base.texts) + feedback.texts, list(train_base.labels) + feedback.labels
        )
    challenger = await asyncio.to_thread(train, training, "base intents + feedback")
    champion_metrics = await asyncio.to_thread(evaluation.measure, champion_model, held, feedback)
    challenger_metrics = await asyncio.to_thread(evaluation.measure, challenger, held, feedback)
    decision = evaluation.decide(champion_metrics, challenger_metrics)
    if sum(doubtful):
        decision = evaluation.Decision(
            decision.promoted,
            f"{decision.reason}; {sum(doubtful)} correction(s) implausible to the champion wait for review",
        )
    learned = set(zip(feedback.texts, feedback.labels, strict=True))
    contributors = sorted(
        {r.staff_id for r in rows if r.staff_id is not None and (r.text, r.label) in learned}
    )
    async with uows() as uow:
        champion_version = current.id if current is not None else None
        if baseline is not None:
            await repository.retire_champion(uow.session)  # one whose file is gone, or of another backend
            champion_version = await _register(
                uow, baseline, registry, status="champion", trigger="baseline",
                examples=len(train_base), feedback=0, metrics={"self": champion_metrics.as_dict()},
                reason="the base intents alone, the first champion", contributors=[],
            )  # fmt: skip
        if decision.promoted:
            await repository.retire_champion(uow.session)
        version = await _register(
            uow,
            challenger,
            registry,
            status="champion" if decision.promoted else "rejected",
            trigger=trigger,
            examples=len(training),
            feedback=len(feedback),
            metrics={"champion": champion_metrics.as_dict(), "challenger": challenger_metrics.as_dict()},
            reason=decision.reason,
            contributors=contributors,
        )
    log.info("learning_run", version=version, promoted=decision.promoted, reason=decision.reason)
    return LoopResult(
        champion=champion_metrics.as_dict(),
        challenger=challenger_metrics.as_dict(),
        promoted=decision.promoted,
        reason=decision.reason,
        version=version,
        champion_version=champion_version,
        trigger=trigger,
        examples=len(training),
        feedback_examples=len(feedback),
        collected=collected,
        conflicts=conflicts,
        held_for_review=sum(doubtful),
        contributors=contributors,
    )


async def _register(
    uow: UnitOfWork,
    model: IntentModel,
    registry: Path,
    *,
    status: str,
    trigger: str,
    examples: int,
    feedback: int,
    metrics: dict[str, Any],
    reason: str,
    contributors: list[int],
) -> int:
    version = await repository.next_version(uow.session)
    path = registry / f"intents-v{version}-{model.backend}-{model.fingerprint}.joblib"
    await asyncio.to_thread(model.save, path)
    now = uow.clock.now()
    uow.session.add(
        ModelVersion(
            id=version,
            backend=model.backend,
            fingerprint=model.fingerprint,
            path=str(path),
            status=status,
            trigger=trigger,
            examples=examples,
            feedback_examples=feedback,
            metrics=metrics,
            reason=reason[:500],
            contributors=contributors,
            created_at=now,
            promoted_at=now if status == "champion" else None,
        )
    )
    await uow.session.flush()
    return version


# --- the registry -------------------------------------------------------------------------------------------


def _view(row: ModelVersion) -> ModelVersionOut:
    return ModelVersionOut(
        version=row.id,
        status=row.status,
        backend=row.backend,
        fingerprint=row.fingerprint,
        trigger=row.trigger,
        examples=row.examples,
        feedback_examples=row.feedback_examples,
        reason=row.reason,
        metrics=dict(row.metrics or {}),
        created_at=row.created_at.isoformat(),
        promoted_at=row.promoted_at.isoformat() if row.promoted_at else None,
        contributors=list(row.contributors or []),
    )


async def list_versions(uow: UnitOfWork, *, actor: Actor, limit: int = 50) -> list[ModelVersionOut]:
    actor.require_staff(Role.SUPERVISOR)
    return [_view(row) for row in await repository.list_versions(uow.session, limit=limit)]


@dataclass(frozen=True)
class Champion:
    version: int
    backend: str
    path: Path


async def champion_path(uow: UnitOfWork) -> Champion | None:
    """The serving model's version and file, if the loop has promoted one (else the bot's default)."""
    row = await repository.champion(uow.session)
    return Champion(row.id, row.backend, Path(row.path)) if row is not None else None


async def rollback(uow: UnitOfWork, *, actor: Actor, version: int | None = None) -> ModelVersionOut:
    """Serve an earlier model again: ``version``, or the one promoted before the current champion."""
    actor.require_staff(Role.ADMIN)
    current = await repository.champion(uow.session)
    if version is None:
        earlier = [
            row
            for row in await repository.list_versions(uow.session, limit=1000)
            if row.promoted_at is not None
            and row.status == "retired"
            and (current is None or row.id < current.id)
        ]
        if not earlier:
            raise NotFoundError("There is no earlier promoted model to roll back to.")
        target = max(earlier, key=lambda row: row.id)
    else:
        found = await repository.get_version(uow.session, version)
        if found is None:
            raise NotFoundError(f"No model version {version}.")
        target = found
    if current is not None and target.id == current.id:
        raise ConflictError(f"Version {target.id} is already the champion.")
    if not await asyncio.to_thread(Path(target.path).exists):
        raise ConflictError(f"The file of version {target.id} is gone ({target.path}); it cannot serve.")
    await repository.retire_champion(uow.session)
    target.status = "champion"
    target.promoted_at = uow.clock.now()
    await uow.session.flush()
    return _view(target)


# --- knowledge gaps -----------------------------------------------------------------------------------------


async def knowledge_gaps(
    uow: UnitOfWork, *, actor: Actor, settings: Settings, days: int = 7, now: datetime | None = None
) -> list[GapOut]:
    """Topics of the questions that went unanswered or to a person in the last ``days``, with volume and
    the trend against the ``days`` before, each with a proposal: a draft article or a new intent."""
    actor.require_staff(Role.SUPERVISOR)
    if not 1 <= days <= 90:
        raise InvalidInputError("The window is 1 to 90 days.")
    end = now or uow.clock.now()
    start = end - timedelta(days=days)
    current = await conversation_service.open_questions(uow, since=start, until=end)
    before = await conversation_service.open_questions(uow, since=start - timedelta(days=days), until=start)
    questions = [gaps.Question(q.text, q.reason, q.out_of_scope, q.intent) for q in current] + [
        gaps.Question(q.text, q.reason, q.out_of_scope, q.intent, previous_window=True) for q in before
    ]
    encoder = await asyncio.to_thread(build_encoder, settings)  # topics by meaning, not only by words
    found = await asyncio.to_thread(gaps.find_gaps, questions, encode=encoder.encode)
    return [
        GapOut(
            name=gap.name,
            phrases=gap.phrases,
            volume=gap.volume,
            previous_volume=gap.previous_volume,
            trend=gap.trend,
            escalated=gap.escalated,
            unanswered=gap.unanswered,
            proposal=gap.proposal,
            intent=gap.intent,
            examples=gap.examples,
            draft=DraftProposal(
                title=gap.suggested_title,
                body=gaps.draft_body(gap),
                intents=[gap.intent] if gap.intent else [],
            ),
        )
        for gap in found
    ]


# --- retraining as a job, and recognition ------------------------------------------------------------------

RETRAIN_JOB = "learning.retrain"


def request_run(uow: UnitOfWork, *, actor: Actor, trigger: str = "manual") -> None:
    """Queue a retraining (a background job: the request returns at once; the status shows progress)."""
    staff_id = actor.require_staff(Role.ADMIN)
    uow.enqueue(
        RETRAIN_JOB, {"trigger": trigger, "requested_by": staff_id}, dedupe_key=f"{RETRAIN_JOB}:{trigger}"
    )


async def leaderboard(uow: UnitOfWork, *, actor: Actor) -> list[Contributor]:
    """Agents whose corrections taught the bot: how many, and how many promoted models learned from them."""
    actor.require_staff()
    counts = await repository.corrections_per_staff(uow.session)
    promoted: Counter[int] = Counter()
    for row in await repository.list_versions(uow.session, limit=10_000):
        if row.promoted_at is not None:
            promoted.update(set(row.contributors or []))
    names = await accounts_service.get_staff_names(uow, set(counts) | set(promoted))
    board = [
        Contributor(
            staff_id=staff,
            name=names.get(staff),
            corrections=counts.get(staff, 0),
            promoted_models=promoted[staff],
        )
        for staff in set(counts) | set(promoted)
    ]
    return sorted(board, key=lambda c: (-c.promoted_models, -c.corrections, c.staff_id))

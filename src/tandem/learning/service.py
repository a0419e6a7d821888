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
from tandem.kb import service as kb_service
from tandem.learning import evaluation, feedback, gaps, knowledge, repository, review
from tandem.learning.models import ModelVersion, TrainingExample
from tandem.learning.schemas import (
    Contributor,
    DraftProposal,
    ExampleOut,
    FeedbackSummary,
    GapOut,
    ModelVersionOut,
)
from tandem.settings import Settings

log = structlog.get_logger(__name__)
REGISTRY_DIR = "registry"


# --- feedback -> examples ---------------------------------------------------------------------------------


async def collect(uow: UnitOfWork, *, default_consent: bool) -> int:
    """New feedback of every kind since the last collection becomes labelled examples (with who, when,
    which conversation, and the customer's consent). Safe to run twice: each record is taken once."""
    return sum((await feedback.collect(uow, default_consent=default_consent)).values())


@dataclass(frozen=True)
class Corrections:
    """The intent corrections a challenger learns from, one per message (the newest label wins)."""

    rows: list[TrainingExample]

    @classmethod
    def of(cls, rows: list[TrainingExample]) -> Corrections:
        newest: dict[str, TrainingExample] = {}
        for row in rows:  # oldest first: a later correction of the same words supersedes an earlier one
            newest[evaluation.normal(row.text)] = row
        return cls(sorted(newest.values(), key=lambda row: row.id))

    @property
    def examples(self) -> Examples:
        return Examples([r.text for r in self.rows], [r.label for r in self.rows])

    def keep(self, flags: list[bool]) -> Corrections:
        return Corrections([row for row, kept in zip(self.rows, flags, strict=True) if kept])


REVIEW_STATES = ("held", "approved", "rejected")


def _example(row: TrainingExample) -> ExampleOut:
    return ExampleOut(
        id=row.id,
        kind=row.kind,
        text=row.text,
        label=row.label,
        target=row.target,
        conversation_id=row.conversation_id,
        staff_id=row.staff_id,
        locale=row.locale,
        consent=row.consent,
        active=row.active,
        review=row.review,
        created_at=row.created_at.isoformat(),
    )


async def list_examples(
    uow: UnitOfWork,
    *,
    actor: Actor,
    kind: str | None = None,
    review: str | None = None,
    after_id: int = 0,
    limit: int = 100,
) -> list[ExampleOut]:
    """Labelled examples, oldest first from ``after_id`` (page with the last id): the review queue is
    ``review="held"``; an export walks every page."""
    actor.require_staff(Role.SUPERVISOR)
    if kind is not None and kind not in feedback.KINDS:
        raise InvalidInputError(f"Unknown kind '{kind}'. Kinds: {', '.join(feedback.KINDS)}.")
    if review is not None and review not in REVIEW_STATES:
        raise InvalidInputError(f"Unknown review state '{review}'. States: {', '.join(REVIEW_STATES)}.")
    rows = await repository.list_examples(
        uow.session, kind=kind, review=review, after_id=after_id, limit=limit
    )
    return [_example(row) for row in rows]


async def review_example(uow: UnitOfWork, *, actor: Actor, example_id: int, approve: bool) -> ExampleOut:
    """A person settles a label: approved ones are learned even when the model doubts them, rejected ones
    never are. A reviewer may change their mind."""
    staff_id = actor.require_staff(Role.SUPERVISOR)
    row = await repository.get_example(uow.session, example_id)
    if row is None:
        raise NotFoundError(f"No labelled example {example_id}.")
    row.review = "approved" if approve else "rejected"
    row.active = approve
    row.reviewed_by = staff_id
    row.reviewed_at = uow.clock.now()
    await uow.session.flush()
    return _example(row)


async def feedback_summary(uow: UnitOfWork, *, actor: Actor) -> FeedbackSummary:
    actor.require_staff(Role.SUPERVISOR)
    kinds = await repository.examples_per_kind(uow.session)
    return FeedbackSummary(
        kinds={kind: kinds.get(kind, 0) for kind in feedback.KINDS},
        held_for_review=await repository.held_count(uow.session),
    )


async def regression_cases(uow: UnitOfWork, *, actor: Actor) -> list[dict[str, Any]]:
    """Every intent correction the loop learns from, as a ``tandem replay`` case that expects the intent
    the agent gave: a suite a future model (or a changed policy) must pass."""
    actor.require_staff(Role.SUPERVISOR)
    corrections = Corrections.of(await repository.usable_examples(uow.session, kind=feedback.INTENT))
    return [
        {
            "id": f"correction-{row.id}",
            "turns": [row.text],
            "locale": row.locale or "en",
            "expect_intent": row.label,
            "note": f"conversation {row.conversation_id}, corrected by staff {row.staff_id} "
            f"on {row.created_at.date().isoformat()}",
        }
        for row in corrections.rows
    ]


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
    regressions: int = 0  # earlier corrections the champion passes and the challenger fails
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
    async with uows(write=False) as uow:
        before_collection = await repository.max_example_id(uow.session)
    async with uows() as uow:
        collected = await collect(uow, default_consent=settings.learning_default_consent)
    async with uows(write=False) as uow:
        corrections = Corrections.of(await repository.usable_examples(uow.session, kind=feedback.INTENT))
        current = await repository.champion(uow.session)
    base = base if base is not None else base_examples(settings)
    train_base, held = evaluation.split(base)
    agrees = evaluation.agreeing(corrections.examples, base)
    corrections, conflicts = corrections.keep(agrees), agrees.count(False)
    backend = settings.bot_intent_backend
    encoder = build_encoder(settings) if backend == "minilm" else None
    registry = settings.model_dir / REGISTRY_DIR

    def train(data: Examples, source: str) -> IntentModel:
        return IntentModel.train(
            data,
            backend=backend,
            encoder=encoder,
            source=source,
            progress=progress,
            generic_oos=False,
            # compared at the operating point they would be served at
            oos_share=settings.bot_oos_share,
            wrong_answer_cost=settings.bot_wrong_answer_cost,
        )

    baseline: IntentModel | None = None
    if (
        current is not None
        and current.backend == backend
        and await asyncio.to_thread(Path(current.path).exists)
    ):
        champion_model = await asyncio.to_thread(IntentModel.load, current.path, encoder=encoder)
        champion_model.set_operating_point(
            oos_share=settings.bot_oos_share, wrong_answer_cost=settings.bot_wrong_answer_cost
        )
    else:  # the first run (or a new backend): the champion is the base intents alone, trained the same way
        baseline = await asyncio.to_thread(train, train_base, "base intents")
        champion_model = baseline
    # Corrections implausible to the champion wait for a person (unless one approved them already).
    doubtful = await asyncio.to_thread(evaluation.contradicting, champion_model, corrections.examples)
    doubtful = [d and row.review != "approved" for d, row in zip(doubtful, corrections.rows, strict=True)]
    held_back = [row.id for row, d in zip(corrections.rows, doubtful, strict=True) if d]
    corrections = corrections.keep([not d for d in doubtful])
    learned_from = corrections.examples
    training = Examples(
        list(train_base.texts) + learned_from.texts, list(train_base.labels) + learned_from.labels
    )
    challenger = await asyncio.to_thread(train, training, "base intents + feedback")
    champion_metrics = await asyncio.to_thread(evaluation.measure, champion_model, held, learned_from)
    challenger_metrics = await asyncio.to_thread(evaluation.measure, challenger, held, learned_from)
    regressed = evaluation.regressions(
        champion_metrics,
        challenger_metrics,
        [row.id <= before_collection for row in corrections.rows],
        learned_from.texts,
    )
    decision = evaluation.decide(champion_metrics, challenger_metrics, regressed=regressed)
    if held_back:
        decision = evaluation.Decision(
            decision.promoted,
            f"{decision.reason}; {len(held_back)} correction(s) implausible to the champion wait for review",
        )
    contributors = sorted({r.staff_id for r in corrections.rows if r.staff_id is not None})
    async with uows() as uow:
        await repository.hold_for_review(uow.session, held_back)
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
            feedback=len(learned_from),
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
        feedback_examples=len(learned_from),
        collected=collected,
        conflicts=conflicts,
        held_for_review=len(held_back),
        regressions=len(regressed),
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
    try:
        await uow.session.flush()
    except IntegrityError as exc:  # another run (the CLI, another server) registered this number first
        raise ConflictError(
            "Another retraining registered a model at the same moment; nothing was changed. Run it again."
        ) from exc
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


async def weekly_review(
    uow: UnitOfWork,
    *,
    actor: Actor,
    settings: Settings,
    reason_labels: dict[str, str],
    days: int = 7,
    now: datetime | None = None,
) -> review.WeeklyReview:
    """Escalated conversations of the last ``days`` by reason, trigger and topic against the ``days``
    before, the top ten improvement opportunities, and what the product team should hear."""
    actor.require_staff(Role.SUPERVISOR)
    if not 1 <= days <= 90:
        raise InvalidInputError("The window is 1 to 90 days.")
    end = now or uow.clock.now()
    start = end - timedelta(days=days)
    items: list[review.Escalated] = []
    for found in await conversation_service.escalations_between(
        uow, since=start - timedelta(days=days), until=end
    ):  # this window and the one before, in one read
        code = next(
            (t.removeprefix(review.REASON_PREFIX) for t in found.tags if t.startswith(review.REASON_PREFIX)),
            None,
        )
        previous = found.escalated_at < start
        items.append(review.Escalated(found.question, found.trigger, code, previous, found.csat))
    topics = await knowledge_gaps(uow, actor=actor, settings=settings, days=days, now=end)
    held = await repository.held_count(uow.session)
    return review.build(
        items,
        [
            review.TopicLike(
                t.name, t.volume, t.previous_volume, t.trend, t.escalated, t.proposal, t.examples
            )
            for t in topics
        ],
        start=start,
        end=end,
        reason_labels=reason_labels,
        held_corrections=held,
    )


async def article_health(
    uow: UnitOfWork, *, actor: Actor, days: int = 30, now: datetime | None = None
) -> list[knowledge.ArticleHealth]:
    """Per article: how often the bot answered with it in the last ``days``, how many of those
    conversations ended without a person, agents' "bot failed here" on it, and flags (stale, low success,
    flagged wrong, a language variant left behind, unused)."""
    actor.require_staff(Role.SUPERVISOR)
    if not 1 <= days <= 365:
        raise InvalidInputError("The window is 1 to 365 days.")
    end = now or uow.clock.now()
    start = end - timedelta(days=days)
    articles = await kb_service.list_published_articles(uow)
    answers = await conversation_service.article_answers(uow, since=start, until=end)
    flagged = await conversation_service.flagged_articles(uow, since=start, until=end)
    return knowledge.health(articles, answers, flagged, now=end)  # type: ignore[arg-type]


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

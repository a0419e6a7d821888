"""The learning loop end to end through the services, on both databases, with the n-gram backend: a bot that
never learned three of the demo store's intents hands those customers over; agents mark "bot failed here"
with the right intent; the loop trains a challenger, which is promoted because it passes the corrected
conversations and is not worse on the frozen held-out set, and containment of unseen messages of those
intents rises. A deliberately mislabelled batch is not promoted, consent is respected, and a rollback
serves the earlier model again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from conftest import make_settings
from helpers import agent_corrects
from tandem.accounts.actors import Actor, Role
from tandem.bootstrap import Container, build_container
from tandem.bot.nlu.dataset import OUT_OF_SCOPE, Examples
from tandem.bot.nlu.intents import IntentModel
from tandem.bot.training import demo_examples
from tandem.core.errors import PermissionDeniedError
from tandem.core.ids import StaffId
from tandem.learning import evaluation
from tandem.learning import service as learning
from tandem.settings import Settings

LEARNED_LATER = ("promo_code", "shipping_cost", "price_match")
MISLABELLED = (  # order-status questions an agent labelled as cancelling a subscription
    "where is my order right now",
    "has my order been shipped yet",
    "my order still hasn't arrived, where is it",
    "can you track my order for me",
    "what's the status of my order",
    "when will my order get here",
    "is my order on its way",
    "my order is late, where is it",
    "I want to know where my order is",
    "order status please",
    "tracking info for my order",
    "where's my order",
    "has my order left the warehouse",
    "my order hasn't shown up",
    "any update on my order",
    "when does my order arrive",
    "I still don't have my order",
    "check the status of my order",
    "where is my package",
    "track my package",
)
ALEX = Actor.staff(StaffId(3), Role.AGENT, "Alex Rivera")
PRIYA = Actor.staff(StaffId(6), Role.AGENT, "Priya Nair")
ADMIN = Actor.staff(StaffId(1), Role.ADMIN, "Ada Admin")


@pytest.fixture
def backend() -> str:
    """Training several models is the slow part, and it does not depend on the database; the loop's SQL
    runs on both databases in test_learning_service.py."""
    return "sqlite"


@pytest.fixture
async def desk(demo_database_url: str, tmp_path: Path) -> AsyncIterator[Container]:
    built = build_container(
        make_settings(demo_database_url, tmp_path, routing_tick_seconds=60, bot_intent_backend="ngram")
    )
    await built.start(migrate_schema=False, seed=False, workers=False, bot=False)
    built.uow.relay = None  # no bot turns: the test writes the bot's replies itself
    yield built
    await built.stop()


def _english(label: str) -> list[str]:
    examples = demo_examples()
    texts = [text for text, tag in zip(examples.texts, examples.labels, strict=True) if tag == label]
    return texts[: len(texts) // 2 + 1]  # the English ones come first in the demo file


def _base_without_three(settings: Settings) -> Examples:
    base = learning.base_examples(settings)
    kept = Examples()
    for text, label in zip(base.texts, base.labels, strict=True):
        if label not in LEARNED_LATER:
            kept.add(text, label)
    return kept


def _containment(model: IntentModel, held: list[tuple[str, str]]) -> float:
    """Unseen messages of the three intents the bot now understands (so it answers instead of handing over)."""
    predictions = model.predict_many([text for text, _ in held], top=1)
    right = sum(
        p.intent == label and not p.out_of_scope for p, (_, label) in zip(predictions, held, strict=True)
    )
    return right / len(held)


async def test_agents_corrections_teach_the_bot_three_intents_and_a_bad_batch_is_refused(
    desk: Container,
) -> None:
    base = _base_without_three(desk.settings)
    feedback: list[tuple[str, str]] = []
    held: list[tuple[str, str]] = []
    for label in LEARNED_LATER:
        for text in _english(label):
            (held if evaluation.held_out(text) else feedback).append((text, label))
    assert len(held) >= 6 and len(feedback) >= 20
    for number, (text, label) in enumerate(feedback):
        agent = ALEX if number % 3 else PRIYA
        await agent_corrects(desk, text, label, agent=agent, email=f"c{number}@example.com")

    first = await learning.run(desk.uow, settings=desk.settings, trigger="feedback", base=base)

    assert first.promoted, first.reason
    assert first.collected == len(feedback) == first.feedback_examples
    assert first.champion is not None and first.champion["replay_pass_rate"] == 0.0
    assert first.challenger["replay_pass_rate"] > 0.8
    assert first.challenger["in_scope_accuracy"] >= first.champion["in_scope_accuracy"] - 0.01  # one row
    assert sorted(first.contributors) == [3, 6]
    async with desk.uow(write=False) as uow:
        versions = await learning.list_versions(uow, actor=ADMIN)
    by_version = {v.version: v for v in versions}
    baseline, promoted = by_version[first.champion_version or 0], by_version[first.version]
    assert (baseline.trigger, baseline.status, promoted.status) == ("baseline", "retired", "champion")
    before = IntentModel.load(_path(desk, baseline.version))
    after = IntentModel.load(_path(desk, promoted.version))
    assert _containment(before, held) == 0.0
    assert _containment(after, held) >= 0.6

    # a batch that calls order-status questions "cancel_subscription" is refused: it breaks held-out ones
    for number, text in enumerate(MISLABELLED):
        await agent_corrects(desk, text, "cancel_subscription", agent=ALEX, email=f"bad{number}@example.com")
    second = await learning.run(desk.uow, settings=desk.settings, trigger="feedback", base=base)
    assert not second.promoted and "wait for review" in second.reason, second.reason
    assert second.held_for_review >= len(MISLABELLED) - 4
    assert second.collected == len(MISLABELLED) and second.champion_version == first.version
    async with desk.uow(write=False) as uow:  # the doubtful ones wait in the review queue
        queue = await learning.list_examples(uow, actor=ADMIN, review="held")
    assert len(queue) == second.held_for_review and {e.label for e in queue} == {"cancel_subscription"}
    async with desk.uow(write=False) as uow:
        serving = await learning.champion_path(uow)
    assert serving is not None and serving.version == first.version
    await desk.build_bot()  # the bot serves the champion
    assert desk.model_version == first.version

    # one command serves the earlier model again
    async with desk.uow() as uow:
        restored = await learning.rollback(uow, actor=ADMIN)
    assert restored.version == baseline.version
    assert await desk.follow_champion() and desk.model_version == baseline.version
    with pytest.raises(PermissionDeniedError):
        async with desk.uow() as uow:
            await learning.rollback(uow, actor=ALEX)


def _path(desk: Container, version: int) -> str:
    found = list((desk.settings.model_dir / "registry").glob(f"intents-v{version}-*.joblib"))
    assert len(found) == 1
    return str(found[0])


def test_out_of_scope_examples_are_part_of_the_base(tmp_path: Path) -> None:
    base = learning.base_examples(make_settings("sqlite://", tmp_path))
    assert OUT_OF_SCOPE in base.labels

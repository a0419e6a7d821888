"""`tandem kb gaps --json` on a generated week of traffic finds the planted topics: questions the bot could
not answer or handed to a person, grouped and named, with volume, trend and a proposal; answered
questions and one-off oddities are not gaps."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from conftest import make_settings
from tandem.accounts.actors import Actor, Role
from tandem.bootstrap import build_container
from tandem.cli.main import app
from tandem.conversation import service as conversation_service
from tandem.conversation.schemas import ConversationCreate, MessageCreate
from tandem.conversation.state import Trigger
from tandem.core.clock import FrozenClock
from tandem.core.ids import ConversationId, StaffId
from tandem.customers.schemas import IdentityClaims

runner = CliRunner()
STAFF = Actor.staff(StaffId(1), Role.ADMIN, "Ada Admin")
GIFT_WRAP = [
    "do you offer gift wrapping", "can you gift wrap my order", "is gift wrapping available",
    "gift wrapping for a birthday present", "how much is gift wrapping", "can I add gift wrapping",
    "I want gift wrapping with a note", "gift wrapping option at checkout?", "do you gift wrap lamps",
    "can the throw be gift wrapped", "gift wrapping please", "is there gift wrapping for christmas",
]  # fmt: skip
WARRANTY = [
    "what is the warranty on lamps", "does the lamp have a warranty", "warranty claim for a broken lamp",
    "how long is the lamp warranty", "my lamp stopped working, is it under warranty", "lamp warranty period",
    "is there a warranty on the brass lamp", "warranty for electrical lamps", "claim warranty lamp flicker",
    "warranty lamp replacement",
]  # fmt: skip
BRAZIL = [
    "do you ship to brazil", "shipping to brazil possible?", "can I order from brazil",
    "delivery to brazil cost", "is brazil in your shipping countries", "ship my order to sao paulo brazil",
    "how long does delivery to brazil take", "brazil shipping customs", "send the throw to brazil",
]  # fmt: skip
ANSWERED = ["where is my order", "how do I return a lamp", "when will my refund arrive", "reset my password"]
ODDITIES = ["my cat likes your box", "what is the meaning of life", "are you a robot", "sing me a song"]


async def _generate(data_dir: Path) -> None:
    container = build_container(make_settings(f"sqlite:///{data_dir / 'tandem.db'}", data_dir))
    await container.start(seed=False, workers=False, bot=False)
    container.uow.relay = None
    rng = random.Random(7)
    now = datetime.now(UTC)
    number = 0

    async def conversation(text: str, *, day: float, outcome: str, escalate: bool = False) -> None:
        nonlocal number
        number += 1
        container.uow.clock = FrozenClock(now - timedelta(days=day))
        async with container.uow() as uow:
            started = await conversation_service.start_conversation(
                uow,
                actor=STAFF,
                data=ConversationCreate(
                    locale="en",
                    customer=IdentityClaims(email=f"c{number}@example.com"),
                    first_message=MessageCreate(body=text),
                ),
            )
            cid = ConversationId(started.conversation.id)
            trace = {"outcome": outcome, "intent": {"intent": None, "out_of_scope": True}}
            if escalate:
                await conversation_service.request_human(
                    uow, actor=Actor.bot(), conversation_id=cid, trigger=Trigger.BOT_FAILURE,
                    reason="three failed turns", evidence={"trace": trace},
                )  # fmt: skip
            else:
                await conversation_service.post_message(
                    uow, actor=Actor.bot(), conversation_id=cid, data=MessageCreate(body="…"),
                    meta={"trace": trace, "in_reply_to": 1},
                )  # fmt: skip

    for text in GIFT_WRAP + WARRANTY + BRAZIL:
        await conversation(
            text, day=rng.uniform(0.1, 6.9), outcome="not_understood", escalate=rng.random() < 0.3
        )
    for text in ANSWERED * 10:
        await conversation(text, day=rng.uniform(0.1, 6.9), outcome="answered")
    for text in ODDITIES:
        await conversation(text, day=rng.uniform(0.1, 6.9), outcome="not_understood")
    for text in GIFT_WRAP[:4]:  # the week before: the gift-wrap topic is rising
        await conversation(text, day=rng.uniform(7.5, 13.5), outcome="not_understood")
    await container.stop()


def test_gaps_finds_the_planted_topics_of_a_generated_week(tmp_path: Path) -> None:
    asyncio.run(_generate(tmp_path))
    result = runner.invoke(
        app, ["kb", "gaps", "--json"], env={"TANDEM_DATA_DIR": str(tmp_path), "TANDEM_DEMO": "false"}
    )
    assert result.exit_code == 0, result.output
    found = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    names = [gap["name"] for gap in found]
    for topic, volume in (("gift", len(GIFT_WRAP)), ("warranty", len(WARRANTY)), ("brazil", len(BRAZIL))):
        match = [gap for gap in found if topic in gap["name"]]
        assert match, f"{topic} not among {names}"
        assert match[0]["volume"] >= volume - 2
    gift = next(gap for gap in found if "gift" in gap["name"])
    assert gift["trend"] == "rising" and gift["previous_volume"] >= 3
    assert gift["proposal"] == "intent" and gift["draft"]["title"]
    assert not any("order" in name and "return" in name for name in names)  # answered questions are no gap
    assert len(found) <= 5, names  # the oddities do not make topics

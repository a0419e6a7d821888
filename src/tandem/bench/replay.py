"""Replaying transcripts through the real Tier-0 pipeline of the demo store.

Each case is one JSON line ``{"id": ..., "turns": ["customer message", ...]}``. Every turn is posted as the
customer through the conversation service and answered by the bot exactly as in production (same job
function, same database), one conversation per case. The result says at which turn, if any, the
conversation was moved to a person, and why. Support teams use it to test the bot against real transcripts
before a change.

A case may say what must happen: ``"expect_intent"`` (the intent the bot must find in the last turn it
read) and ``"expect_handoff_turn"`` (the turn that must go to a person, or null for none). Such a case
passes or fails; ``tandem learn cases`` writes every corrected conversation as one, so that a future model
is checked against what agents taught the bot.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tandem.accounts.actors import Actor
from tandem.bootstrap import Container
from tandem.bot import service as bot_service
from tandem.bot.errors import TrainingDataError
from tandem.conversation import service as conversation_service
from tandem.conversation.schemas import ConversationCreate, MessageCreate
from tandem.conversation.state import Owner
from tandem.core.errors import TandemError
from tandem.core.ids import ConversationId, CustomerId

NOT_SET: Any = object()  # a case without an expectation (null is an expectation: "no handoff")


@dataclass(frozen=True)
class ReplayCase:
    id: str
    turns: tuple[str, ...]
    locale: str = "en"
    expect_intent: str | None = None
    expect_handoff_turn: Any = NOT_SET

    @property
    def has_expectations(self) -> bool:
        return self.expect_intent is not None or self.expect_handoff_turn is not NOT_SET


@dataclass
class ReplayResult:
    id: str
    handoff_turn: int | None = None
    reason: str | None = None
    rule: str | None = None
    intent: str | None = None  # what the bot found in the last turn it read
    turns: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] | None = None  # None: the case expects nothing

    @property
    def passed(self) -> bool | None:
        return None if self.failures is None else not self.failures

    def summary(self) -> dict[str, Any]:
        found: dict[str, Any] = {"id": self.id, "handoff_turn": self.handoff_turn, "reason": self.reason}
        if self.failures is not None:
            found |= {"intent": self.intent, "passed": not self.failures, "failures": self.failures}
        return found


def check(case: ReplayCase, result: ReplayResult) -> list[str]:
    """What the case expected and did not happen, in words."""
    failures = []
    if case.expect_intent is not None and result.intent != case.expect_intent:
        failures.append(f"intent {result.intent or 'none'}, expected {case.expect_intent}")
    if case.expect_handoff_turn is not NOT_SET and result.handoff_turn != case.expect_handoff_turn:
        expected = case.expect_handoff_turn or "none"
        failures.append(f"handed over at turn {result.handoff_turn or 'none'}, expected {expected}")
    return failures


def load_cases(path: str | Path) -> list[ReplayCase]:
    file = Path(path)
    if not file.is_file():
        raise TrainingDataError("no such file", path=str(file))
    cases: list[ReplayCase] = []
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise TrainingDataError(f"not UTF-8 text ({exc.reason})", path=str(file)) from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TrainingDataError(f"not valid JSON ({exc.msg})", path=str(file), line=number) from exc
        if not isinstance(raw, dict) or not isinstance(raw.get("turns"), list):
            raise TrainingDataError('expected {"id": ..., "turns": [...]}', path=str(file), line=number)
        turns = raw["turns"]
        if not all(isinstance(t, str) for t in turns):
            raise TrainingDataError("every turn must be a string", path=str(file), line=number)
        locale = str(raw["locale"]) if isinstance(raw.get("locale"), str) else "en"
        intent = raw.get("expect_intent")
        if intent is not None and not isinstance(intent, str):
            raise TrainingDataError("expect_intent must be an intent name", path=str(file), line=number)
        handoff = raw.get("expect_handoff_turn", NOT_SET)
        if handoff is not NOT_SET and handoff is not None and (type(handoff) is not int or handoff < 1):
            raise TrainingDataError(
                "expect_handoff_turn must be a turn number (1 or more) or null", path=str(file), line=number
            )
        cases.append(ReplayCase(str(raw.get("id", number)), tuple(turns), locale, intent, handoff))
    return cases


async def replay_case(container: Container, case: ReplayCase) -> ReplayResult:
    """Runs one case through the services. Each bot turn runs here, in order; the container must not also
    run them from its job queue (start it with ``workers=False``, or detach its outbox relay), or the two
    would race for the same turn."""
    result = ReplayResult(case.id)
    async with container.uow() as uow:
        started = await conversation_service.start_conversation(
            uow, actor=None, data=ConversationCreate(locale=_locale(case.locale)), limits=container.limits
        )
    conversation_id = ConversationId(started.conversation.id)
    customer = Actor.customer(conversation_id, CustomerId(started.conversation.customer_id))
    for number, text in enumerate(case.turns, start=1):
        try:
            data = MessageCreate(body=text, client_message_id=f"replay-{number}")
            async with container.uow() as uow:
                posted = await conversation_service.post_message(
                    uow, actor=customer, conversation_id=conversation_id, data=data, limits=container.limits
                )
        except ValidationError as exc:
            reason = exc.errors()[0].get("msg", "invalid message")
            result.turns.append(
                {"turn": number, "text": text[:200], "skipped": f"the API refuses it: {reason}"}
            )
            continue
        except TandemError as exc:  # too long, and anything else the API would answer with a 4xx
            result.turns.append(
                {"turn": number, "text": text[:200], "skipped": f"the API refuses it: {exc.detail}"}
            )
            continue
        outcome = await bot_service.take_turn(
            container.uow,
            responder=container.responder,
            conversation_id=conversation_id,
            seq=posted.message.seq,
        )
        reply, trace = await _bot_reply(container, conversation_id, after_seq=posted.message.seq)
        found = trace.get("intent")
        if isinstance(found, dict):
            result.intent = None if found.get("out_of_scope") else found.get("intent")
        result.turns.append(
            {
                "turn": number,
                "text": text,
                "outcome": outcome,
                "reply": reply,
                "decision": trace.get("decision"),
                "trace": trace,
            }
        )
        async with container.uow(write=False) as uow:
            conversation = await conversation_service.access_conversation(
                uow, actor=Actor.system(), conversation_id=conversation_id
            )
        if conversation.state in (Owner.WAITING, Owner.HUMAN):
            escalation = trace.get("escalation") or {}
            result.handoff_turn = number
            result.rule = escalation.get("rule")
            result.reason = escalation.get("reason") or await _handoff_reason(container, conversation_id)
            break
    if case.has_expectations:
        result.failures = check(case, result)
    return result


async def replay(
    container: Container, cases: list[ReplayCase], *, on_case: Callable[[ReplayResult], None] | None = None
) -> list[ReplayResult]:
    results = []
    for case in cases:
        result = await replay_case(container, case)
        results.append(result)
        if on_case is not None:
            on_case(result)
    return results


async def _bot_reply(
    container: Container, conversation_id: ConversationId, *, after_seq: int
) -> tuple[str | None, dict[str, Any]]:
    """The bot's reply to the customer message at ``after_seq`` and its trace. A handoff turn may have no
    reply; its trace is kept on the handoff event instead."""
    async with container.uow(write=False) as uow:
        messages = await conversation_service.list_messages(
            uow, actor=Actor.system(), conversation_id=conversation_id, after_seq=after_seq
        )
        events = await conversation_service.list_events(
            uow, actor=Actor.system(), conversation_id=conversation_id
        )
    for message in messages:
        if message.author_kind.value == "bot":
            return message.body, dict(message.meta.get("trace") or {})
    for event in reversed(events):
        if event.data.get("seq") == after_seq and isinstance(event.data.get("trace"), dict):
            return None, dict(event.data["trace"])
    return None, {}


async def _handoff_reason(container: Container, conversation_id: ConversationId) -> str | None:
    async with container.uow(write=False) as uow:
        events = await conversation_service.list_events(
            uow, actor=Actor.system(), conversation_id=conversation_id
        )
    for event in reversed(events):
        if event.reason:
            return str(event.reason)
    return None


def _locale(value: str) -> str:
    return value if value in ("en", "es", "fr", "de") else "en"

"""Runs one bot turn: read the conversation, decide outside any transaction, then write the reply only if
the bot still owns the conversation. The reply's client id is derived from the customer message's ``seq``,
so a retried job never answers twice."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import structlog

from tandem.accounts.actors import Actor
from tandem.bot import messages
from tandem.bot.protocols import Responder
from tandem.bot.types import BotReply, BotTurn, TurnMessage
from tandem.conversation import service as conversation_service
from tandem.conversation.errors import ConversationResolvedError, NotOwnerError
from tandem.conversation.schemas import MessageCreate
from tandem.conversation.state import Owner, Trigger
from tandem.core.ids import ConversationId, CustomerId
from tandem.core.uow import UnitOfWork
from tandem.customers import service as customers_service
from tandem.customers.crm import CrmConnector

log = structlog.get_logger(__name__)
HISTORY_TURNS = 20
RESPONDER_TIMEOUT_SECONDS = 10.0
STEP_ASIDE_TEXT = "Sorry, I'm having trouble answering right now. I'm bringing in a person from our team."


def greeting(*, locale: str) -> str:
    """What the assistant says first, before the customer types: the chat widget shows it when the panel
    opens, without starting a conversation."""
    return messages.say("greeting", messages.language_of(locale))


async def _respond_or_step_aside(responder: Responder, turn: BotTurn, *, timeout: float) -> BotReply:
    """A failing or slow responder (an LLM that times out, a crashed model) must never leave the customer
    waiting for an answer that will not come: it hands the conversation to a person, once."""
    try:
        return await asyncio.wait_for(responder.respond(turn), timeout=timeout)
    except Exception as exc:  # any failure of a pluggable part, TimeoutError included
        log.warning("bot_responder_failed", conversation_id=turn.conversation_id, error=type(exc).__name__)
        return BotReply(
            STEP_ASIDE_TEXT,
            handoff=True,
            handoff_reason=f"the bot failed ({type(exc).__name__})",
            handoff_trigger=Trigger.BOT_FAILURE.value,
            trace={"decision": "responder_failed", "error": type(exc).__name__},
        )


def _trace_of(author: str, meta: dict[str, Any]) -> dict[str, Any] | None:
    """The bot's own trace, or for a system notice the ownership change it announced (the escalation
    rules' hysteresis needs to know a sentiment handoff happened)."""
    if author == "bot":
        return meta.get("trace")
    if author == "system" and meta.get("transition"):
        return {"transition": meta.get("transition"), "trigger": meta.get("trigger")}
    return None


async def _membership(uow: UnitOfWork, crm: CrmConnector | None, customer_id: CustomerId) -> str | None:
    """The CRM's membership level of a verified customer (the escalation policy's membership rule)."""
    if crm is None:
        return None
    customer = await customers_service.require_customer(uow, customer_id=customer_id)
    profile = await customers_service.find_crm_profile(crm, customer)
    return profile.membership if profile else None


async def take_turn(
    uow_factory: Callable[..., UnitOfWork],
    *,
    responder: Responder,
    conversation_id: int,
    seq: int,
    timeout_seconds: float = RESPONDER_TIMEOUT_SECONDS,
    crm: CrmConnector | None = None,
) -> str:
    """Returns what happened (for logs and tests): replied, handed_off, skipped_*."""
    bot = Actor.bot()
    cid = ConversationId(conversation_id)
    async with uow_factory(write=False) as uow:
        conversation = await conversation_service.access_conversation(uow, actor=bot, conversation_id=cid)
        if conversation.state is not Owner.BOT:
            return "skipped_not_owner"
        recent = await conversation_service.list_messages(
            uow, actor=bot, conversation_id=cid, after_seq=max(0, conversation.last_seq - 2 * HISTORY_TURNS)
        )
        membership = await _membership(uow, crm, CustomerId(conversation.customer_id))
    episode_messages = [m for m in recent if m.episode == conversation.episode and not m.private]
    customer_turns = [m for m in episode_messages if m.author_kind.value == "customer"]
    if not customer_turns or customer_turns[-1].seq != seq:
        return "skipped_superseded"  # a newer customer message has its own turn queued
    current = customer_turns[-1]
    turn = BotTurn(
        conversation_id=conversation_id,
        locale=conversation.locale,
        text=current.body,
        seq=seq,
        membership=membership,
        history=tuple(
            TurnMessage(m.author_kind.value, m.body, m.seq, _trace_of(m.author_kind.value, m.meta))
            for m in episode_messages
            if m.seq < seq
        ),
    )
    reply = await _respond_or_step_aside(responder, turn, timeout=timeout_seconds)
    try:
        async with uow_factory() as uow:
            if reply.text:
                await conversation_service.post_message(
                    uow,
                    actor=bot,
                    conversation_id=cid,
                    data=MessageCreate(
                        body=reply.text, client_message_id=f"{conversation_service.BOT_CLIENT_ID_PREFIX}{seq}"
                    ),
                    meta={"trace": reply.trace, "in_reply_to": seq},
                )
            if reply.handoff:
                await conversation_service.request_human(
                    uow,
                    actor=bot,
                    conversation_id=cid,
                    trigger=Trigger(reply.handoff_trigger),
                    reason=reply.handoff_reason,
                    evidence={"trace": reply.trace, "seq": seq},
                )
    except (NotOwnerError, ConversationResolvedError):
        log.info("bot_turn_dropped", conversation_id=conversation_id, seq=seq)
        return "skipped_not_owner"
    return "handed_off" if reply.handoff else "replied"

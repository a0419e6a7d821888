"""Agent assist for one conversation: reply suggestions, matching articles, the next best action and a
coaching tip; and the record of what the agent did with each suggestion (accepted, edited, rejected)."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any

from tandem.accounts.actors import Actor
from tandem.assist import engine, repository
from tandem.assist.models import SuggestionFeedback
from tandem.assist.schemas import ArticleRef, AssistOut, FeedbackIn, SuggestionOut
from tandem.bot.nlu.retrieval import Retriever
from tandem.conversation import service as conversation_service
from tandem.core.errors import NotFoundError
from tandem.core.ids import ConversationId, CustomerId
from tandem.core.uow import UnitOfWork
from tandem.customers import service as customers_service
from tandem.customers.crm import CrmConnector
from tandem.routing import service as routing_service

OVERLAP = 500  # ids read again each time: on PostgreSQL a lower id can commit after a higher one
SYNC_REBUILD = 5_000  # up to this many pairs, a request waits for the (fast) rebuild; above, it runs behind


class ReplyHistory:
    """The process's index of past agent replies and where its reading of the database stopped.

    A request reads what is new (by primary key, with an overlap for late commits, at most every
    ``refresh_seconds``) and never waits for another request's read: if one is in progress, it searches
    what is indexed. Large rebuilds run in a thread in the background; searches use the last snapshot."""

    def __init__(self, *, capacity: int = 50_000, refresh_seconds: float = 5.0) -> None:
        self.index = engine.ReplyIndex(capacity=capacity)
        self.refresh_seconds = refresh_seconds
        self._cursors = {"replies": 0, "learned": 0}
        self._seen: dict[str, set[int]] = {"replies": set(), "learned": set()}
        self._read_at: float | None = None
        self._reading = asyncio.Lock()
        self._rebuild: asyncio.Task[None] | None = None

    async def refresh(self, uow: UnitOfWork) -> None:
        if self._reading.locked():
            return
        async with self._reading:
            now = time.monotonic()
            if self._read_at is not None and now - self._read_at < self.refresh_seconds:
                return
            self._read_at = now
            replies = self._unseen(
                "replies",
                await conversation_service.past_agent_replies(
                    uow, after_message_id=self._since("replies"), limit=self.index.capacity
                ),
            )
            learned = self._unseen(
                "learned",
                await repository.learned_replies(
                    uow.session, after_id=self._since("learned"), limit=self.index.capacity // 4
                ),
            )
            self.index.add(
                [engine.PastReply(text, reply, conversation_id=cid) for _, cid, text, reply in replies]
                + [
                    engine.PastReply(text, reply, learned=True, conversation_id=cid)
                    for _, cid, text, reply in learned
                ]
            )
        if not self.index.stale:
            return
        if len(self.index) <= SYNC_REBUILD:
            await asyncio.to_thread(self.index.rebuild)
        elif self._rebuild is None or self._rebuild.done():
            self._rebuild = asyncio.create_task(asyncio.to_thread(self.index.rebuild))

    def _since(self, kind: str) -> int:
        return max(0, self._cursors[kind] - OVERLAP)

    def _unseen(self, kind: str, rows: list[tuple[int, int, str, str]]) -> list[tuple[int, int, str, str]]:
        seen = self._seen[kind]
        fresh = [row for row in rows if row[0] not in seen]
        if rows:
            self._cursors[kind] = max(self._cursors[kind], max(row[0] for row in rows))
        floor = self._cursors[kind] - 2 * OVERLAP
        self._seen[kind] = {i for i in seen if i > floor} | {row[0] for row in fresh}
        return fresh


async def assist(
    uow: UnitOfWork,
    *,
    actor: Actor,
    conversation_id: ConversationId,
    knowledge: Retriever | None,
    crm: CrmConnector | None,
    history: ReplyHistory,
) -> AssistOut:
    actor.require_staff()
    conversation = await conversation_service.access_conversation(
        uow, actor=actor, conversation_id=conversation_id
    )
    messages = await conversation_service.episode_messages(uow, conversation_id, include_private=False)
    customer_texts = [m.body for m in messages if m.author_kind.value == "customer"]
    query = " ".join(customer_texts[-2:])[:2000]
    agent_replied = any(m.author_kind.value == "agent" for m in messages)
    packet = await _packet(uow, actor, conversation_id)
    summary: dict[str, Any] = (packet or {}).get("summary", {})
    customer = await customers_service.require_customer(uow, customer_id=CustomerId(conversation.customer_id))
    profile = await customers_service.find_crm_profile(crm, customer)
    name = (profile.name if profile else None) or customer.display_name
    orders = (summary.get("entities") or {}).get("order_numbers") or engine.order_numbers(query)
    order = orders[0] if orders else None
    suggestions: list[engine.Suggestion] = []
    if packet and packet.get("suggested_reply") and not agent_replied:
        text = packet["suggested_reply"]
        suggestions.append(
            engine.Suggestion(engine.suggestion_id("handoff", text), "handoff", text, "handoff", 1.0)
        )
    await history.refresh(uow)
    for item, score in history.index.search(query, exclude_conversation=conversation_id):
        text = engine.fit_to_customer(item.reply, name=name, order=order)
        source = "a reply agents chose before" if item.learned else "a colleague's reply to a similar message"
        suggestions.append(
            engine.Suggestion(
                engine.suggestion_id("past_reply", text), "past_reply", text, source, 0.9 * score
            )
        )
    articles: list[ArticleRef] = []
    if knowledge is not None and query:
        for hit in knowledge.search(query, locale=conversation.locale.split("-")[0], limit=3, dense=False):
            article = hit.article
            articles.append(
                ArticleRef(
                    slug=article.slug, locale=article.locale, title=article.title, score=round(hit.score, 3)
                )
            )
            text = article.body.split("\n\n")[0]
            suggestions.append(
                engine.Suggestion(
                    engine.suggestion_id("article", text), "article", text, article.title, 0.8 * hit.score
                )
            )
    intent = (summary.get("intent") or {}).get("intent")
    return AssistOut(
        suggestions=[SuggestionOut(**vars(s)) for s in engine.rank(suggestions)],
        articles=articles,
        next_best_action=engine.next_best_action(intent, profile, today=uow.clock.now().date()),
        coaching_tip=engine.coaching_tip(
            trigger=(packet or {}).get("trigger") or summary.get("trigger"),
            topic=(summary.get("evidence") or {}).get("topic"),
            direction=(summary.get("sentiment") or {}).get("direction"),
        ),
    )


async def _packet(uow: UnitOfWork, actor: Actor, conversation_id: ConversationId) -> dict[str, Any] | None:
    try:
        found = await routing_service.get_packet(uow, actor=actor, conversation_id=conversation_id)
    except NotFoundError:
        return None
    return {**found.packet, "trigger": found.trigger}


async def record_feedback(
    uow: UnitOfWork, *, actor: Actor, conversation_id: ConversationId, data: FeedbackIn
) -> None:
    """What the agent did with a suggestion; accepted and edited ones become suggestions for others."""
    staff_id = actor.require_staff()
    await conversation_service.access_conversation(uow, actor=actor, conversation_id=conversation_id)
    messages = await conversation_service.episode_messages(uow, conversation_id, include_private=False)
    customer_texts = [m.body for m in messages if m.author_kind.value == "customer"]
    uow.session.add(
        SuggestionFeedback(
            conversation_id=conversation_id,
            staff_id=staff_id,
            suggestion_id=data.suggestion_id,
            kind=data.kind,
            action=data.action.value,
            customer_text=" ".join(customer_texts[-2:])[:2000] or None,
            suggested_text=data.suggested_text,
            final_text=data.final_text,
            created_at=uow.clock.now(),
            rank=data.rank,
        )
    )


async def verdicts_after(uow: UnitOfWork, *, after_id: int, limit: int = 5_000) -> list[SuggestionFeedback]:
    """Agents' verdicts on suggestions after ``after_id``, oldest first: the learning loop's input."""
    return await repository.verdicts_after(uow.session, after_id=after_id, limit=limit)


async def assisted_conversations(uow: UnitOfWork, conversation_ids: list[int]) -> set[int]:
    """Conversations in which a person used an agent-assist suggestion (the human-touch score)."""
    return await repository.assisted_conversations(uow.session, conversation_ids)


async def verdict_counts(uow: UnitOfWork, *, since: datetime, until: datetime) -> dict[str, int]:
    """Verdicts on suggestions (accepted, edited, rejected) given in [since, until)."""
    return await repository.verdict_counts(uow.session, since=since, until=until)

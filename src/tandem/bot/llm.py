"""An optional language model for the wording of knowledge answers, through any OpenAI-compatible
``/chat/completions`` API (Ollama, vLLM, llama.cpp server, OpenAI).

The model never decides escalation, flows or refunds: the Tier-0 pipeline does, deterministically. The model
only writes the answer when Tier 0 found articles, grounded on those articles; on a timeout, an error, or
an answer it marks as not supported by the articles, the customer gets Tier 0's own reply.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import httpx
import structlog

from tandem.bot.pipeline import Tier0Responder
from tandem.bot.types import BotReply, BotTurn
from tandem.kb.schemas import ArticleOut

log = structlog.get_logger(__name__)
NO_ANSWER = "NO_ANSWER"
GROUNDED_DECISIONS = frozenset({"article", "no_confident_answer"})
SYSTEM_PROMPT = (
    "You are the customer-service assistant of Loom & Lantern, an online clothing shop. Answer the customer's "
    "last message using ONLY the help articles given. Be brief (at most 4 sentences), friendly, and reply in "
    "the customer's language ({language}). If the articles do not answer the question, reply exactly "
    f"{NO_ANSWER}. Never promise refunds, exceptions or actions the articles do not state."
)


class OpenAICompatibleResponder:
    name = "llm"

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        fallback: Tier0Responder,
        api_key: str | None = None,
        timeout_seconds: float = 8.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.fallback = fallback
        self.timeout = timeout_seconds
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = client or httpx.AsyncClient()

    def refresh_articles(self, articles: Sequence[ArticleOut]) -> None:
        self.fallback.refresh_articles(articles)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def respond(self, turn: BotTurn) -> BotReply:
        reply = await self.fallback.respond(turn)
        if (
            reply.handoff
            or reply.trace.get("decision") not in GROUNDED_DECISIONS
            or not reply.trace.get("articles")
        ):
            return reply
        started = time.perf_counter()
        try:
            # httpx's timeout applies per phase (connect, write, read); this bounds the whole call.
            text = await asyncio.wait_for(self._complete(turn, reply.trace), timeout=self.timeout)
        except (TimeoutError, httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as exc:
            reply.trace["llm"] = {"used": False, "error": type(exc).__name__}
            log.warning("llm_failed", error=type(exc).__name__)
            return reply
        elapsed = round((time.perf_counter() - started) * 1000, 1)
        if not text or NO_ANSWER in text:
            reply.trace["llm"] = {"used": False, "reason": "not supported by the articles", "ms": elapsed}
            return reply
        reply.trace["llm"] = {"used": True, "model": self.model, "ms": elapsed}
        reply.trace["decision"] = "llm_grounded_answer"
        reply.trace["outcome"] = "answered"
        return BotReply(text.strip()[:4000], trace=reply.trace)

    async def _complete(self, turn: BotTurn, trace: dict[str, Any]) -> str:
        articles = await asyncio.to_thread(
            self.fallback.retriever.search, turn.text, locale=trace["language"]["code"], limit=3
        )
        context = "\n\n".join(f"# {hit.article.title}\n{hit.article.body}" for hit in articles)
        messages = [
            {"role": "system", "content": SYSTEM_PROMPT.format(language=trace["language"]["code"])},
            {"role": "system", "content": f"Help articles:\n\n{context}"},
        ]
        for message in turn.history[-6:]:
            if message.author in ("customer", "bot"):
                messages.append(
                    {"role": "user" if message.author == "customer" else "assistant", "content": message.body}
                )
        messages.append({"role": "user", "content": turn.text[:2000]})
        response = await self._client.post(
            self.url,
            json={"model": self.model, "messages": messages, "temperature": 0.2, "max_tokens": 300},
            headers=self._headers,
            timeout=self.timeout,
        )
        response.raise_for_status()
        content = response.json()["choices"][0]["message"].get("content")
        if not isinstance(content, str):  # refusals, tool calls and some reasoning servers send null
            raise TypeError("the model returned no text")
        return content

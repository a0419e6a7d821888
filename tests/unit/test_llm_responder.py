"""The optional LLM responder against a local stand-in of an OpenAI-compatible server: it words grounded
answers, and on a timeout, an error or an unsupported answer the customer gets Tier 0's reply."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from tandem.bot.llm import NO_ANSWER, OpenAICompatibleResponder
from tandem.bot.pipeline import Tier0Responder
from tandem.bot.testing import scripted_tier0
from tandem.bot.types import BotTurn
from tandem.kb.schemas import ArticleOut

ARTICLE = ArticleOut(
    id=1,
    slug="shipping-costs",
    locale="en",
    title="Shipping costs",
    body="Standard shipping costs 8.00 and is free from 75.00.",
    tags=[],
    intents=["shipping_cost"],
    status="published",
)


class StandIn:
    """Behaves like /v1/chat/completions; ``mode`` picks the behaviour of the next calls."""

    def __init__(self) -> None:
        self.mode = "answer"
        self.requests: list[dict[str, Any]] = []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append({"body": body, "auth": request.headers.get("Authorization")})
        if self.mode == "slow":
            await asyncio.sleep(2)
        if self.mode == "error":
            return web.json_response({"error": "overloaded"}, status=503)
        content = NO_ANSWER if self.mode == "no_answer" else "Standard shipping is 8.00, free from 75.00."
        return web.json_response({"choices": [{"message": {"role": "assistant", "content": content}}]})


@pytest.fixture
async def stand_in() -> AsyncIterator[tuple[StandIn, str]]:
    server = StandIn()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield server, f"http://127.0.0.1:{port}/v1"
    await runner.cleanup()


def _tier0() -> Tier0Responder:
    return scripted_tier0({"how much is shipping": [("shipping_cost", 0.9)]}, [ARTICLE])


def _turn(text: str = "how much is shipping") -> BotTurn:
    return BotTurn(conversation_id=1, locale="en", text=text, seq=1)


async def test_grounded_answer_comes_from_the_model(stand_in: tuple[StandIn, str]) -> None:
    server, url = stand_in
    responder = OpenAICompatibleResponder(base_url=url, model="m", api_key="k", fallback=_tier0())
    reply = await responder.respond(_turn())
    await responder.aclose()
    assert reply.text == "Standard shipping is 8.00, free from 75.00."
    assert reply.trace["llm"]["used"] and reply.trace["decision"] == "llm_grounded_answer"
    sent = server.requests[0]
    assert sent["auth"] == "Bearer k"
    assert "Shipping costs" in sent["body"]["messages"][1]["content"]  # grounded on the article


@pytest.mark.parametrize("mode", ["slow", "error", "no_answer"])
async def test_any_failure_falls_back_to_tier0(stand_in: tuple[StandIn, str], mode: str) -> None:
    server, url = stand_in
    server.mode = mode
    responder = OpenAICompatibleResponder(base_url=url, model="m", fallback=_tier0(), timeout_seconds=0.3)
    reply = await responder.respond(_turn())
    await responder.aclose()
    assert reply.text and "8.00" in reply.text and "help article" in reply.text
    assert reply.trace["llm"]["used"] is False


async def test_handoffs_never_reach_the_model(stand_in: tuple[StandIn, str]) -> None:
    server, url = stand_in
    responder = OpenAICompatibleResponder(base_url=url, model="m", fallback=_tier0())
    reply = await responder.respond(_turn("I want to talk to a human"))
    await responder.aclose()
    assert reply.handoff and server.requests == []


async def test_an_unreachable_server_falls_back() -> None:
    responder = OpenAICompatibleResponder(base_url="http://127.0.0.1:9/v1", model="m", fallback=_tier0())
    reply = await responder.respond(_turn())
    await responder.aclose()
    assert reply.trace["llm"]["used"] is False and reply.text

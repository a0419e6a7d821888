"""Typing indicators over real sockets: each side sees the other typing, never itself, at most once per
throttle window; and unknown frames are answered with the list of known ones."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import websockets

from conftest import LiveServer
from helpers import bearer, staff_token, start_conversation

AGENT_NAME = "Alex Rivera"  # alex@tandem.example in the demo staff


@pytest.fixture
def backend() -> str:
    """Typing frames never touch the database's SQL beyond who holds the conversation; one is enough."""
    return "sqlite"


async def _human_owned_conversation(client: httpx.AsyncClient) -> tuple[int, str, str]:
    """A conversation an agent has taken, so that no bot reply interleaves with what a test counts."""
    cid, token = await start_conversation(client)
    agent = await staff_token(client)
    response = await client.post(f"/api/v1/conversations/{cid}/assign", headers=bearer(agent))
    assert response.status_code == 200, response.text
    return cid, token, agent


@dataclass
class Chat:
    cid: int
    agent: str  # the agent's token
    customer: Any  # the customer's socket
    staff: Any  # the agent's socket


@contextlib.asynccontextmanager
async def _chat(live_server: LiveServer, client: httpx.AsyncClient) -> AsyncIterator[Chat]:
    """The customer and the agent holding the conversation, both connected and caught up."""
    cid, token, agent = await _human_owned_conversation(client)
    async with (
        websockets.connect(live_server.live_url(cid, token)) as customer,
        websockets.connect(live_server.live_url(cid, agent)) as staff,
    ):
        await _ready(customer)
        await _ready(staff)
        yield Chat(cid, agent, customer, staff)


async def _next(ws: Any, kind: str, *, timeout: float = 5.0) -> dict[str, Any]:
    """The next frame of this type (the hello and replayed messages come first)."""
    async with asyncio.timeout(timeout):
        while True:
            frame: dict[str, Any] = json.loads(await ws.recv())
            if frame["type"] == kind:
                return frame


async def _nothing_of(ws: Any, kind: str, *, seconds: float) -> None:
    """No frame of this type arrives for a while (other frames are ignored)."""
    with pytest.raises(TimeoutError):
        await _next(ws, kind, timeout=seconds)


async def _ready(ws: Any) -> None:
    """Connected, subscribed and caught up: a ping is answered only after the hello and the replay."""
    await ws.send(json.dumps({"type": "ping"}))
    await _next(ws, "pong")


async def test_the_customer_sees_the_agent_typing_and_the_agent_does_not_see_itself(
    live_server: LiveServer,
) -> None:
    async with httpx.AsyncClient(base_url=live_server.http) as client:
        async with _chat(live_server, client) as chat:
            customer, staff = chat.customer, chat.staff
            await staff.send(json.dumps({"type": "typing"}))
            frame = await _next(customer, "typing")
            assert frame == {"type": "typing", "author_kind": "agent", "name": AGENT_NAME}
            await _nothing_of(staff, "typing", seconds=0.5)


async def test_the_agent_sees_the_customer_typing_and_the_customer_does_not_see_itself(
    live_server: LiveServer,
) -> None:
    async with httpx.AsyncClient(base_url=live_server.http) as client:
        async with _chat(live_server, client) as chat:
            customer, staff = chat.customer, chat.staff
            await customer.send(json.dumps({"type": "typing"}))
            frame = await _next(staff, "typing")
            assert frame["author_kind"] == "customer"
            assert frame["name"] == "Customer", "the agent sees no customer details in a typing frame"
            await _nothing_of(customer, "typing", seconds=0.5)


async def test_typing_is_forwarded_at_most_once_per_throttle_window(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.http) as client:
        async with _chat(live_server, client) as chat:
            customer, staff = chat.customer, chat.staff
            for _ in range(3):  # a burst of keystrokes
                await staff.send(json.dumps({"type": "typing"}))
            await _next(customer, "typing")
            await _nothing_of(customer, "typing", seconds=1.0)
            # once the window (2 seconds) has passed, the next keystroke is forwarded again
            await asyncio.sleep(1.2)
            await staff.send(json.dumps({"type": "typing"}))
            assert (await _next(customer, "typing"))["author_kind"] == "agent"


async def test_typing_leaves_no_trace_in_the_transcript(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.http) as client:
        async with _chat(live_server, client) as chat:
            transcript = f"/api/v1/conversations/{chat.cid}/messages"
            before = (await client.get(transcript, headers=bearer(chat.agent))).json()
            await chat.staff.send(json.dumps({"type": "typing"}))
            await _next(chat.customer, "typing")
        after = (await client.get(transcript, headers=bearer(chat.agent))).json()
        assert after == before


async def test_unknown_frames_get_an_error_listing_the_known_types(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.http) as client:
        cid, token, _ = await _human_owned_conversation(client)
        async with websockets.connect(live_server.live_url(cid, token)) as customer:
            await _ready(customer)
            await customer.send(json.dumps({"type": "typeing"}))
            error = await _next(customer, "error")
            assert error["code"] == "unknown_frame"
            assert "message, typing, ping" in error["detail"]
            # the socket stays usable
            await customer.send(json.dumps({"type": "ping"}))
            await _next(customer, "pong")


async def test_a_supervisor_listening_in_never_shows_as_typing(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.http) as client:
        cid, token, _agent = await _human_owned_conversation(client)
        supervisor = await staff_token(client, "supervisor@tandem.example", online=False)
        async with (
            websockets.connect(live_server.live_url(cid, token)) as customer,
            websockets.connect(live_server.live_url(cid, supervisor)) as listening,
        ):
            await _ready(customer)
            await _ready(listening)
            await listening.send(json.dumps({"type": "typing"}))
            await _nothing_of(customer, "typing", seconds=0.8)

"""Small helpers shared by the API, realtime and service tests."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tandem.accounts.actors import Actor
from tandem.conversation import service as conversation_service
from tandem.conversation.schemas import BotFailureIn, ConversationCreate, MessageCreate
from tandem.core.ids import ConversationId
from tandem.customers.schemas import IdentityClaims

DEMO_PASSWORD = "tandem-demo"


async def staff_token(
    client: httpx.AsyncClient, email: str = "alex@tandem.example", *, online: bool = True
) -> str:
    """Signs in, and by default goes online: only online agents can take conversations."""
    response = await client.post("/api/v1/auth/token", json={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.text
    token = str(response.json()["access_token"])
    if online:
        presence = await client.put(
            "/api/v1/routing/presence", json={"presence": "online"}, headers=bearer(token)
        )
        assert presence.status_code == 200, presence.text
    return token


async def start_conversation(client: httpx.AsyncClient, **body: Any) -> tuple[int, str]:
    response = await client.post("/api/v1/conversations", json=body)
    assert response.status_code == 201, response.text
    data = response.json()
    return int(data["conversation"]["id"]), str(data["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def eventually(fetch: Any, *, seconds: float = 10.0) -> Any:
    """Jobs and dispatch run after commit: poll ``fetch`` until it returns something other than None."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        result = await fetch()
        if result is not None:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting for the workers")
        await asyncio.sleep(0.05)


async def agent_corrects(
    container: Any, text: str, label: str, *, agent: Actor, email: str, name: str = "Maya"
) -> tuple[int, int]:
    """A customer writes, the bot gets it wrong, an agent marks "bot failed here" with the right intent.
    Returns the conversation's and the customer's ids."""
    async with container.uow() as uow:
        started = await conversation_service.start_conversation(
            uow,
            actor=agent,
            data=ConversationCreate(
                locale="en",
                customer=IdentityClaims(email=email, name=name),
                first_message=MessageCreate(body=text),
            ),
        )
        cid = ConversationId(started.conversation.id)
        posted = await conversation_service.post_message(
            uow, actor=Actor.bot(), conversation_id=cid, data=MessageCreate(body="Sorry, I did not get that.")
        )
        await conversation_service.flag_bot_reply(
            uow,
            actor=agent,
            conversation_id=cid,
            seq=posted.message.seq,
            data=BotFailureIn(correct_intent=label),
        )
    return cid, started.conversation.customer_id

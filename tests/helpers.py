"""Small helpers shared by the API and realtime tests."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

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

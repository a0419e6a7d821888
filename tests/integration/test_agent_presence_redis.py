"""Presence across instances on one Redis: the console's connection held by one instance counts on every
other; closing it makes the agent offline everywhere after the grace (offers withdrawn, the customer's
estimate recomputed); reopening it on another instance brings the agent back; an instance that dies stops
counting its connections within the registry's TTL."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from conftest import LiveServer, make_settings
from helpers import bearer, staff_token, start_conversation
from tandem.bootstrap import Container, build_container
from tandem.core.redis_connections import RedisConnections

pytestmark = pytest.mark.integration
GRACE = 1.0


async def _until(fetch: Any, check: Any, *, seconds: float = 10.0) -> Any:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        value = await fetch()
        if check(value):
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still {value!r} after {seconds} s")
        await asyncio.sleep(0.1)


@pytest.fixture
async def two_instances(
    redis_url: str, demo_database_url: str, tmp_path: Path
) -> AsyncIterator[list[LiveServer]]:
    queue_name = f"tandem-test-{uuid.uuid4().hex[:8]}"
    containers: list[Container] = []
    servers: list[LiveServer] = []
    try:
        for index in range(2):
            settings = make_settings(
                demo_database_url,
                tmp_path / str(index),
                redis_url=redis_url,
                job_queue_name=queue_name,
                presence_grace_seconds=GRACE,
                routing_tick_seconds=0.2,
            )
            container = build_container(settings)
            await container.start(migrate_schema=False, seed=False, bot=False)
            containers.append(container)
            server = LiveServer(container)
            await server.start()
            servers.append(server)
        yield servers
    finally:
        for server in servers:
            await server.stop()
        for container in containers:
            await container.stop()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=False)
async def test_presence_follows_a_console_held_by_another_instance(two_instances: list[LiveServer]) -> None:
    first, second = two_instances
    async with httpx.AsyncClient(base_url=first.http) as one, httpx.AsyncClient(base_url=second.http) as two:
        token = await staff_token(one, online=False)
        cid, customer = await start_conversation(one, first_message={"body": "agent please"})

        async def alex() -> dict[str, Any]:
            agents = (await one.get("/api/v1/routing/agents", headers=bearer(token))).json()
            return next(a for a in agents if a["name"] == "Alex Rivera")

        async def place() -> dict[str, Any]:
            response = await one.get(f"/api/v1/conversations/{cid}/queue", headers=bearer(customer))
            return dict(response.json())

        async def offers() -> list[int]:
            response = await one.get("/api/v1/routing/offers", headers=bearer(token))
            return [offer["conversation_id"] for offer in response.json()]

        console = await websockets.connect(f"{second.ws}/api/v1/live/agent?token={token}")
        hello = json.loads(await console.recv())
        assert hello["type"] == "hello" and hello["agent"]["connected"] is True
        chosen = await one.put("/api/v1/routing/presence", json={"presence": "online"}, headers=bearer(token))
        assert chosen.json()["presence"] == "online" and chosen.json()["follows_connections"] is True
        handoff = await one.post(f"/api/v1/conversations/{cid}/handoff", headers=bearer(customer))
        assert handoff.status_code == 200, handoff.text
        assert await _until(offers, lambda ids: ids == [cid])
        async with asyncio.timeout(5):  # live, on the other instance (after its own presence change)
            frames = [json.loads(await console.recv())]
            while frames[-1]["type"] != "offer":
                frames.append(json.loads(await console.recv()))
        assert any(f["type"] == "presence" and f["presence"] == "online" for f in frames)
        assert frames[-1]["conversation_id"] == cid
        assert (await place())["agents_online"] == 1

        await console.close()  # the tab closes on instance 2; instance 1 must notice too
        gone = await _until(alex, lambda a: a["presence"] == "offline", seconds=GRACE + 5)
        assert gone["connection_lost"] and gone["chosen_presence"] == "online" and gone["last_seen_at"]
        assert await offers() == []
        status = await _until(place, lambda q: q["agents_online"] == 0)
        assert status["expected_wait_seconds"] is None and status["position"] == 1
        queues = (await two.get("/api/v1/routing/queues", headers=bearer(token))).json()
        assert sum(q["agents_online"] for q in queues) == 0 and sum(q["offered"] for q in queues) == 0

        async with websockets.connect(f"{first.ws}/api/v1/live/agent?token={token}") as again:
            assert json.loads(await again.recv())["agent"]["presence"] == "online"  # back as chosen
            assert await _until(offers, lambda ids: ids == [cid])


async def test_an_instance_that_dies_stops_counting_within_the_ttl(redis_url: str) -> None:
    prefix = f"tandem-test-{uuid.uuid4().hex[:8]}:"
    dying = RedisConnections(redis_url, instance="dying", prefix=prefix, ttl_seconds=1.0)
    alive = RedisConnections(redis_url, instance="alive", prefix=prefix, ttl_seconds=1.0)
    try:
        await dying.open("agent:3")
        await alive.open("agent:4")
        assert await alive.counts(["agent:3", "agent:4", "agent:5"]) == {
            "agent:3": 1,
            "agent:4": 1,
            "agent:5": 0,
        }
        assert dying._heartbeat is not None
        dying._heartbeat.cancel()  # the process is killed: no heartbeat, no goodbye
        await asyncio.sleep(0.5)
        assert (await alive.counts(["agent:3"])) == {"agent:3": 1}  # within the TTL it still counts
        await asyncio.sleep(1.0)
        assert (await alive.counts(["agent:3", "agent:4"])) == {"agent:3": 0, "agent:4": 1}
    finally:
        await dying.redis.aclose()
        await alive.close()
    unreachable = RedisConnections("redis://127.0.0.1:1/0", instance="x")
    try:
        await unreachable.open("agent:3")
        assert await unreachable.counts(["agent:3"]) is None  # unknown, never "nobody"
    finally:
        await unreachable.close()

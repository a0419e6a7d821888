"""Redis pub/sub fan-out: an event produced on one instance reaches sockets held by another."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import httpx
import pytest
import websockets

from conftest import LiveServer, make_settings
from helpers import bearer, staff_token, start_conversation
from tandem.bootstrap import Container, build_container
from tandem.core.redis_broker import RedisBroker
from tandem.core.saq_queue import SaqJobQueue

pytestmark = pytest.mark.integration


async def test_publish_reaches_subscribers_of_another_broker(redis_url: str) -> None:
    one, two = RedisBroker(redis_url, prefix="tandem-test:"), RedisBroker(redis_url, prefix="tandem-test:")
    try:
        subscription = await two.subscribe("conversation:1")
        await asyncio.sleep(0.2)  # the reader subscribes asynchronously
        await one.publish("conversation:1", {"kind": "message", "n": 1})
        received = await asyncio.wait_for(subscription.__aiter__().__anext__(), 3)
        assert received == {"kind": "message", "n": 1}
        await subscription.close()
    finally:
        await one.close()
        await two.close()


async def test_listeners_count_the_instances_holding_a_channel(redis_url: str) -> None:
    """What abandonment reads: a customer's chat open on any instance counts, a closed one does not."""
    one, two = RedisBroker(redis_url, prefix="tandem-test:"), RedisBroker(redis_url, prefix="tandem-test:")
    try:
        first = await one.subscribe("presence:41")
        second = await two.subscribe("presence:41")
        also = await two.subscribe("presence:41")  # a second tab on the same instance: one subscription
        await asyncio.sleep(0.2)
        assert await one.listeners(["presence:41", "presence:42"]) == {"presence:41": 2, "presence:42": 0}
        await first.close()
        await second.close()
        assert await two.listeners(["presence:41"]) == {"presence:41": 1}
        await also.close()
        await asyncio.sleep(0.1)
        assert await one.listeners(["presence:41"]) == {"presence:41": 0}
    finally:
        await one.close()
        await two.close()
    unreachable = RedisBroker("redis://127.0.0.1:1/0")
    try:
        assert await unreachable.listeners(["presence:41"]) is None  # unknown, never "nobody"
    finally:
        await unreachable.close()


async def test_unsubscribed_channels_receive_nothing(redis_url: str) -> None:
    one, two = RedisBroker(redis_url, prefix="tandem-test:"), RedisBroker(redis_url, prefix="tandem-test:")
    try:
        subscription = await two.subscribe("conversation:2")
        await asyncio.sleep(0.2)
        await one.publish("conversation:3", {"kind": "message"})
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(subscription.__aiter__().__anext__(), 0.3)
        await subscription.close()
    finally:
        await one.close()
        await two.close()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=False)
async def test_two_instances_share_live_events_through_redis(
    redis_url: str, demo_database_url: str, tmp_path: Path
) -> None:
    """A message posted to instance 1 reaches a socket held by instance 2; no sticky sessions needed. Both
    work one SAQ job queue in Redis: the bot's turns run on whichever is free."""
    queue_name = f"tandem-test-{uuid.uuid4().hex[:8]}"
    instances: list[Container] = []
    servers: list[LiveServer] = []
    try:
        for index in range(2):
            settings = make_settings(
                demo_database_url, tmp_path / str(index), redis_url=redis_url, job_queue_name=queue_name
            )
            container = build_container(settings)
            await container.start(migrate_schema=False, seed=False)
            instances.append(container)
            server = LiveServer(container)
            await server.start()
            servers.append(server)
        async with httpx.AsyncClient(base_url=servers[0].http) as one:
            cid, token = await start_conversation(one)
            agent = await staff_token(one)
            await one.post(f"/api/v1/conversations/{cid}/assign", headers=bearer(agent))
            url = f"{servers[1].ws}/api/v1/conversations/{cid}/live?token={token}&after_seq=1"
            async with websockets.connect(url) as ws:
                assert json.loads(await ws.recv())["type"] == "hello"
                await asyncio.sleep(0.2)
                for index in range(20):
                    await one.post(
                        f"/api/v1/conversations/{cid}/messages",
                        headers=bearer(agent),
                        json={"body": f"m{index}"},
                    )
                bodies = []
                async with asyncio.timeout(5):
                    while len(bodies) < 20:
                        frame = json.loads(await ws.recv())
                        if frame["type"] == "message":
                            bodies.append(frame["message"]["body"])
        assert bodies == [f"m{i}" for i in range(20)]
        assert instances[1].broker.__class__ is RedisBroker
        assert all(isinstance(c.queue, SaqJobQueue) for c in instances)
    finally:
        for server in servers:
            await server.stop()
        for container in instances:
            await container.stop()

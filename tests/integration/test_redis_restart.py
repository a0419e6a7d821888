"""Redis restarts under live sockets: the broker subscribes again as soon as Redis is back, sockets read
what they missed from the database (nothing lost, nothing twice), and /readyz says "degraded" meanwhile.

Each test runs its own redis-server on a free port (never the shared one: other tests use it)."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from conftest import LiveServer, make_settings, service_missing
from helpers import bearer, staff_token, start_conversation
from tandem.bootstrap import Container, build_container
from tandem.core.broker import RESYNC_KIND
from tandem.core.redis_broker import RedisBroker

pytestmark = pytest.mark.integration
REDIS_SERVER = shutil.which("redis-server")
BACK_WITHIN = 2.0  # seconds from Redis answering again to the socket having every message


class OwnRedis:
    """A redis-server of this test alone, which the test may kill and start again on the same port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert REDIS_SERVER is not None
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--bind",
                "127.0.0.1",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    if REDIS_SERVER is None:
        service_missing("redis-server", FileNotFoundError("redis-server"))
    server = OwnRedis(_free_port())
    server.start()
    yield server
    server.kill()


async def _next(iterator: Any, timeout: float) -> dict[str, Any]:
    return dict(await asyncio.wait_for(iterator.__anext__(), timeout))


async def test_the_broker_subscribes_again_at_once_and_says_so(own_redis: OwnRedis) -> None:
    one, two = RedisBroker(own_redis.url), RedisBroker(own_redis.url)
    try:
        subscription = await two.subscribe("conversation:7")
        iterator = subscription.__aiter__()
        await one.publish("conversation:7", {"n": 0})
        assert await _next(iterator, 3) == {"n": 0}
        assert await two.ping()

        own_redis.kill()
        await asyncio.sleep(0.5)
        assert not await two.ping(), "the subscription is gone: readiness must not say ok"
        assert await two.listeners(["presence:1"]) is None  # cannot tell who listens
        await asyncio.sleep(2.5)  # down for a while: longer than redis-py's own first backoffs

        own_redis.start()
        back = time.monotonic()
        assert await _next(iterator, BACK_WITHIN) == {"kind": RESYNC_KIND}  # read the gap, now
        await one.publish("conversation:7", {"n": 1})
        assert await _next(iterator, BACK_WITHIN) == {"n": 1}
        assert time.monotonic() - back < BACK_WITHIN
        assert await two.ping()
        assert two.resubscriptions == 1
        await subscription.close()
    finally:
        await one.close()
        await two.close()


async def test_publishing_while_redis_is_down_is_quick_and_still_heard_here(own_redis: OwnRedis) -> None:
    """A message is committed before its signal: a dead Redis must not hold the request for seconds."""
    broker = RedisBroker(own_redis.url)
    try:
        subscription = await broker.subscribe("conversation:8")
        own_redis.kill()
        started = time.monotonic()
        await broker.publish("conversation:8", {"n": 1})
        assert time.monotonic() - started < 0.5
        assert await _next(subscription.__aiter__(), 1) == {"n": 1}
        await subscription.close()
    finally:
        await broker.close()


@pytest.fixture
async def two_instances(
    own_redis: OwnRedis, demo_database_url: str, tmp_path: Path
) -> AsyncIterator[list[LiveServer]]:
    servers: list[LiveServer] = []
    containers: list[Container] = []
    try:
        for index in range(2):
            settings = make_settings(
                demo_database_url,
                tmp_path / str(index),
                redis_url=own_redis.url,
                job_queue="inprocess",  # the jobs are not what this test is about
                ws_ping_seconds=30.0,  # the periodic catch-up must not be what rescues the socket
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
async def test_a_socket_on_another_instance_gets_everything_soon_after_redis_restarts(
    own_redis: OwnRedis, two_instances: list[LiveServer]
) -> None:
    """Messages posted on instance 1 while Redis is down and right after it is back all reach a socket
    held by instance 2 within two seconds of Redis answering again, in order, each once."""
    first, second = two_instances
    async with httpx.AsyncClient(base_url=first.http) as one, httpx.AsyncClient(base_url=second.http) as two:
        cid, token = await start_conversation(one)
        agent = await staff_token(one)
        assigned = await one.post(f"/api/v1/conversations/{cid}/assign", headers=bearer(agent))
        assert assigned.status_code == 200, assigned.text
        head = (await one.get(f"/api/v1/conversations/{cid}", headers=bearer(agent))).json()["last_seq"]
        async with websockets.connect(second.live_url(cid, token, after_seq=head)) as ws:
            assert json.loads(await ws.recv())["type"] == "hello"
            await asyncio.sleep(1.2)  # past the socket's first catch-up
            posted: list[str] = []

            async def post(body: str) -> None:
                response = await one.post(
                    f"/api/v1/conversations/{cid}/messages", headers=bearer(agent), json={"body": body}
                )
                assert response.status_code == 201, response.text
                posted.append(body)

            await post("before")
            own_redis.kill()
            await asyncio.sleep(0.3)
            ready = await two.get("/readyz")
            assert ready.json()["checks"]["broker"] == "degraded"
            for index in range(3):
                await post(f"while down {index}")
            await asyncio.sleep(2.0)
            own_redis.start()
            back = time.monotonic()
            await post("right after")
            received: list[str] = []
            async with asyncio.timeout(BACK_WITHIN + 3):
                while len(received) < len(posted):
                    frame = json.loads(await ws.recv())
                    if frame["type"] == "message":
                        received.append(frame["message"]["body"])
            took = time.monotonic() - back
            with pytest.raises(TimeoutError):  # and nothing twice afterwards
                async with asyncio.timeout(1.0):
                    while True:
                        frame = json.loads(await ws.recv())
                        assert frame["type"] != "message", f"a duplicate: {frame}"
        assert received == posted
        assert took < BACK_WITHIN, f"the socket had everything {took:.2f} s after Redis was back"
        async with asyncio.timeout(5):
            while (await two.get("/readyz")).json()["checks"]["broker"] != "ok":  # noqa: ASYNC110 - polls HTTP
                await asyncio.sleep(0.1)

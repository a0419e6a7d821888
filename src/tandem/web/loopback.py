"""The product's web app on a free loopback port, in the caller's event loop: what `tandem screenshots`
and the browser and WebSocket tests drive. The caller owns the container's lifetime."""

from __future__ import annotations

import asyncio
import contextlib

import uvicorn

from tandem.bootstrap import Container
from tandem.web.app import create_app


def loopback_config(container: Container) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(container, manage=False),
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="off",
        ws_ping_interval=None,
    )


class LoopbackServer:
    def __init__(self, container: Container) -> None:
        self.container = container
        self.server = uvicorn.Server(loopback_config(container))
        self.task: asyncio.Task[None] | None = None
        self.port = 0

    async def start(self) -> None:
        self.task = asyncio.create_task(self.server.serve())
        for _ in range(1000):
            if self.server.started or self.task.done():
                break
            await asyncio.sleep(0.01)
        if not self.server.started:
            raise RuntimeError("the web server did not start")
        self.port = self.server.servers[0].sockets[0].getsockname()[1]

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self.task, timeout=10)

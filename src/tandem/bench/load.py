"""The load generator: N concurrent keep-alive clients posting JSON for a fixed time.

aiohttp when installed (it is a dev extra and about twice as fast as httpx as a client, which matters
because the client must not be the bottleneck of the baseline); httpx otherwise.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from tandem.bench.errors import BenchError

# After this many transport failures in a row a client gives up: the server is gone, not slow.
MAX_CONSECUTIVE_FAILURES = 50


class Transport(Protocol):
    """The HTTP client used by every measurement, so the product and the baseline see the same client."""

    name: str

    async def post(self, url: str, *, body: bytes, headers: Mapping[str, str]) -> tuple[int, bytes]: ...

    async def get(self, url: str) -> int: ...

    async def close(self) -> None: ...


class AiohttpTransport:
    name = "aiohttp"

    def __init__(self, *, connections: int) -> None:
        import aiohttp

        connector = aiohttp.TCPConnector(limit=connections, keepalive_timeout=60)
        self._session = aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=30), skip_auto_headers=("User-Agent",)
        )

    async def post(self, url: str, *, body: bytes, headers: Mapping[str, str]) -> tuple[int, bytes]:
        async with self._session.post(url, data=body, headers=dict(headers)) as response:
            return response.status, await response.read()

    async def get(self, url: str) -> int:
        async with self._session.get(url) as response:
            await response.read()
            return response.status

    async def close(self) -> None:
        await self._session.close()


class HttpxTransport:
    name = "httpx"

    def __init__(self, *, connections: int) -> None:
        import httpx

        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        self._client = httpx.AsyncClient(limits=limits, timeout=30)

    async def post(self, url: str, *, body: bytes, headers: Mapping[str, str]) -> tuple[int, bytes]:
        response = await self._client.post(url, content=body, headers=dict(headers))
        return response.status_code, response.content

    async def get(self, url: str) -> int:
        return (await self._client.get(url)).status_code

    async def close(self) -> None:
        await self._client.aclose()


def open_transport(*, connections: int) -> Transport:
    """aiohttp if it is installed, else httpx (``transport.name`` tells the report which one ran)."""
    try:
        return AiohttpTransport(connections=connections)
    except ImportError:
        return HttpxTransport(connections=connections)


async def post_json(transport: Transport, url: str, payload: Any, *, token: str | None = None) -> Any:
    """One set-up call; anything but 2xx is a BenchError naming the call and the server's answer."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    status, body = await transport.post(url, body=json.dumps(payload).encode(), headers=headers)
    if not 200 <= status < 300:
        raise BenchError(f"Set-up call POST {url} answered {status}: {body[:200].decode(errors='replace')}")
    return json.loads(body) if body else None


@dataclass(frozen=True)
class ClientPlan:
    """What one simulated client posts to: its own URL and headers (its conversation and token)."""

    url: str
    headers: Mapping[str, str]


@dataclass
class RoundResult:
    """One timed round. Latencies are of successful requests only; failures are counted in ``errors``."""

    ok: int = 0
    errors: int = 0
    elapsed_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    first_error: str | None = None

    @property
    def rate_per_s(self) -> float:
        return self.ok / self.elapsed_s if self.elapsed_s > 0 else 0.0


BodyFactory = Callable[[int, int], bytes]


def message_body(tag: str) -> BodyFactory:
    """A customer message whose JSON size does not vary, with a unique ``client_message_id`` per request.

    The product and the baseline get bodies of identical size, so neither pays for more bytes.
    """

    def build(client: int, sequence: int) -> bytes:
        ident = f"{tag}-{client:04d}-{sequence:09d}"
        return json.dumps(
            {"body": f"Hello, where is my order? ({ident})", "client_message_id": ident}
        ).encode()

    return build


async def run_round(
    transport: Transport,
    plans: Sequence[ClientPlan],
    *,
    seconds: float,
    body: BodyFactory,
    first_sequence: int = 0,
) -> RoundResult:
    """Every client posts back to back until ``seconds`` have passed; requests started before the
    deadline are awaited and counted, and the elapsed time runs until the last one finished."""
    result = RoundResult()
    started = time.perf_counter()
    deadline = started + seconds

    async def client(index: int, plan: ClientPlan) -> None:
        sequence = first_sequence
        failures = 0
        clock = time.perf_counter
        latencies = result.latencies_ms
        while clock() < deadline:
            sequence += 1
            payload = body(index, sequence)
            sent = clock()
            try:
                status, answer = await transport.post(plan.url, body=payload, headers=plan.headers)
            except Exception as exc:  # aiohttp's and httpx's errors are not all OSErrors
                result.errors += 1
                failures += 1
                result.first_error = result.first_error or f"{type(exc).__name__}: {exc}"[:200]
                if failures >= MAX_CONSECUTIVE_FAILURES:
                    raise BenchError(f"The server stopped answering ({type(exc).__name__}: {exc}).") from None
                continue
            failures = 0
            if 200 <= status < 300:
                result.ok += 1
                latencies.append((clock() - sent) * 1000)
            else:
                result.errors += 1
                result.first_error = (
                    result.first_error or f"{status}: {answer[:200].decode(errors='replace')}"
                )

    await asyncio.gather(*(client(index, plan) for index, plan in enumerate(plans)))
    result.elapsed_s = time.perf_counter() - started
    return result

"""One pure-ASGI middleware for every request: request id, body-size limit, metrics and an access log.

Pure ASGI rather than ``BaseHTTPMiddleware`` because the latter costs a task per request on the hot path.
"""

from __future__ import annotations

import json
import time
from typing import Any

import structlog
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tandem.core import observability
from tandem.core.ids import new_request_id

log = structlog.get_logger("tandem.http")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or [])
        supplied = incoming.get(b"x-request-id", b"").decode("latin-1")
        request_id = supplied if 0 < len(supplied) <= 64 and supplied.isascii() else new_request_id()
        token = observability.request_id_var.set(request_id)
        try:
            if scope["type"] == "websocket":
                await self.app(scope, receive, send)
            else:
                await self._http(scope, receive, send, request_id, incoming)
        finally:
            observability.request_id_var.reset(token)

    async def _http(
        self, scope: Scope, receive: Receive, send: Send, request_id: str, headers: dict[bytes, bytes]
    ) -> None:
        started = time.perf_counter()
        status_holder = {"status": 500, "started": False}
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._too_large(send, request_id)
            self._record(scope, 413, started)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    # an HTTPException passes through FastAPI's body parsing (which turns anything else into 400)
                    raise HTTPException(
                        413, f"The request body is larger than {self.max_body_bytes:,} bytes."
                    )
            return message

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_id)
        except HTTPException as exc:  # raised by limited_receive outside FastAPI's handlers (e.g. a raw read)
            if not status_holder["started"]:
                await self._send_json(
                    send, exc.status_code, request_id, {"code": "payload_too_large", "detail": exc.detail}
                )
            status_holder["status"] = exc.status_code
        except Exception as exc:
            # The last line of defence, inside the request context so the 500 keeps its request id.
            log.error("unhandled_error", error=type(exc).__name__, exc_info=exc)
            if not status_holder["started"]:
                await self._send_json(
                    send,
                    500,
                    request_id,
                    {
                        "code": "internal_error",
                        "detail": "Something went wrong on our side. It has been logged.",
                    },
                )
            status_holder["status"] = 500
        self._record(scope, int(status_holder["status"]), started)

    async def _too_large(self, send: Send, request_id: str) -> None:
        detail = f"The request body is larger than {self.max_body_bytes:,} bytes."
        await self._send_json(send, 413, request_id, {"code": "payload_too_large", "detail": detail})

    async def _send_json(self, send: Send, status: int, request_id: str, body: dict[str, Any]) -> None:
        payload = json.dumps({**body, "request_id": request_id}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    (b"x-request-id", request_id.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    def _record(self, scope: Scope, status: int, started: float) -> None:
        elapsed = time.perf_counter() - started
        route: Any = scope.get("route")
        path = getattr(route, "path", None) or "unmatched"
        method = scope.get("method", "GET")
        observability.HTTP_REQUESTS.labels(method, path, str(status)).inc()
        observability.HTTP_LATENCY.labels(method, path).observe(elapsed)
        if status >= 500:
            log.warning("request", method=method, route=path, status=status, ms=round(elapsed * 1000, 2))
        else:
            log.debug("request", method=method, route=path, status=status, ms=round(elapsed * 1000, 2))

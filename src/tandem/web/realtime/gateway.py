"""Live chat over WebSocket, exactly once and in order across reconnects and instances.

The client connects with its last seen ``seq`` (``after_seq``). The gateway subscribes to the broker
*first*, then replays the gap from the database, then forwards live signals. It remembers the last ``seq``
it sent: a signal at or below it is a duplicate and is dropped; the next ``seq`` is sent straight from the
signal; anything further ahead means a signal was lost or reordered, so the gap is read from the database.
A quiet socket also re-checks the database now and then, so a lost final signal is recovered too.

Frames, server → client: ``hello``, ``message``, ``ack``, ``error``, ``pong``.
Client → server: ``{"type": "message", "body", "client_message_id"}`` (acked after commit) and ``ping``.
After the broker lost its connection and subscribed again it sends every subscriber a ``resync`` signal:
the socket then reads the gap from the database at once (signals published meanwhile are lost).

``/api/v1/live/agent`` is the console's own connection: while one is open (any tab, any instance) the
agent's presence is the one they chose; routing/presence.py decides what happens when the last one closes.
It carries the agent's offers and presence changes live.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

import structlog
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError
from starlette.websockets import WebSocketState

from tandem.accounts.actors import Actor
from tandem.bootstrap import Container
from tandem.conversation import service as conversation_service
from tandem.conversation.schemas import MessageCreate, MessageOut
from tandem.core import observability
from tandem.core.broker import RESYNC_KIND
from tandem.core.errors import AuthenticationError, NotFoundError, PermissionDeniedError, TandemError
from tandem.core.ids import ConversationId
from tandem.core.text import MAX_ID
from tandem.routing import presence as routing_presence
from tandem.routing import service as routing_service
from tandem.web.deps import SESSION_COOKIE, resolve_actor
from tandem.web.errors import status_for

log = structlog.get_logger(__name__)
router = APIRouter()

REPLAY_PAGE = 500
REVALIDATE_SECONDS = 5.0  # how soon a revoked token loses its open sockets
TYPING_EVERY = 2.0  # seconds between "typing" signals from one socket
CLOSE_CODES = {401: 4401, 403: 4403, 404: 4404}


@router.websocket("/api/v1/conversations/{conversation_id}/live")
async def conversation_live(websocket: WebSocket, conversation_id: int, after_seq: int = 0) -> None:
    container: Container = websocket.app.state.container
    token = websocket.query_params.get("token") or _bearer(websocket) or _session(websocket)
    # Refusals are sent as close codes after accepting, so that browser clients can read them
    # (a refused handshake reaches JavaScript as a bare error).
    if not 1 <= conversation_id <= MAX_ID or not 0 <= after_seq <= MAX_ID:
        await websocket.accept()
        await websocket.close(code=4404, reason="unknown conversation")
        return
    try:
        actor = await resolve_actor(container, token, conversation_id)
        async with container.uow(write=False) as uow:
            conversation = await conversation_service.access_conversation(
                uow, actor=actor, conversation_id=ConversationId(conversation_id)
            )
    except (AuthenticationError, PermissionDeniedError, NotFoundError) as exc:
        await websocket.accept()
        await websocket.close(code=CLOSE_CODES[status_for(exc)], reason=exc.detail[:120])
        return
    except Exception as exc:  # the database is down, say: the client retries, as after any drop
        log.warning("live_refused", error=type(exc).__name__)
        await websocket.accept()
        await websocket.close(code=1011, reason="temporarily unavailable, reconnect")
        return
    await websocket.accept()
    # A cursor beyond the newest message (a client bug, or a restored database) would silently skip
    # what comes next; start from the real head instead and say so.
    resync = after_seq > conversation.last_seq
    session = LiveSession(
        container, websocket, actor, token, conversation_id, min(after_seq, conversation.last_seq)
    )
    session.resync = resync
    role = "staff" if actor.is_staff else "customer"
    observability.WEBSOCKETS.labels(role).inc()
    try:
        await session.run(conversation.model_dump(mode="json"))
    finally:
        observability.WEBSOCKETS.labels(role).dec()


def _session(websocket: WebSocket) -> str | None:
    """The console's session cookie. A socket is read-mostly; the browser sends the SameSite=Strict
    cookie only from our own pages, and the Origin must be ours too."""
    token = websocket.cookies.get(SESSION_COOKIE)
    origin = websocket.headers.get("origin")
    host = websocket.headers.get("host")
    if not token or (origin and host and origin.split("://", 1)[-1] != host):
        return None
    return token


def _bearer(websocket: WebSocket) -> str | None:
    header = websocket.headers.get("authorization", "")
    return header[7:] if header.lower().startswith("bearer ") else None


class LiveSession:
    def __init__(
        self,
        container: Container,
        websocket: WebSocket,
        actor: Actor,
        token: str | None,
        conversation_id: int,
        after_seq: int,
    ) -> None:
        self.container = container
        self.token = token
        self.websocket = websocket
        self.actor = actor
        self.conversation_id = conversation_id
        self.last_sent = after_seq
        self.send_lock = asyncio.Lock()
        self.catch_up_lock = asyncio.Lock()
        self.staff = actor.is_staff
        self.resync = False  # the client's cursor was ahead of the server; it should reload
        self.typed_at = -TYPING_EVERY

    async def run(self, conversation: dict[str, Any]) -> None:
        channel = conversation_service.conversation_channel(self.conversation_id)
        subscription = await self.container.broker.subscribe(channel)  # before the replay: no window
        # The customer's connections also hold the presence channel: routing reads who listens on it to
        # tell a customer who closed the chat while waiting (abandonment) from one who is still there.
        presence = (
            None
            if self.staff
            else await self.container.broker.subscribe(
                conversation_service.customer_presence_channel(self.conversation_id)
            )
        )
        reader = asyncio.create_task(self._read_client())
        try:
            await self._send(
                {
                    "type": "hello",
                    "conversation": conversation,
                    "after_seq": self.last_sent,
                    "resync": self.resync,
                }
            )
            await self._catch_up()
            forward = asyncio.create_task(self._forward(subscription))
            await asyncio.wait({reader, forward}, return_when=asyncio.FIRST_COMPLETED)
            forward.cancel()
            await asyncio.gather(forward, return_exceptions=True)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
            await subscription.close()
            if presence is not None:
                await presence.close()
            if self.websocket.application_state is WebSocketState.CONNECTED:
                with contextlib.suppress(Exception):
                    await self.websocket.close()

    async def _forward(self, subscription: Any) -> None:
        iterator = subscription.__aiter__()
        checks = 0
        idle_catch_up_every = max(1, round(self.container.settings.ws_ping_seconds / REVALIDATE_SECONDS))
        # The first check comes after one second: it also covers a broker subscription that was still
        # being confirmed (Redis) while the gap was replayed.
        timeout = 1.0
        while True:
            try:
                signal = await asyncio.wait_for(iterator.__anext__(), timeout=timeout)
            except TimeoutError:
                if not await self._still_allowed():
                    await self.websocket.close(code=4401, reason="token revoked or expired")
                    return
                if checks % idle_catch_up_every == 0:
                    await self._catch_up()  # recovers a signal lost in the broker
                checks += 1
                timeout = REVALIDATE_SECONDS
                continue
            except StopAsyncIteration:
                return
            if signal.get("kind") == "message":
                await self._deliver(signal["message"])
            elif signal.get("kind") == RESYNC_KIND:
                await self._catch_up()  # the broker was away: whatever it lost meanwhile is in the database
            elif signal.get("kind") == "queue":
                # live place in the queue; not part of the transcript (GET .../queue after a reconnect)
                await self._send({"type": "queue", "queue": signal["status"]})
            elif signal.get("kind") == "typing" and signal.get("staff") != self.staff:
                # the other side is typing: the agent for the customer, the customer for the agent
                await self._send(
                    {"type": "typing", "author_kind": signal["author_kind"], "name": signal["name"]}
                )

    async def _still_allowed(self) -> bool:
        """A logged-out, expired or deactivated token ends the socket within seconds, not at reconnect."""
        try:
            await resolve_actor(self.container, self.token, self.conversation_id)
        except (AuthenticationError, PermissionDeniedError, NotFoundError):
            return False
        return True

    async def _deliver(self, raw: dict[str, Any]) -> None:
        async with self.catch_up_lock:
            seq = int(raw["seq"])
            if seq <= self.last_sent:
                return  # duplicate or already replayed
            if seq == self.last_sent + 1:
                if self.staff:
                    await self._send({"type": "message", "message": raw})
                elif not raw.get("private"):
                    customer = {**raw, "meta": conversation_service.customer_meta(raw.get("meta") or {})}
                    await self._send({"type": "message", "message": customer})
                self.last_sent = seq
                return
        await self._catch_up()

    async def _catch_up(self) -> None:
        async with self.catch_up_lock:
            while True:
                async with self.container.uow(write=False) as uow:
                    # The head first: every seq up to it is committed (seq is taken under the row lock),
                    # so after reading the messages the cursor may safely jump over hidden private notes.
                    latest = (
                        await conversation_service.access_conversation(
                            uow, actor=self.actor, conversation_id=ConversationId(self.conversation_id)
                        )
                    ).last_seq
                    messages = await conversation_service.list_messages(
                        uow,
                        actor=self.actor,
                        conversation_id=ConversationId(self.conversation_id),
                        after_seq=self.last_sent,
                        limit=REPLAY_PAGE,
                    )
                for message in messages:
                    await self._send({"type": "message", "message": message.model_dump(mode="json")})
                    self.last_sent = message.seq
                observability.WS_REPLAYED.inc(len(messages))
                if len(messages) < REPLAY_PAGE:
                    # private notes the customer may not see still move the cursor forward
                    self.last_sent = max(self.last_sent, latest)
                    return

    async def _read_client(self) -> None:
        while True:
            try:
                raw = await self.websocket.receive_text()
            except (WebSocketDisconnect, RuntimeError):
                return
            try:
                frame = json.loads(raw)
            except ValueError:
                await self._error("invalid_frame", "Frames are JSON objects.")
                continue
            if not isinstance(frame, dict):
                await self._error("invalid_frame", "Frames are JSON objects.")
                continue
            kind = frame.get("type")
            if kind == "ping":
                await self._send({"type": "pong"})
            elif kind == "message":
                await self._post(frame)
            elif kind == "typing":
                await self._typing()
            else:
                await self._error("unknown_frame", "Known frame types: message, typing, ping.")

    async def _typing(self) -> None:
        """Tell the other side someone is typing; at most one signal per ``TYPING_EVERY`` seconds, and
        nothing about who for the customer beyond the agent's display name."""
        now = time.monotonic()
        if now - self.typed_at < TYPING_EVERY:
            return
        self.typed_at = now
        if self.staff and not await self._answering():
            return  # a supervisor listening in, or a colleague reading along: the customer sees no one
        channel = conversation_service.conversation_channel(self.conversation_id)
        author_kind = "agent" if self.staff else "customer"
        name = (self.actor.name or "Agent") if self.staff else "Customer"
        await self.container.broker.publish(
            channel, {"kind": "typing", "staff": self.staff, "author_kind": author_kind, "name": name}
        )

    async def _answering(self) -> bool:
        """This staff member holds the conversation."""
        async with self.container.uow(write=False) as uow:
            conversation = await conversation_service.access_conversation(
                uow, actor=self.actor, conversation_id=ConversationId(self.conversation_id)
            )
        return conversation.assignee_id is not None and conversation.assignee_id == self.actor.staff_id

    async def _post(self, frame: dict[str, Any]) -> None:
        try:
            data = MessageCreate.model_validate(
                {k: frame[k] for k in ("body", "client_message_id", "private") if k in frame}
            )
            async with self.container.uow() as uow:
                posted = await conversation_service.post_message(
                    uow,
                    actor=self.actor,
                    conversation_id=ConversationId(self.conversation_id),
                    data=data,
                    limits=self.container.limits,
                )
        except ValidationError as exc:
            detail = "; ".join(str(e.get("msg", "")) for e in exc.errors()[:3])
            await self._error("invalid_message", detail, frame.get("client_message_id"))
            return
        except TandemError as exc:
            await self._error(exc.code, exc.detail, frame.get("client_message_id"))
            return
        # Acknowledged only after commit (the unit of work has exited).
        await self._send(
            {
                "type": "ack",
                "client_message_id": data.client_message_id,
                "created": posted.created,
                "message": MessageOut.model_dump(posted.message, mode="json"),
            }
        )

    async def _error(self, code: str, detail: str, client_message_id: Any = None) -> None:
        await self._send(
            {"type": "error", "code": code, "detail": detail, "client_message_id": client_message_id}
        )

    async def _send(self, frame: dict[str, Any]) -> None:
        async with self.send_lock:
            await self.websocket.send_text(json.dumps(frame, separators=(",", ":")))


@router.websocket("/api/v1/live/inbox")
async def inbox_live(websocket: WebSocket) -> None:
    """Staff feed: one signal per conversation change (new message, state change), for queue views."""
    container: Container = websocket.app.state.container
    token = websocket.query_params.get("token") or _bearer(websocket) or _session(websocket)
    try:
        actor = await resolve_actor(container, token, None)
        actor.require_staff()
    except (AuthenticationError, PermissionDeniedError) as exc:
        await websocket.accept()
        await websocket.close(code=CLOSE_CODES[status_for(exc)], reason=exc.detail[:120])
        return
    await websocket.accept()
    subscription = await container.broker.subscribe(conversation_service.INBOX_CHANNEL)

    async def drain_client() -> None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            while True:
                await websocket.receive_text()

    async def forward() -> None:
        iterator = subscription.__aiter__()
        while True:
            try:
                signal = await asyncio.wait_for(iterator.__anext__(), timeout=REVALIDATE_SECONDS)
            except TimeoutError:
                try:
                    await resolve_actor(container, token, None)
                except AuthenticationError:
                    await websocket.close(code=4401, reason="token revoked or expired")
                    return
                continue
            except StopAsyncIteration:
                return
            await websocket.send_text(json.dumps(signal, separators=(",", ":")))

    tasks = {asyncio.create_task(drain_client()), asyncio.create_task(forward())}
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await subscription.close()


@router.websocket("/api/v1/live/agent")
async def agent_live(websocket: WebSocket) -> None:
    """The console's connection: presence follows it (with a grace period for reloads), and it carries the
    agent's offers (``offer``, ``offer_withdrawn``) and presence changes (``presence``) live."""
    container: Container = websocket.app.state.container
    token = websocket.query_params.get("token") or _bearer(websocket) or _session(websocket)
    try:
        actor = await resolve_actor(container, token, None)
        staff_id = routing_service.require_person(actor)
    except (AuthenticationError, PermissionDeniedError) as exc:
        await websocket.accept()
        await websocket.close(code=CLOSE_CODES[status_for(exc)], reason=exc.detail[:120])
        return
    await websocket.accept()
    subscription = await container.broker.subscribe(routing_service.staff_channel(staff_id))
    connection = await container.connections.open(routing_presence.connection_key(staff_id))
    send_lock = asyncio.Lock()

    async def send(frame: dict[str, Any]) -> None:
        async with send_lock:
            await websocket.send_text(json.dumps(frame, separators=(",", ":")))

    async def read_client() -> None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            while True:
                raw = await websocket.receive_text()
                with contextlib.suppress(ValueError):
                    if json.loads(raw) == {"type": "ping"}:
                        await send({"type": "pong"})

    async def forward() -> None:
        iterator = subscription.__aiter__()
        while True:
            try:
                signal = await asyncio.wait_for(iterator.__anext__(), timeout=REVALIDATE_SECONDS)
            except TimeoutError:
                try:
                    await resolve_actor(container, token, None)
                except AuthenticationError:
                    await websocket.close(code=4401, reason="token revoked or expired")
                    return
                continue
            except StopAsyncIteration:
                return
            kind = signal.get("kind")
            await send({**{k: v for k, v in signal.items() if k != "kind"}, "type": kind})

    tasks: set[asyncio.Task[None]] = set()
    try:
        async with container.uow() as uow:
            me = await routing_presence.agent_connected(
                uow, config=container.routing, staff_id=staff_id, grace=container.presence_grace
            )
        await send({"type": "hello", "agent": me.model_dump(mode="json")})
        tasks = {asyncio.create_task(read_client()), asyncio.create_task(forward())}
        observability.WEBSOCKETS.labels("agent").inc()
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            observability.WEBSOCKETS.labels("agent").dec()
    except (WebSocketDisconnect, RuntimeError):
        pass
    except Exception as exc:  # the database is down, say: the console reconnects, as after any drop
        log.warning("agent_live_failed", error=type(exc).__name__)
        with contextlib.suppress(Exception):
            await websocket.close(code=1011, reason="temporarily unavailable, reconnect")
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await connection.close()
        await subscription.close()
        if websocket.application_state is WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await websocket.close()

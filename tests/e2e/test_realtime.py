"""Live chat over real sockets: a real uvicorn server on loopback and a real WebSocket client."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from conftest import LiveServer
from helpers import bearer, staff_token, start_conversation


async def _receive_until(ws: Any, predicate: Any, *, timeout: float = 10.0) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            frames.append(frame)
            if predicate(frame):
                return frames


def _seqs(frames: list[dict[str, Any]]) -> list[int]:
    return [f["message"]["seq"] for f in frames if f["type"] == "message"]


async def _human_owned_conversation(client: httpx.AsyncClient) -> tuple[int, str, str]:
    """A conversation an agent has taken, so that no bot reply interleaves with what a test counts."""
    cid, token = await start_conversation(client)
    agent = await staff_token(client)
    response = await client.post(f"/api/v1/conversations/{cid}/assign", headers=bearer(agent))
    assert response.status_code == 200
    return cid, token, agent


async def test_reconnect_during_50_messages_receives_every_message_once_in_order(
    live_server: LiveServer,
) -> None:
    async with httpx.AsyncClient(base_url=live_server.http) as client:
        cid, token, agent = await _human_owned_conversation(client)
        received: list[dict[str, Any]] = []

        async def agent_sends_50() -> None:
            for index in range(50):
                response = await client.post(
                    f"/api/v1/conversations/{cid}/messages",
                    headers=bearer(agent),
                    json={"body": f"update {index}"},
                )
                assert response.status_code == 201
                await asyncio.sleep(0.004)

        sender = asyncio.create_task(agent_sends_50())
        async with websockets.connect(live_server.live_url(cid, token, 0)) as ws:
            frames = await _receive_until(
                ws, lambda f: f["type"] == "message" and "update 9" == f["message"]["body"]
            )
            received.extend(f for f in frames if f["type"] == "message")
            # the socket drops abruptly (no close handshake) while messages keep arriving
            ws.transport.abort()
        await asyncio.sleep(0.15)
        last_seen = received[-1]["message"]["seq"]
        await sender
        async with websockets.connect(live_server.live_url(cid, token, last_seen)) as ws:
            frames = await _receive_until(
                ws, lambda f: f["type"] == "message" and f["message"]["body"] == "update 49"
            )
            received.extend(f for f in frames if f["type"] == "message")
            # a quiet moment: nothing is replayed twice
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.3):
                    extra = json.loads(await ws.recv())
                    raise AssertionError(f"unexpected frame {extra}")
        bodies = [f["message"]["body"] for f in received if f["message"]["author_kind"] == "agent"]
        assert bodies == [f"update {i}" for i in range(50)]
        seqs = [f["message"]["seq"] for f in received]
        assert seqs == sorted(set(seqs))  # once each, in order
        history = (await client.get(f"/api/v1/conversations/{cid}/messages", headers=bearer(token))).json()
        assert seqs == [m["seq"] for m in history]


async def test_reconnecting_twice_without_activity_replays_nothing(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.http) as client:
        cid, token, agent = await _human_owned_conversation(client)
        await client.post(
            f"/api/v1/conversations/{cid}/messages", headers=bearer(agent), json={"body": "hello"}
        )
        history = (await client.get(f"/api/v1/conversations/{cid}/messages", headers=bearer(token))).json()
        head = history[-1]["seq"]
        for _ in range(2):
            async with websockets.connect(live_server.live_url(cid, token, head)) as ws:
                hello = json.loads(await ws.recv())
                assert hello["type"] == "hello" and hello["conversation"]["last_seq"] == head
                with pytest.raises(TimeoutError):
                    async with asyncio.timeout(0.3):
                        raise AssertionError(await ws.recv())


async def test_state_changes_arrive_in_order_with_messages(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.http) as client:
        cid, token = await start_conversation(client)
        agent = await staff_token(client)
        async with websockets.connect(live_server.live_url(cid, token)) as ws:
            assert json.loads(await ws.recv())["type"] == "hello"
            await client.post(f"/api/v1/conversations/{cid}/handoff", headers=bearer(token))
            await client.post(f"/api/v1/conversations/{cid}/assign", headers=bearer(agent))
            await client.post(f"/api/v1/conversations/{cid}/close", headers=bearer(agent))
            frames = await _receive_until(
                ws, lambda f: f.get("message", {}).get("meta", {}).get("to") == "resolved"
            )
        states = [f["message"]["meta"]["to"] for f in frames if "to" in f.get("message", {}).get("meta", {})]
        assert states == ["waiting", "human", "resolved"]
        seqs = _seqs(frames)  # the queue notice may come in between; private notes leave gaps
        assert seqs == sorted(set(seqs)) and seqs[0] == 1


async def test_customer_socket_never_receives_private_notes(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.http) as client:
        cid, token, agent = await _human_owned_conversation(client)
        async with websockets.connect(live_server.live_url(cid, token)) as ws:
            await client.post(
                f"/api/v1/conversations/{cid}/messages",
                headers=bearer(agent),
                json={"body": "internal", "private": True},
            )
            await client.post(
                f"/api/v1/conversations/{cid}/messages", headers=bearer(agent), json={"body": "public"}
            )
            frames = await _receive_until(ws, lambda f: f.get("message", {}).get("body") == "public")
        assert "internal" not in json.dumps(frames)


async def test_message_sent_over_the_socket_is_acked_after_commit(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.http) as client:
        cid, token, _ = await _human_owned_conversation(client)
        async with websockets.connect(live_server.live_url(cid, token)) as ws:
            for _ in range(2):  # the retry is acknowledged with the same stored message
                await ws.send(
                    json.dumps({"type": "message", "body": "sent live", "client_message_id": "ws-1"})
                )
            frames = await _receive_until(ws, lambda f: f["type"] == "ack" and not f["created"])
        acks = [f for f in frames if f["type"] == "ack"]
        assert [a["created"] for a in acks] == [True, False]
        assert acks[0]["message"]["id"] == acks[1]["message"]["id"]
        stored = (await client.get(f"/api/v1/conversations/{cid}/messages", headers=bearer(token))).json()
        assert [m["body"] for m in stored].count("sent live") == 1


async def test_bad_frames_get_an_error_frame_and_the_socket_stays_open(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.http) as client:
        cid, token = await start_conversation(client)
        async with websockets.connect(live_server.live_url(cid, token)) as ws:
            await ws.send("not json")
            await ws.send(json.dumps({"type": "message", "body": ""}))
            await ws.send(json.dumps({"type": "ping"}))
            frames = await _receive_until(ws, lambda f: f["type"] == "pong")
        codes = [f["code"] for f in frames if f["type"] == "error"]
        assert codes == ["invalid_frame", "invalid_message"]


@pytest.mark.parametrize(("token_kind", "close_code"), [("none", 4401), ("other", 4403), ("garbage", 4401)])
async def test_socket_refuses_wrong_tokens(live_server: LiveServer, token_kind: str, close_code: int) -> None:
    async with httpx.AsyncClient(base_url=live_server.http) as client:
        cid, _ = await start_conversation(client)
        _, other = await start_conversation(client)
        token = {"none": "", "other": other, "garbage": "tdc_garbage"}[token_kind]
        async with websockets.connect(live_server.live_url(cid, token)) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == close_code


async def test_bot_answers_live_and_talk_to_an_agent_hands_off(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.http) as client:
        cid, token = await start_conversation(client)
        async with websockets.connect(live_server.live_url(cid, token)) as ws:
            await ws.send(
                json.dumps({"type": "message", "body": "Where is ORD-10004?", "client_message_id": "q1"})
            )
            frames = await _receive_until(ws, lambda f: f.get("message", {}).get("author_kind") == "bot")
            assert "e-mail" in frames[-1]["message"]["body"]
            assert "trace" not in frames[-1]["message"]["meta"]  # the bot's reasoning stays internal
            await ws.send(
                json.dumps({"type": "message", "body": "tom@example.com", "client_message_id": "q1b"})
            )
            frames = await _receive_until(ws, lambda f: f.get("message", {}).get("author_kind") == "bot")
            assert "ORD-10004 has been received" in frames[-1]["message"]["body"]
            await ws.send(
                json.dumps(
                    {"type": "message", "body": "let me talk to a real person", "client_message_id": "q2"}
                )
            )
            frames = await _receive_until(
                ws, lambda f: f.get("message", {}).get("meta", {}).get("to") == "waiting"
            )
        assert frames[-1]["message"]["author_kind"] == "system"
        outcome = (
            await client.get(
                f"/api/v1/conversations/{cid}/outcome", headers=bearer(await staff_token(client))
            )
        ).json()
        assert outcome["escalation_trigger"] == "customer_request"


async def test_logging_out_closes_the_staff_socket_within_seconds(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.http) as client:
        cid, _ = await start_conversation(client)
        agent = await staff_token(client)
        async with websockets.connect(live_server.live_url(cid, agent)) as ws:
            assert json.loads(await ws.recv())["type"] == "hello"
            assert (await client.post("/api/v1/auth/logout", headers=bearer(agent))).status_code == 204
            with pytest.raises(ConnectionClosed) as closed:
                async with asyncio.timeout(8):
                    while True:
                        await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def test_a_cursor_ahead_of_the_server_is_reset_and_flagged(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.http) as client:
        cid, token, agent = await _human_owned_conversation(client)
        url = live_server.live_url(cid, token, 999)
        async with websockets.connect(url) as ws:
            hello = json.loads(await ws.recv())
            assert hello["resync"] is True and hello["after_seq"] == hello["conversation"]["last_seq"]
            await client.post(
                f"/api/v1/conversations/{cid}/messages", headers=bearer(agent), json={"body": "next"}
            )
            frames = await _receive_until(ws, lambda f: f.get("message", {}).get("body") == "next")
        assert frames[-1]["message"]["seq"] == hello["after_seq"] + 1


async def test_a_waiting_customer_hears_their_place_in_the_queue_live(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.http) as client:
        cid, token = await start_conversation(client)
        async with websockets.connect(live_server.live_url(cid, token)) as ws:
            assert json.loads(await ws.recv())["type"] == "hello"
            await client.post(f"/api/v1/conversations/{cid}/handoff", headers=bearer(token))
            nobody = await _receive_until(ws, lambda f: f["type"] == "queue")
            assert nobody[-1]["queue"] == {"position": 1, "expected_wait_seconds": None, "agents_online": 0}
            await staff_token(client, "priya@tandem.example")  # comes online: a new round tells the customer
            frames = await _receive_until(
                ws, lambda f: f["type"] == "queue" and f["queue"]["agents_online"] > 0
            )
        assert frames[-1]["queue"]["position"] == 1 and frames[-1]["queue"]["expected_wait_seconds"] == 30.0

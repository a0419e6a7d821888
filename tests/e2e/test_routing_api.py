"""Routing over HTTP with the real workers: "talk to an agent", the packet, the offer, accept, transfer, and
the 409s people see when something is not possible."""

from __future__ import annotations

from typing import Any

import httpx

from helpers import bearer, eventually, staff_token, start_conversation


async def _packet(api: httpx.AsyncClient, cid: int, token: str) -> Any:
    async def fetch() -> Any:
        response = await api.get(f"/api/v1/conversations/{cid}/handoff-packet", headers=bearer(token))
        return response.json() if response.status_code == 200 else None

    return await eventually(fetch)


async def test_talk_to_an_agent_reaches_an_online_agent_with_the_packet(api: httpx.AsyncClient) -> None:
    agent = await staff_token(api)
    cid, token = await start_conversation(api, first_message={"body": "where is my order ORD-10002?"})
    assert (await api.post(f"/api/v1/conversations/{cid}/handoff", headers=bearer(token))).status_code == 200
    packet = await _packet(api, cid, agent)
    assert packet["packet"]["summary"]["trigger"] == "customer_request"
    assert packet["packet"]["suggested_reply"]

    async def offered() -> Any:
        offers = (await api.get("/api/v1/routing/offers", headers=bearer(agent))).json()
        return offers or None

    assert [o["conversation_id"] for o in await eventually(offered)] == [cid]
    status = (await api.get(f"/api/v1/conversations/{cid}/queue", headers=bearer(token))).json()
    assert status["state"] == "waiting" and status["position"] == 1
    accepted = await api.post(f"/api/v1/routing/offers/{cid}/accept", headers=bearer(agent))
    assert accepted.status_code == 204
    conversation = (await api.get(f"/api/v1/conversations/{cid}", headers=bearer(agent))).json()
    assert conversation["state"] == "human"
    messages = (await api.get(f"/api/v1/conversations/{cid}/messages", headers=bearer(token))).json()
    assert not any(m["private"] for m in messages), "the customer never sees the packet"
    assert any(m["meta"].get("event") == "queue_status" for m in messages), (
        "the customer was told where they stand"
    )


async def test_assigning_to_an_offline_agent_is_409_with_the_reason(api: httpx.AsyncClient) -> None:
    supervisor = await staff_token(api, "supervisor@tandem.example")
    await staff_token(api, "priya@tandem.example", online=False)
    cid, token = await start_conversation(api, first_message={"body": "hello"})
    await api.post(f"/api/v1/conversations/{cid}/handoff", headers=bearer(token))
    response = await api.post(
        f"/api/v1/conversations/{cid}/assign", headers=bearer(supervisor), json={"staff_id": 6}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "agent_unavailable"
    assert "Priya Nair is offline" in response.json()["detail"]


async def test_transferring_a_closed_conversation_is_409(api: httpx.AsyncClient) -> None:
    agent = await staff_token(api)
    cid, token = await start_conversation(api, first_message={"body": "hello"})
    await api.post(f"/api/v1/conversations/{cid}/close", headers=bearer(token))
    response = await api.post(
        f"/api/v1/conversations/{cid}/transfer", headers=bearer(agent), json={"queue": "general"}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "not_transferable"


async def test_customers_cannot_reach_staff_routing(api: httpx.AsyncClient) -> None:
    cid, token = await start_conversation(api, first_message={"body": "hello"})
    for method, path in (
        ("GET", "/api/v1/routing/queues"),
        ("GET", "/api/v1/routing/agents"),
        ("PUT", "/api/v1/routing/presence"),
        ("GET", f"/api/v1/conversations/{cid}/handoff-packet"),
        ("POST", f"/api/v1/conversations/{cid}/escalation/override"),
    ):
        response = await api.request(method, path, headers=bearer(token), json={})
        assert response.status_code in (401, 403), (path, response.status_code)
    other, _ = await start_conversation(api, first_message={"body": "hi"})
    response = await api.get(f"/api/v1/conversations/{other}/queue", headers=bearer(token))
    assert response.status_code == 403

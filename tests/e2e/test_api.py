"""The HTTP API through the real ASGI app: status codes, error bodies, permissions, idempotency."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from helpers import bearer, staff_token, start_conversation
from tandem.bootstrap import Container

pytestmark = pytest.mark.usefixtures("demo_container")


async def test_start_post_and_read_back(api: httpx.AsyncClient) -> None:
    cid, token = await start_conversation(api, locale="en", customer={"name": "Maya"})
    posted = await api.post(
        f"/api/v1/conversations/{cid}/messages",
        headers=bearer(token),
        json={"body": "hello", "client_message_id": "a"},
    )
    assert posted.status_code == 201
    assert posted.json()["message"]["seq"] == 1
    listed = await api.get(f"/api/v1/conversations/{cid}/messages?after_seq=0", headers=bearer(token))
    assert listed.status_code == 200
    assert listed.json()[0]["body"] == "hello"


async def test_retry_with_the_same_client_id_returns_the_original_with_200(api: httpx.AsyncClient) -> None:
    cid, token = await start_conversation(api)
    body = {"body": "refund please", "client_message_id": "retry-1"}
    first = await api.post(f"/api/v1/conversations/{cid}/messages", headers=bearer(token), json=body)
    second = await api.post(f"/api/v1/conversations/{cid}/messages", headers=bearer(token), json=body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["message"]["id"] == second.json()["message"]["id"]


async def test_ten_concurrent_posts_of_one_client_id_store_one_row(
    api: httpx.AsyncClient, demo_container: Container
) -> None:
    cid, token = await start_conversation(api)
    agent = await staff_token(api)
    # a human owns it, so no bot reply races with the check below
    assert (await api.post(f"/api/v1/conversations/{cid}/assign", headers=bearer(agent))).status_code == 200
    body = {"body": "same message", "client_message_id": "dup-1"}
    responses = await asyncio.gather(
        *[
            api.post(f"/api/v1/conversations/{cid}/messages", headers=bearer(token), json=body)
            for _ in range(10)
        ]
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 9 + [201]
    assert len({r.json()["message"]["id"] for r in responses}) == 1
    listed = (await api.get(f"/api/v1/conversations/{cid}/messages", headers=bearer(agent))).json()
    assert [m["body"] for m in listed].count("same message") == 1


async def test_unknown_conversation_is_404(api: httpx.AsyncClient) -> None:
    agent = await staff_token(api)
    response = await api.get("/api/v1/conversations/987654", headers=bearer(agent))
    assert response.status_code == 404
    assert response.json()["code"] == "conversation_not_found"


async def test_token_of_another_conversation_is_403(api: httpx.AsyncClient) -> None:
    cid, _ = await start_conversation(api)
    _, other_token = await start_conversation(api)
    for response in (
        await api.get(f"/api/v1/conversations/{cid}/messages", headers=bearer(other_token)),
        await api.post(
            f"/api/v1/conversations/{cid}/messages", headers=bearer(other_token), json={"body": "hi"}
        ),
    ):
        assert response.status_code == 403
        assert "another conversation" in response.json()["detail"]


async def test_missing_or_bad_token_is_401(api: httpx.AsyncClient) -> None:
    cid, _ = await start_conversation(api)
    assert (await api.get(f"/api/v1/conversations/{cid}")).status_code == 401
    bad = await api.get(f"/api/v1/conversations/{cid}", headers=bearer("tdc_not-a-real-token"))
    assert bad.status_code == 401
    assert bad.headers["www-authenticate"] == "Bearer"


async def test_customer_token_cannot_use_staff_endpoints(api: httpx.AsyncClient) -> None:
    cid, token = await start_conversation(api)
    assert (await api.get("/api/v1/conversations", headers=bearer(token))).status_code == 401
    assign = await api.post(f"/api/v1/conversations/{cid}/assign", headers=bearer(token))
    assert assign.status_code == 401
    events = await api.get(f"/api/v1/conversations/{cid}/events", headers=bearer(token))
    assert events.status_code == 401


async def test_agent_cannot_create_staff(api: httpx.AsyncClient) -> None:
    agent = await staff_token(api)
    response = await api.post(
        "/api/v1/staff",
        headers=bearer(agent),
        json={"email": "new@example.com", "name": "New", "password": "long-enough", "role": "admin"},
    )
    assert response.status_code == 403


async def test_malformed_body_is_422_with_a_readable_message(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/v1/conversations", json={"locale": "english please", "channel": "pigeon"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_request"
    assert "locale" in body["detail"] and "channel" in body["detail"]
    assert body["request_id"]
    not_json = await api.post(
        "/api/v1/conversations", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 422


async def test_empty_message_is_422(api: httpx.AsyncClient) -> None:
    cid, token = await start_conversation(api)
    response = await api.post(
        f"/api/v1/conversations/{cid}/messages", headers=bearer(token), json={"body": "   "}
    )
    assert response.status_code == 422
    assert "empty" in response.json()["detail"]


async def test_message_over_10000_characters_is_413_and_not_stored(api: httpx.AsyncClient) -> None:
    cid, token = await start_conversation(api)
    response = await api.post(
        f"/api/v1/conversations/{cid}/messages", headers=bearer(token), json={"body": "a" * 10_001}
    )
    assert response.status_code == 413
    assert "10,000" in response.json()["detail"]
    listed = await api.get(f"/api/v1/conversations/{cid}/messages", headers=bearer(token))
    assert listed.json() == []


async def test_oversized_body_is_413_before_parsing(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/api/v1/conversations", content=b"x" * 300_000, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


async def test_message_to_closed_conversation_is_409_with_what_to_do(api: httpx.AsyncClient) -> None:
    cid, token = await start_conversation(api)
    assert (await api.post(f"/api/v1/conversations/{cid}/close", headers=bearer(token))).status_code == 200
    response = await api.post(
        f"/api/v1/conversations/{cid}/messages", headers=bearer(token), json={"body": "hi"}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "conversation_resolved"
    assert f"/api/v1/conversations/{cid}/reopen" in response.json()["detail"]


async def test_handoff_then_agent_joins_and_customer_rates(api: httpx.AsyncClient) -> None:
    cid, token = await start_conversation(api)
    handoff = await api.post(f"/api/v1/conversations/{cid}/handoff", headers=bearer(token))
    assert handoff.json()["state"] == "waiting"
    agent = await staff_token(api)
    joined = await api.post(f"/api/v1/conversations/{cid}/assign", headers=bearer(agent))
    assert joined.json()["state"] == "human"
    closed = await api.post(f"/api/v1/conversations/{cid}/close", headers=bearer(agent))
    assert closed.json()["state"] == "resolved"
    rating = await api.post(
        f"/api/v1/conversations/{cid}/rating", headers=bearer(token), json={"csat": 5, "nps": 10}
    )
    assert rating.status_code == 200
    outcome = (await api.get(f"/api/v1/conversations/{cid}/outcome", headers=bearer(agent))).json()
    assert outcome["resolved_by"] == "human" and outcome["csat"] == 5 and outcome["escalated"]
    assert outcome["resolved_by_staff_id"] == joined.json()["assignee_id"]
    assert (
        await api.post(f"/api/v1/conversations/{cid}/rating", headers=bearer(token), json={"csat": 9})
    ).status_code == 422


async def test_login_with_wrong_password_is_401(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/v1/auth/token", json={"email": "alex@tandem.example", "password": "nope"})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


async def test_logout_revokes_the_token(api: httpx.AsyncClient) -> None:
    agent = await staff_token(api)
    assert (await api.get("/api/v1/staff/me", headers=bearer(agent))).status_code == 200
    assert (await api.post("/api/v1/auth/logout", headers=bearer(agent))).status_code == 204
    assert (await api.get("/api/v1/staff/me", headers=bearer(agent))).status_code == 401


async def test_staff_list_conversations_with_state_filter_and_cursor(api: httpx.AsyncClient) -> None:
    agent = await staff_token(api)
    ids = [(await start_conversation(api))[0] for _ in range(3)]
    first = await api.get("/api/v1/conversations?limit=2&state=bot", headers=bearer(agent))
    page = first.json()
    assert [item["id"] for item in page["items"]] == ids[::-1][:2]
    second = await api.get(
        f"/api/v1/conversations?limit=2&before_id={page['next_cursor']}", headers=bearer(agent)
    )
    assert [item["id"] for item in second.json()["items"]] == [ids[0]]


async def test_health_readiness_metrics_and_request_id(api: httpx.AsyncClient) -> None:
    assert (await api.get("/healthz")).json()["status"] == "ok"
    ready = await api.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"
    await start_conversation(api, first_message={"body": "hi"})
    metrics = (await api.get("/metrics")).text
    assert "tandem_messages_total" in metrics and "tandem_http_request_seconds" in metrics
    echoed = await api.get("/healthz", headers={"x-request-id": "abc123"})
    assert echoed.headers["x-request-id"] == "abc123"


async def test_unexpected_error_is_a_generic_500_without_internals(
    api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tandem.conversation import service

    async def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("SELECT secret FROM table at line 42")

    monkeypatch.setattr(service, "start_conversation", explode)
    response = await api.post("/api/v1/conversations", json={})
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert "SELECT" not in response.text and "Traceback" not in response.text


async def test_chunked_body_over_the_limit_is_413(api: httpx.AsyncClient) -> None:
    async def chunks():
        for _ in range(40):
            yield b"x" * 10_000

    response = await api.post(
        "/api/v1/conversations", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


async def test_text_that_cannot_be_stored_is_422(api: httpx.AsyncClient) -> None:
    cid, token = await start_conversation(api)
    raw = b'{"body": "broken \\ud800 text"}'
    response = await api.post(
        f"/api/v1/conversations/{cid}/messages",
        content=raw,
        headers={**bearer(token), "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert "Unicode" in response.json()["detail"]


async def test_metrics_need_the_token_from_another_host(demo_container: Container) -> None:
    from tandem.web.app import create_app

    demo_container.settings.metrics_token = "scrape-me"
    app = create_app(demo_container, manage=False)
    remote = httpx.ASGITransport(app=app, client=("203.0.113.9", 40000))
    async with httpx.AsyncClient(transport=remote, base_url="http://t") as client:
        assert (await client.get("/metrics")).status_code == 403
        assert (await client.get("/metrics", headers=bearer("wrong"))).status_code == 403
        assert (await client.get("/metrics", headers=bearer("scrape-me"))).status_code == 200

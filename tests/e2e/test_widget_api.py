"""What the chat widget reads before a conversation exists: the greeting in the visitor's language and the
length limit, publicly, without storing anything; and the follow-up endpoint's refusals."""

from __future__ import annotations

import httpx
import pytest

from helpers import bearer, staff_token, start_conversation


@pytest.fixture
def backend() -> str:
    return "sqlite"


async def test_the_widget_config_greets_in_the_visitor_language(api: httpx.AsyncClient) -> None:
    english = await api.get("/api/v1/widget/config")
    assert english.status_code == 200, english.text
    assert english.json()["greeting"].startswith("Hello! I can check an order")
    assert english.json()["max_message_chars"] == 10_000
    spanish = (await api.get("/api/v1/widget/config", params={"locale": "es-MX"})).json()
    assert spanish["greeting"].startswith("¡Hola!") and spanish["locale"] == "es-MX"
    assert (
        (await api.get("/api/v1/widget/config", params={"locale": "it"}))
        .json()["greeting"]
        .startswith("Hello")
    )
    refused = await api.get("/api/v1/widget/config", params={"locale": "<script>"})
    assert refused.status_code == 422 and refused.json()["code"] == "invalid_request"
    supervisor = await staff_token(api, "supervisor@tandem.example", online=False)
    listed = await api.get("/api/v1/conversations", headers=bearer(supervisor))
    assert listed.json()["items"] == []  # nothing was started


async def test_a_follow_up_is_for_a_customer_waiting_for_a_person(api: httpx.AsyncClient) -> None:
    cid, token = await start_conversation(api, first_message={"body": "hi"})
    early = await api.post(f"/api/v1/conversations/{cid}/follow-up", json={"email": "a@example.com"},
                           headers=bearer(token))  # fmt: skip
    assert early.status_code == 409 and early.json()["code"] == "follow_up_not_possible"
    assert (
        await api.post(f"/api/v1/conversations/{cid}/handoff", json={}, headers=bearer(token))
    ).status_code == 200
    bad = await api.post(
        f"/api/v1/conversations/{cid}/follow-up", json={"email": "nope"}, headers=bearer(token)
    )
    assert bad.status_code == 422
    anonymous = await api.post(f"/api/v1/conversations/{cid}/follow-up", json={"email": "a@example.com"})
    assert anonymous.status_code == 401
    agent = await staff_token(api)
    staff = await api.post(f"/api/v1/conversations/{cid}/follow-up", json={"email": "a@example.com"},
                           headers=bearer(agent))  # fmt: skip
    assert staff.status_code == 403
    done = await api.post(f"/api/v1/conversations/{cid}/follow-up", json={"email": "A@Example.com"},
                          headers=bearer(token))  # fmt: skip
    assert done.status_code == 200, done.text
    assert done.json()["follow_up_email"] == "a@example.com" and done.json()["state"] == "waiting"

"""The learning loop over HTTP: only admins start a retraining, which runs as a background job whose
progress and result the status shows; the registry, rollback's refusals, and the leaderboard."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpers import bearer, eventually, staff_token, start_conversation
from tandem.bootstrap import Container

SMALL_BASE = {
    "order_status": ["where is my order", "track my parcel", "has my order shipped", "order status please"],
    "return_item": ["return a lamp", "send the throw back", "start a return", "return label please"],
    "promo_code": ["my promo code fails", "discount code not working", "apply a voucher", "coupon code"],
}


@pytest.fixture
def backend() -> str:
    """Training does not depend on the database; the loop's SQL runs on both in the service tests."""
    return "sqlite"


@pytest.fixture
def small_base(demo_container: Container, tmp_path: Path) -> Iterator[None]:
    """A tiny base set so that the two trainings of a run take a second, not half a minute."""
    path = tmp_path / "base.csv"
    rows = ["text,category"] + [f"{text},{intent}" for intent, texts in SMALL_BASE.items() for text in texts]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    before = demo_container.settings
    demo_container.settings = before.model_copy(update={"learning_base_data": path})
    yield
    demo_container.settings = before


async def _finished(api: httpx.AsyncClient, token: str) -> dict[str, Any]:
    for _ in range(600):
        found: dict[str, Any] = (await api.get("/api/v1/learning/status", headers=bearer(token))).json()
        if found["state"] in ("done", "failed"):
            return found
        await asyncio.sleep(0.1)
    raise AssertionError("the retraining did not finish")


@pytest.mark.usefixtures("small_base")
async def test_an_admin_retrains_in_the_background_and_the_registry_keeps_it(api: httpx.AsyncClient) -> None:
    agent = await staff_token(api, online=False)
    supervisor = await staff_token(api, "supervisor@tandem.example", online=False)
    admin = await staff_token(api, "admin@tandem.example", online=False)
    assert (await api.post("/api/v1/learning/runs", headers=bearer(agent))).status_code == 403
    assert (await api.post("/api/v1/learning/runs", headers=bearer(supervisor))).status_code == 403
    started = await api.post("/api/v1/learning/runs", headers=bearer(admin))
    assert started.status_code == 202 and started.json()["state"] in ("queued", "running")
    finished = await _finished(api, supervisor)
    assert finished["state"] == "done", finished
    result = finished["result"]
    assert {"champion", "challenger", "promoted", "reason"} <= set(result)
    assert result["promoted"] is False and "no better" in result["reason"]  # nothing new to learn
    models = (await api.get("/api/v1/learning/models", headers=bearer(supervisor))).json()
    assert [m["status"] for m in models] == ["rejected", "champion"]
    assert (await api.get("/api/v1/learning/models", headers=bearer(agent))).status_code == 403
    champion = models[1]["version"]
    again = await api.post(f"/api/v1/learning/models/{champion}/rollback", headers=bearer(admin))
    assert again.status_code == 409 and "already the champion" in again.json()["detail"]
    assert (await api.post("/api/v1/learning/models/9999/rollback", headers=bearer(admin))).status_code == 404
    assert (
        await api.post(f"/api/v1/learning/models/{champion}/rollback", headers=bearer(supervisor))
    ).status_code == 403
    board = await api.get("/api/v1/learning/leaderboard", headers=bearer(agent))
    assert board.status_code == 200 and isinstance(board.json(), list)


async def test_every_kind_of_feedback_becomes_a_labelled_example_with_its_provenance(
    api: httpx.AsyncClient,
) -> None:
    agent = await staff_token(api)
    supervisor = await staff_token(api, "supervisor@tandem.example", online=False)
    cid, customer = await start_conversation(api, first_message={"body": "do you ship to Iceland?"})

    async def bot_reply() -> Any:
        messages = (await api.get(f"/api/v1/conversations/{cid}/messages", headers=bearer(agent))).json()
        return next((m for m in messages if m["author_kind"] == "bot"), None)

    reply = await eventually(bot_reply)
    failed = await api.post(
        f"/api/v1/conversations/{cid}/messages/{reply['seq']}/bot-failure",
        json={"correct_intent": "shipping_countries", "correct_article": "where-we-ship"},
        headers=bearer(agent),
    )
    assert failed.status_code == 201, failed.text
    correction = {"intent": "shipping_countries"}
    early = await api.post(
        f"/api/v1/conversations/{cid}/intent-correction", json=correction, headers=bearer(agent)
    )
    assert early.status_code == 409 and "handed to a person" in early.json()["detail"]
    assert (
        await api.post(f"/api/v1/conversations/{cid}/handoff", headers=bearer(customer))
    ).status_code == 200

    async def packet() -> Any:
        found = await api.get(f"/api/v1/conversations/{cid}/handoff-packet", headers=bearer(agent))
        return found.json() if found.status_code == 200 else None

    await eventually(packet)
    fixed = await api.post(
        f"/api/v1/conversations/{cid}/intent-correction", json=correction, headers=bearer(agent)
    )
    assert fixed.status_code == 204, fixed.text
    missing = await api.post(
        "/api/v1/conversations/999999/intent-correction", json=correction, headers=bearer(agent)
    )
    assert missing.status_code == 404
    bad = await api.post(
        f"/api/v1/conversations/{cid}/intent-correction", json={"intent": "Ship It!"}, headers=bearer(agent)
    )
    assert bad.status_code == 422
    code = (await api.get("/api/v1/routing/escalation-reasons", headers=bearer(agent))).json()[0]["code"]
    tagged = await api.post(
        f"/api/v1/conversations/{cid}/escalation-reason", json={"code": code}, headers=bearer(agent)
    )
    assert tagged.status_code == 204
    verdict = {
        "suggestion_id": "s1", "kind": "past_reply", "action": "edited",
        "suggested_text": "We ship to the EU.", "final_text": "We ship to the EU and Iceland.",
    }  # fmt: skip
    judged = await api.post(
        f"/api/v1/conversations/{cid}/assist/feedback", json=verdict, headers=bearer(agent)
    )
    assert judged.status_code == 204, judged.text
    rated = await api.post(f"/api/v1/conversations/{cid}/rating", json={"csat": 2}, headers=bearer(customer))
    assert rated.status_code == 200, rated.text

    assert (await api.post("/api/v1/learning/examples/collect", headers=bearer(agent))).status_code == 403
    summary = (await api.post("/api/v1/learning/examples/collect", headers=bearer(supervisor))).json()
    assert {k: v for k, v in summary["kinds"].items() if v} == {
        "intent": 2, "article": 1, "escalation_reason": 1, "reply": 1, "satisfaction": 1,
    }  # fmt: skip
    again = (await api.post("/api/v1/learning/examples/collect", headers=bearer(supervisor))).json()
    assert again["kinds"] == summary["kinds"]  # each piece of feedback is taken once
    examples = (await api.get("/api/v1/learning/examples", headers=bearer(supervisor))).json()
    by_kind = {e["kind"]: e for e in examples}
    assert all(
        e["conversation_id"] == cid and e["staff_id"] == 3 for e in examples if e["kind"] != "satisfaction"
    )
    assert by_kind["article"]["label"] == "where-we-ship"
    assert by_kind["escalation_reason"]["label"] == code
    assert by_kind["escalation_reason"]["text"] == "do you ship to Iceland?"
    assert by_kind["reply"]["label"] == "edited" and by_kind["reply"]["target"] == verdict["final_text"]
    assert (by_kind["satisfaction"]["label"], by_kind["satisfaction"]["target"]) == ("unsatisfied", "2")
    assert all(e["consent"] for e in examples)  # the deployment's default: customers have not said

    unknown = await api.get("/api/v1/learning/examples?kind=vibes", headers=bearer(supervisor))
    assert unknown.status_code == 422 and "intent, article" in unknown.json()["detail"]
    assert (await api.get("/api/v1/learning/examples", headers=bearer(agent))).status_code == 403

    cases = await api.get("/api/v1/learning/cases", headers=bearer(supervisor))
    assert cases.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in cases.text.splitlines()]
    assert lines == [  # the two corrections of the same words: the newest is the case
        {
            "id": f"correction-{by_kind['intent']['id']}", "turns": ["do you ship to Iceland?"], "locale": "en",
            "expect_intent": "shipping_countries", "note": lines[0]["note"],
        }
    ]  # fmt: skip

    intent_ids = [e["id"] for e in examples if e["kind"] == "intent"]
    for intent_id in intent_ids:  # the newest label of the same words first, then the one it superseded
        rejected = await api.post(
            f"/api/v1/learning/examples/{intent_id}/review",
            json={"decision": "reject"},
            headers=bearer(supervisor),
        )
        assert rejected.status_code == 200 and rejected.json()["review"] == "rejected"
    cases_left = await api.get("/api/v1/learning/cases", headers=bearer(supervisor))
    assert cases_left.text == ""  # rejected labels are no regression cases
    assert (
        await api.post(
            f"/api/v1/learning/examples/{intent_id}/review",
            json={"decision": "reject"},
            headers=bearer(agent),
        )
    ).status_code == 403
    assert (
        await api.post(
            "/api/v1/learning/examples/999999/review",
            json={"decision": "approve"},
            headers=bearer(supervisor),
        )
    ).status_code == 404


async def test_the_weekly_review_is_for_supervisors_as_json_or_markdown(api: httpx.AsyncClient) -> None:
    agent = await staff_token(api, online=False)
    supervisor = await staff_token(api, "supervisor@tandem.example", online=False)
    cid, customer = await start_conversation(api, first_message={"body": "the checkout button doesn't work"})
    assert (
        await api.post(f"/api/v1/conversations/{cid}/handoff", headers=bearer(customer))
    ).status_code == 200
    tagged = await api.post(
        f"/api/v1/conversations/{cid}/escalation-reason",
        json={"code": "product_issue"},
        headers=bearer(agent),
    )
    assert tagged.status_code == 204
    assert (await api.get("/api/v1/learning/review", headers=bearer(agent))).status_code == 403
    found = (await api.get("/api/v1/learning/review", headers=bearer(supervisor))).json()
    assert found["escalated"] == 1 and found["by_reason"][0]["label"] == "A product or site problem"
    assert {g["key"] for g in found["product"]} == {"product_issue", "confusing_features"}
    markdown = await api.get("/api/v1/learning/review?format=markdown", headers=bearer(supervisor))
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert (
        markdown.text.startswith("# Weekly review:") and "the checkout button doesn't work" in markdown.text
    )
    too_long = await api.get("/api/v1/learning/review?days=365", headers=bearer(supervisor))
    assert too_long.status_code == 422

"""The learning loop over HTTP: only admins start a retraining, which runs as a background job whose
progress and result the status shows; the registry, rollback's refusals, and the leaderboard."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpers import bearer, staff_token
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

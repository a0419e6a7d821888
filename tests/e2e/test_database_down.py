"""With the database unreachable, writes fail fast with 503 and Retry-After: no hang, no 500."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from conftest import make_settings
from tandem.bootstrap import build_container
from tandem.web.app import create_app


async def test_unreachable_database_answers_503_quickly(tmp_path: Path) -> None:
    # Port 1 on loopback: nothing listens there, so every connection attempt is refused at once.
    container = build_container(make_settings("postgresql://postgres@127.0.0.1:1/tandem", tmp_path))
    app = create_app(container, manage=False)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            started = time.perf_counter()
            response = await client.post("/api/v1/conversations", json={"first_message": {"body": "hello"}})
            elapsed = time.perf_counter() - started
            ready = await client.get("/readyz")
    finally:
        await container.stop()
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    assert response.headers["retry-after"] == "2"
    assert elapsed < 5
    assert ready.status_code == 503 and "unreachable" in ready.json()["checks"]["database"]

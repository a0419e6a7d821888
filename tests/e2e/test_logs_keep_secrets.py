"""Logs never carry customer text, e-mail addresses, passwords or tokens (ASVS 16.2.5)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from conftest import make_settings
from helpers import bearer
from tandem.bootstrap import build_container
from tandem.web.app import create_app

CANARY_TEXT = "canary-7f3a my card number is 4111"
CANARY_EMAIL = "canary.customer@example.org"
CANARY_PASSWORD = "canary-password-91"


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_debug_logs_of_a_whole_conversation_contain_no_secrets(
    demo_database_url: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    container = build_container(make_settings(demo_database_url, tmp_path, log_level="debug"))
    await container.start(migrate_schema=False, seed=False)
    app = create_app(container, manage=False)
    try:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            started = await client.post(
                "/api/v1/conversations",
                json={"customer": {"email": CANARY_EMAIL}, "first_message": {"body": CANARY_TEXT}},
            )
            token = started.json()["access_token"]
            cid = started.json()["conversation"]["id"]
            await client.post(
                f"/api/v1/conversations/{cid}/messages", headers=bearer(token), json={"body": CANARY_TEXT}
            )
            await client.post(
                "/api/v1/auth/token", json={"email": "alex@tandem.example", "password": CANARY_PASSWORD}
            )
            await client.post(
                f"/api/v1/conversations/{cid}/messages", headers=bearer(token), json={"body": "x" * 20_000}
            )
            await container.queue.drain()
    finally:
        await container.stop()
    captured = capfd.readouterr()
    logs = captured.out + captured.err
    assert "request" in logs  # debug logging really was on
    for secret in (CANARY_TEXT, "canary-7f3a", CANARY_EMAIL, CANARY_PASSWORD, token):
        assert secret not in logs

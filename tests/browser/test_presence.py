"""Presence follows the console in a real Chromium: an agent who closes the console tab is offline after
the grace period, so the waiting customer's widget stops promising a short wait, the conversation is no
longer offered to them, and the supervisor view says the connection was lost and when they were last
seen. Reopening the console brings them back as they chose."""

from __future__ import annotations

from typing import Any

import httpx
import playwright.async_api as playwright_api
import pytest

from conftest import LiveServer
from helpers import bearer, staff_token

expect = playwright_api.expect
GRACE = 2.0


@pytest.fixture
def backend() -> str:
    return "sqlite"


async def _customer_asks_for_a_person(page: Any, live_server: LiveServer, text: str) -> None:
    await page.goto(f"{live_server.http}/demo/store")
    await page.get_by_role("button", name="Chat with us").click()
    box = page.locator("#tandem-input")
    await box.fill(text)
    await box.press("Enter")
    await page.locator(".tw-bot, .tw-system:not(.tw-typing)").first.wait_for()
    await page.get_by_role("button", name="Talk to an agent").click()
    await expect(page.get_by_role("dialog")).to_contain_text("Nobody from our team is online")


async def _sign_in(page: Any, live_server: LiveServer, email: str) -> None:
    await page.goto(f"{live_server.http}/console/login")
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label("Password").fill("tandem-demo")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(f"{live_server.http}/console")


async def test_an_agent_who_closes_the_console_stops_getting_conversations_and_promises(
    new_page: Any, live_server: LiveServer
) -> None:
    settings = live_server.container.settings
    settings.presence_grace_seconds = GRACE
    settings.routing_tick_seconds = 0.3
    customer = await new_page()
    await _customer_asks_for_a_person(customer, live_server, "where is my order ORD-10002?")
    status = customer.get_by_role("status")

    agent = await new_page()
    await _sign_in(agent, live_server, "alex@tandem.example")
    await agent.get_by_label("Presence").select_option("online")
    await expect(status).to_contain_text("Expected wait")  # an agent is there: about a minute
    await expect(agent.get_by_role("button", name="Accept")).to_be_visible()  # offered to Alex

    await agent.close()  # the agent closes the console tab without a word
    # the promise of a short wait goes (the queue notice above already says nobody is online)
    panel = customer.get_by_role("dialog")
    await expect(panel).not_to_contain_text("Expected wait", timeout=int((GRACE + 10) * 1000))
    await expect(customer.get_by_role("dialog")).to_contain_text("Nobody from our team is online")

    async with httpx.AsyncClient(base_url=live_server.http) as client:
        token = await staff_token(client, online=False)  # an API session: it does not change presence
        offers = (await client.get("/api/v1/routing/offers", headers=bearer(token))).json()
        agents = (await client.get("/api/v1/routing/agents", headers=bearer(token))).json()
        queues = (await client.get("/api/v1/routing/queues", headers=bearer(token))).json()
    alex = next(a for a in agents if a["name"] == "Alex Rivera")
    assert offers == [], "the conversation is not offered to an agent who is gone"
    assert alex["presence"] == "offline" and alex["connection_lost"] and alex["last_seen_at"]
    assert sum(q["offered"] for q in queues) == 0 and sum(q["agents_online"] for q in queues) == 0

    supervisor = await new_page()
    await _sign_in(supervisor, live_server, "supervisor@tandem.example")
    await supervisor.get_by_role("link", name="Supervisor view").click()
    row = supervisor.get_by_role("table", name="Agents").get_by_role("row").filter(has_text="Alex Rivera")
    await expect(row).to_contain_text("offline (connection lost; chose online)")
    await expect(row).to_contain_text("last seen")

    back = await new_page()  # Alex opens the console again
    await _sign_in(back, live_server, "alex@tandem.example")
    await expect(back.get_by_label("Presence")).to_have_value("online")
    await expect(status).to_contain_text("Expected wait")
    await expect(back.get_by_role("button", name="Accept")).to_be_visible()
    await expect(row).to_contain_text("open")

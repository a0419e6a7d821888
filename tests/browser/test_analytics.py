"""The analytics dashboard in a real Chromium, over traffic simulated through the real services: the
supervisor sees every chart drawn by Chart.js with data in it, filters by channel, and gets the API's own
words for a window that ends before it starts; an agent is refused the page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import playwright.async_api as playwright_api
import pytest

from conftest import LiveServer, make_settings
from tandem.analytics import service as analytics_service
from tandem.bench.traffic import TrafficSimulator
from tandem.bootstrap import build_container
from tandem.core.clock import FrozenClock

expect = playwright_api.expect
CHARTS = ("series", "funnel", "matrix", "triggers", "reasons", "by-topic", "by-channel", "by-locale", "by-intent",
          "by-team")  # fmt: skip


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
async def history(demo_database_url: str, tmp_path: Path) -> int:
    """A week of traffic in the demo database, rolled up, before the server starts."""
    now = datetime.now(UTC)
    clock = FrozenClock(now)
    container = build_container(make_settings(demo_database_url, tmp_path), clock=clock)
    await container.start(migrate_schema=False, seed=False)
    try:
        simulator = TrafficSimulator(container, clock, seed=5)
        await simulator.prepare()
        report = await simulator.run(50, days=7, end=now - timedelta(hours=1))
        clock.set(now)
        await analytics_service.refresh(container.uow)
    finally:
        await container.stop()
    return report.conversations


async def _sign_in(page: Any, live_server: LiveServer, email: str) -> None:
    await page.goto(f"{live_server.http}/console/login")
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label("Password").fill("tandem-demo")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(f"{live_server.http}/console")


async def test_the_dashboard_draws_every_chart_with_data_and_filters(
    history: int, page: Any, live_server: LiveServer
) -> None:
    await _sign_in(page, live_server, "supervisor@tandem.example")
    await page.goto(f"{live_server.http}/console/supervisor")
    await page.get_by_role("link", name="Analytics").click()
    status = page.get_by_role("status")
    await expect(status).to_contain_text(f"{history} conversations from")
    for name in CHARTS:  # a Chart.js chart on every canvas, each with data points
        points = await page.evaluate(
            "id => { const c = Chart.getChart(document.getElementById(id));"
            " return c ? c.data.datasets.reduce((n, d) => n + d.data.filter(v => v !== null).length, 0) : -1; }",
            f"chart-{name}",
        )
        assert points > 0, name
    containment = page.locator("[data-metric=containment] strong")
    await expect(containment).to_have_text(re.compile(r"^\d+\.\d %$"))
    assert await page.get_by_role(
        "link", name="Download Containment \u00d7 CSAT per intent as CSV"
    ).get_attribute("href")
    await page.get_by_label("Channel", exact=True).select_option("web")
    await page.get_by_role("button", name="Apply").click()
    await expect(status).not_to_contain_text(f"{history} conversations from")
    await expect(status).to_contain_text("conversations from")  # loaded, not "Loading…"
    web = int((await status.text_content() or "0").split()[0])
    assert 0 < web < history
    funnel_start = await page.evaluate(
        "() => Chart.getChart(document.getElementById('chart-funnel')).data.datasets[0].data[0]"
    )
    assert funnel_start == web
    await page.get_by_label("To", exact=True).fill("2020-01-01")
    await page.get_by_role("button", name="Apply").click()
    await expect(status).to_contain_text("is before the start")


async def test_an_agent_cannot_open_the_dashboard(page: Any, live_server: LiveServer) -> None:
    await _sign_in(page, live_server, "alex@tandem.example")
    response = await page.goto(f"{live_server.http}/console/analytics")
    assert response is not None and response.status == 403


async def test_a_supervisor_plans_the_workforce_from_the_history(
    history: int, page: Any, live_server: LiveServer
) -> None:
    await _sign_in(page, live_server, "supervisor@tandem.example")
    await page.goto(f"{live_server.http}/console/analytics")
    await page.get_by_role("link", name="Workforce plan").click()
    await page.get_by_label("Interval (minutes)").select_option("60")
    await page.get_by_label("Days to plan").fill("2")
    await page.get_by_label("History (days)").fill("14")
    await page.get_by_label("Target containment").fill("0.8")
    await page.get_by_role("button", name="Plan").click()
    status = page.get_by_role("status")
    await expect(status).to_contain_text("Planned 48 intervals from 14 days of history", timeout=60_000)
    for name in ("volume", "staff", "scenarios"):
        points = await page.evaluate(
            "id => Chart.getChart(document.getElementById(id)).data.datasets[0].data.length", f"chart-{name}"
        )
        assert points > 0, name
    scenarios = page.get_by_role("table", name="Scenarios")
    await expect(scenarios.get_by_role("row")).to_have_count(4)  # header, no bot, with the bot, target
    await expect(scenarios).to_contain_text("no bot")
    href = await page.get_by_role("link", name="Download the shifts as CSV").get_attribute("href")
    assert href is not None and href.startswith("blob:")
    await page.get_by_label("Service level").fill("1.5")  # the browser's own check stops it
    await page.get_by_label("Service level").fill("0.8")
    await page.get_by_label("History (days)").fill("5")
    await page.get_by_label("History (days)").evaluate("node => node.removeAttribute('min')")
    await page.get_by_role("button", name="Plan").click()
    await expect(status).to_contain_text("Could not plan")

"""``tandem screenshots DIR``: PNG screenshots of the widget, the agent console, the supervisor view and
the analytics dashboard.

A scratch copy of the demo store (a temporary SQLite file, never your database) first gets two weeks of
simulated traffic (``tandem simulate``, through the real services), then is served in-process on a free
loopback port, and Debian's Chromium, driven by Playwright, plays one story through the real pages: a
customer asks a question, gets the bot's answer, asks for a person; an agent (demo staff, created with a
known password by the demo seed) signs in, accepts the offer, reads the handoff summary and replies; two
more customers (German and French, whom the online agent cannot serve) wait in their queues while a
supervisor watches the floor, then opens the analytics and plans the next week's staff. Every screenshot
waits for its content first (20 s at most; the plan a minute).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from tandem.bootstrap import DEMO_PASSWORD, build_container
from tandem.cli.common import console, err, settings_or_exit
from tandem.settings import Settings
from tandem.web.loopback import LoopbackServer

TIMEOUT_MS = 20_000
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
AGENT_EMAIL = "alex@tandem.example"  # demo staff, created by the demo seed through the accounts service
AGENT_NAME = "Alex Rivera"
SUPERVISOR_EMAIL = "supervisor@tandem.example"
FILES = ("widget.png", "widget-phone.png", "console.png", "supervisor.png", "dashboard.png", "wfm.png")
STEPS = ("simulating traffic", "starting Tandem", *FILES)
SIMULATED = (240, 14)  # conversations, over days: the dashboard's history
# The customer of the story asks where her order is (a demo account), gets the bot's answer and asks for a
# person anyway; the agent's reply is short so that the desktop widget shows the bot's answer above it.
CUSTOMER_SAYS = ("Where is my order ORD-10002? My e-mail is maya@example.com",)
AGENT_SAYS = "Hi Maya, Alex here. Has it not arrived yet?"
# Customers the online agent (English, Spanish) cannot take: they wait in their language's queue.
WAITING_CUSTOMERS = (
    ("de", "Chatten Sie mit uns", "Mit einem Mitarbeiter sprechen", "Mein Paket ist beschädigt angekommen."),
    ("fr", "Discuter avec nous", "Parler à un conseiller", "Je voudrais changer l'adresse de livraison."),
)


def default_chromium() -> str:
    return os.environ.get("TANDEM_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


@dataclass
class Capture:
    """What a run wrote, and any JavaScript error the pages raised on the way."""

    files: list[Path] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)


def run_screenshots(directory: Path, *, chromium: str) -> Capture:
    """The command: check the prerequisites, then capture with a progress bar. Exit 2 on a missing
    prerequisite, 1 when a page did not show what it should; a message either way, never a traceback."""
    try:
        import playwright.async_api  # noqa: F401  (a dev extra)
    except ImportError:
        err.print("screenshots need Playwright: pip install -e '.[dev]'", markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    if not Path(chromium).is_file():
        err.print(
            f"Chromium not found at {chromium}: install it (apt-get install chromium), or pass --chromium PATH "
            "or set TANDEM_CHROMIUM.",
            markup=False,
            soft_wrap=True,
        )
        raise typer.Exit(2)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        err.print(f"[red]Error:[/red] cannot create {directory}: {exc.strerror or exc}")
        raise typer.Exit(2) from None
    with tempfile.TemporaryDirectory(prefix="tandem-screenshots-") as scratch:
        settings = settings_or_exit(**scratch_settings(Path(scratch)))
        columns = (
            SpinnerColumn(),
            TextColumn("{task.description:<18}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=err, transient=False) as bar:
            task = bar.add_task(STEPS[0], total=len(STEPS))

            def on_step(done: str) -> None:
                index = STEPS.index(done) + 1
                bar.update(task, completed=index, description=STEPS[index] if index < len(STEPS) else "done")

            try:
                result = asyncio.run(
                    capture(directory, chromium=chromium, settings=settings, on_step=on_step)
                )
            except KeyboardInterrupt:
                raise
            except Exception as exc:  # a page that never showed its content, a browser that would not start
                step = bar.tasks[0].description
                reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
                err.print(f"[red]Error[/red] at {step}: {reason}", highlight=False)
                raise typer.Exit(1) from None
    for path in result.files:
        console.print(f"Wrote {path}")
    for error in result.page_errors:
        err.print(f"[yellow]JavaScript error on a page:[/yellow] {error}", highlight=False)
    return result


async def simulate_history(settings: Settings, conversations: int, days: int) -> None:
    """Traffic of the last ``days`` through the real services on a simulated clock, then the rollups; the
    agents end offline so the story's routing starts from an empty floor."""
    from tandem.analytics import service as analytics_service
    from tandem.bench.traffic import TrafficSimulator
    from tandem.core.clock import FrozenClock
    from tandem.routing import service as routing_service
    from tandem.routing.schemas import Presence

    now = datetime.now(UTC)
    clock = FrozenClock(now)
    container = build_container(settings, clock=clock)
    try:
        await container.start(migrate_schema=True, seed=True)
        simulator = TrafficSimulator(container, clock, seed=11)
        await simulator.prepare()
        await simulator.run(conversations, days=days, end=now - timedelta(hours=1))
        clock.set(now)
        for agent in simulator.agents:
            async with container.uow() as uow:
                await routing_service.set_presence(
                    uow, actor=agent, config=container.routing, presence=Presence.OFFLINE
                )
        await analytics_service.refresh(container.uow)
    finally:
        await container.stop()


def scratch_settings(scratch: Path) -> dict[str, Any]:
    """Overrides that keep the run away from your data: a fresh SQLite file in ``scratch``, the demo seeded,
    the in-process broker. The bot's trained models still come from (and are cached in) your data dir."""
    return {
        "database_url": f"sqlite:///{scratch / 'screenshots.db'}",
        "demo": True,
        "redis_url": "",
        "log_level": "warning",
        "job_workers": 2,
    }


async def capture(
    directory: Path,
    *,
    chromium: str,
    settings: Settings,
    on_step: Callable[[str], None] = lambda step: None,
) -> Capture:
    """Serve a scratch demo in-process and write the screenshots into ``directory``."""
    from playwright.async_api import async_playwright

    result = Capture()
    await simulate_history(settings, *SIMULATED)
    on_step(STEPS[0])
    container = build_container(settings)
    server: LoopbackServer | None = None
    try:
        await container.start(migrate_schema=False, seed=False)
        server = LoopbackServer(container)
        await server.start()
        on_step(STEPS[1])
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            try:
                story = _Story(browser, server.http, result)
                await story.play(directory, on_step)
            finally:
                await browser.close()
    finally:
        if server is not None:
            await server.stop()
        await container.stop()
    return result


class _Story:
    """The pages of one run, each in its own browser context (a customer and an agent share no cookies)."""

    def __init__(self, browser: Any, base: str, result: Capture) -> None:
        from playwright.async_api import expect

        self.browser = browser
        self.base = base
        self.result = result
        self.expect = expect

    async def page(self, viewport: dict[str, int] = DESKTOP) -> Any:
        context = await self.browser.new_context(viewport=viewport, device_scale_factor=1)
        page = await context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.on("pageerror", lambda error: self.result.page_errors.append(str(error)))
        return page

    async def shoot(self, page: Any, path: Path, *, full_page: bool = False) -> None:
        await page.wait_for_timeout(300)  # let the last layout and scroll settle
        await page.screenshot(path=str(path), full_page=full_page)
        self.result.files.append(path)

    async def play(self, directory: Path, on_step: Callable[[str], None]) -> None:
        expect = self.expect
        agent = await self.page()
        await self._sign_in(agent, AGENT_EMAIL, online=True)
        customer = await self.page()
        await self._ask_for_a_person(customer, CUSTOMER_SAYS)
        await agent.get_by_role("button", name="Accept").first.click()
        summary = agent.get_by_label("Handoff summary")
        await expect(summary).to_contain_text("Handoff:", timeout=TIMEOUT_MS)
        suggestions = agent.get_by_role("list", name="Suggested replies")
        await expect(suggestions.get_by_role("button", name="Use").first).to_be_visible(timeout=TIMEOUT_MS)
        await agent.get_by_label("Reply to the customer").fill(AGENT_SAYS)
        await agent.get_by_role("button", name="Send").click()
        await expect(customer.locator(".tw-agent")).to_have_count(1, timeout=TIMEOUT_MS)

        await self._scroll_to_end(customer, ".tw-log")
        await self.shoot(customer, directory / "widget.png")
        on_step("widget.png")
        await customer.set_viewport_size(PHONE)
        await self._scroll_to_end(customer, ".tw-log")
        await self.shoot(customer, directory / "widget-phone.png")
        on_step("widget-phone.png")

        for locale, launcher, talk, text in WAITING_CUSTOMERS:
            waiting = await self.page()
            await self._ask_for_a_person(waiting, (text,), locale=locale, launcher=launcher, talk=talk)
            cid = await waiting.evaluate("TandemWidget.conversationId()")
            await expect(agent.get_by_role("button", name=f"#{cid} ")).to_be_visible(timeout=TIMEOUT_MS)
        transcript = agent.get_by_role("log", name="Transcript")
        await expect(transcript).to_contain_text(AGENT_SAYS, timeout=TIMEOUT_MS)
        await summary.evaluate("node => node.parentElement.scrollTo(0, 0)")  # the summary on top
        await agent.mouse.move(0, 0)  # no hover highlight in the picture
        await self.shoot(agent, directory / "console.png")
        on_step("console.png")

        supervisor = await self.page()
        await self._sign_in(supervisor, SUPERVISOR_EMAIL, online=False)
        await supervisor.get_by_role("link", name="Supervisor view").click()
        agents = supervisor.get_by_role("table", name="Agents")
        await expect(agents.get_by_role("row", name=AGENT_NAME)).to_contain_text("online", timeout=TIMEOUT_MS)
        await supervisor.wait_for_function(_QUEUES_WAITING, arg=len(WAITING_CUSTOMERS), timeout=TIMEOUT_MS)
        await self.shoot(supervisor, directory / "supervisor.png", full_page=True)  # the page scrolls
        on_step("supervisor.png")

        await supervisor.get_by_role("link", name="Analytics").click()
        await expect(supervisor.get_by_role("status")).to_contain_text(
            "conversations from", timeout=TIMEOUT_MS
        )
        await expect(supervisor.locator("canvas")).to_have_count(10, timeout=TIMEOUT_MS)
        await supervisor.set_viewport_size({"width": 1280, "height": 1400})
        await self.shoot(supervisor, directory / "dashboard.png")
        on_step("dashboard.png")

        await supervisor.get_by_role("link", name="Workforce plan").click()
        await supervisor.get_by_label("History (days)").fill(str(SIMULATED[1]))
        await supervisor.get_by_role("button", name="Plan").click()
        await expect(supervisor.get_by_role("status")).to_contain_text("Planned", timeout=60_000)
        await self.shoot(supervisor, directory / "wfm.png")
        on_step("wfm.png")

    async def _ask_for_a_person(
        self,
        page: Any,
        texts: tuple[str, ...],
        *,
        locale: str = "en",
        launcher: str = "Chat with us",
        talk: str = "Talk to an agent",
    ) -> None:
        """The customer's side: open the widget, say each text and wait for the answer, then ask for a
        person and wait for the notices that one is coming and of the place in the queue."""
        await page.goto(f"{self.base}/demo/store?lang={locale}")
        await page.get_by_role("button", name=launcher).click()
        box = page.locator("#tandem-input")
        answers = page.locator(".tw-bot, .tw-system:not(.tw-typing)")
        for text in texts:
            before = await answers.count()
            await box.fill(text)
            await box.press("Enter")
            await answers.nth(before).wait_for(timeout=TIMEOUT_MS)
        notices = page.locator(".tw-system:not(.tw-typing)")
        before = await notices.count()
        ask = page.get_by_role("button", name=talk)
        if await ask.is_visible():  # hidden when the bot has already brought in a person
            await ask.click()
            await notices.nth(before + 1).wait_for(timeout=TIMEOUT_MS)  # a person is coming; the place
        else:
            await notices.nth(max(0, before - 1)).wait_for(timeout=TIMEOUT_MS)

    async def _sign_in(self, page: Any, email: str, *, online: bool) -> None:
        await page.goto(f"{self.base}/console/login")
        await page.get_by_label("E-mail").fill(email)
        await page.get_by_label("Password").fill(DEMO_PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await self.expect(page).to_have_url(f"{self.base}/console", timeout=TIMEOUT_MS)
        await self.expect(page.get_by_role("heading", name="Tandem console ·")).to_be_visible(
            timeout=TIMEOUT_MS
        )
        if online:
            # once the lists are filled the console has read the stored presence and will not overwrite ours
            conversations = page.get_by_role("region", name="Conversations")
            await conversations.get_by_role("listitem").first.wait_for(timeout=TIMEOUT_MS)
            presence = page.get_by_label("Presence")
            async with page.expect_response(_is_presence_change, timeout=TIMEOUT_MS) as answer:
                await presence.select_option("online")
            response = await answer.value
            if not response.ok:
                raise RuntimeError(f"{email} could not go online (HTTP {response.status})")
            await self.expect(presence).to_have_value("online", timeout=TIMEOUT_MS)

    @staticmethod
    async def _scroll_to_end(page: Any, selector: str) -> None:
        await page.locator(selector).evaluate("node => { node.scrollTop = node.scrollHeight; }")


def _is_presence_change(response: Any) -> bool:
    return bool(response.request.method == "PUT" and response.url.endswith("/api/v1/routing/presence"))


# True once the supervisor view's Queues table counts at least ``arg`` waiting conversations in all.
_QUEUES_WAITING = """expected => {
  const table = [...document.querySelectorAll("table")].find(t => t.caption && t.caption.textContent === "Queues");
  if (!table) return false;
  let waiting = 0;
  table.querySelectorAll("tr").forEach(row => {
    const cells = row.querySelectorAll("td");
    if (cells.length > 1) waiting += Number(cells[1].textContent) || 0;
  });
  return waiting >= expected;
}"""

"""Browser fixtures, a pytest plugin loaded by tests/conftest.py: Debian's Chromium driven by Playwright
against a real uvicorn server (the live_server fixture). A missing Chromium is a failure under
TANDEM_REQUIRE_SERVICES=1."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from typing import Any

import playwright.async_api as playwright_api
import pytest

from conftest import service_missing

CHROMIUM = os.environ.get("TANDEM_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
HAVE_CHROMIUM = os.path.exists(CHROMIUM)
TIMEOUT_MS = 15_000
playwright_api.expect.set_options(timeout=TIMEOUT_MS)  # a loaded 2-core CI machine needs more than 5 s


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if not HAVE_CHROMIUM:
        service_missing("Chromium", FileNotFoundError(CHROMIUM))
    async with playwright_api.async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        await launched.close()


@pytest.fixture
async def new_page(browser: Any) -> AsyncIterator[Any]:
    """Pages in separate browser contexts (a customer and an agent do not share cookies); any JavaScript
    error on any of them fails the test."""
    errors: list[str] = []
    contexts: list[Any] = []

    async def make() -> Any:
        context = await browser.new_context()
        contexts.append(context)
        page = await context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield make
    for context in contexts:
        await context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.fixture
async def page(new_page: Any) -> Any:
    return await new_page()

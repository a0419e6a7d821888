"""``tandem screenshots``: the six pictures (the dashboard and the workforce plan over simulated traffic
among them) are real PNGs with something on them, taken in Chromium over a scratch demo store, and no page
raised a JavaScript error on the way."""

from __future__ import annotations

from pathlib import Path

import pytest

from browser_fixtures import CHROMIUM, HAVE_CHROMIUM
from conftest import service_missing
from tandem.cli.screenshots import FILES, capture, scratch_settings
from tandem.settings import Settings


@pytest.mark.slow
@pytest.mark.timeout(300)  # a fresh data dir trains the bot's intent model first (most of the time)
async def test_the_six_screenshots_are_written(tmp_path: Path) -> None:
    if not HAVE_CHROMIUM:
        service_missing("Chromium", FileNotFoundError(CHROMIUM))
    settings = Settings(
        **scratch_settings(tmp_path),
        data_dir=tmp_path / "data",
        bot_intent_backend="ngram",  # trains in seconds; the pictures do not depend on the backend
    )
    steps: list[str] = []
    result = await capture(tmp_path / "out", chromium=CHROMIUM, settings=settings, on_step=steps.append)
    assert steps == ["simulating traffic", "starting Tandem", *FILES]
    assert [path.name for path in result.files] == list(FILES)
    for name in FILES:
        data = (tmp_path / "out" / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n"), name
        assert len(data) > 10_000, f"{name} is only {len(data)} bytes"
    assert result.page_errors == []

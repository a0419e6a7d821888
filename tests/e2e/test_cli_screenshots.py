"""``tandem screenshots`` without its prerequisites: one clear line and exit status 2, no traceback."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tandem.cli.main import app

runner = CliRunner()


def _said(output: str) -> str:
    """The output with Rich's line wrapping undone."""
    return " ".join(output.split())


def test_a_missing_chromium_names_the_path_and_how_to_install_it(tmp_path: Path) -> None:
    pytest.importorskip("playwright.async_api")
    missing = tmp_path / "no-such-chromium"
    result = runner.invoke(app, ["screenshots", str(tmp_path / "out"), "--chromium", str(missing)])
    assert result.exit_code == 2, result.output
    said = _said(result.output)
    assert str(missing) in said
    assert "apt-get install chromium" in said
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()  # nothing is written when nothing can be taken


def test_the_chromium_option_defaults_to_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("playwright.async_api")
    missing = tmp_path / "from-env"
    monkeypatch.setenv("TANDEM_CHROMIUM", str(missing))
    result = runner.invoke(app, ["screenshots", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert str(missing) in _said(result.output)


def test_without_playwright_the_message_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "playwright", None)  # import playwright... raises ImportError
    monkeypatch.setitem(sys.modules, "playwright.async_api", None)
    result = runner.invoke(app, ["screenshots", str(tmp_path / "out"), "--chromium", sys.executable])
    assert result.exit_code == 2, result.output
    assert "screenshots need Playwright: pip install -e '.[dev]'" in _said(result.output)
    assert "Traceback" not in result.output

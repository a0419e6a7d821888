"""What every command shares: the consoles and reading settings with a clear message on bad values."""

from __future__ import annotations

from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console

from tandem.settings import Settings, load_settings

console = Console()
err = Console(stderr=True)


def settings_or_exit(**overrides: Any) -> Settings:
    """The settings, or a one-line message naming the bad value and exit status 2."""
    try:
        return load_settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        err.print(f"[red]Configuration error[/red] in {field or 'settings'}: {first['msg']}")
        raise typer.Exit(2) from None

"""What every command shares: the consoles and reading settings with a clear message on bad values."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tandem.settings import Settings, load_settings

console = Console()
# Messages are never hard-wrapped: a path or command split over two lines cannot be copied or grepped.
err = Console(stderr=True, soft_wrap=True)


def settings_or_exit(**overrides: Any) -> Settings:
    """The settings, or a one-line message naming the bad value and exit status 2."""
    try:
        return load_settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        err.print(f"[red]Configuration error[/red] in {field or 'settings'}: {first['msg']}")
        raise typer.Exit(2) from None


@contextmanager
def stage_progress() -> Iterator[Callable[[str, int, int], None]]:
    """A Rich progress bar per stage of long work (encode, fit, cross-validation, score...), on stderr so
    --json output stays clean. Yields the callback the domain code reports to."""
    columns = (TextColumn("{task.description:<18}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=False) as bar:
        tasks: dict[str, Any] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=max(total, 1))
            bar.update(tasks[stage], completed=done, total=max(total, 1))

        yield report


@contextmanager
def exit_on_user_errors() -> Iterator[None]:
    """A domain error (bad file, unknown name, missing setting) or an OS error becomes one line and exit 2."""
    from tandem.core.errors import TandemError

    try:
        yield
    except TandemError as exc:
        err.print(f"[red]Error:[/red] {exc.detail}")
        raise typer.Exit(2) from None
    except OSError as exc:  # unreadable file, full disk, permissions
        where = f" ({exc.filename})" if exc.filename else ""
        err.print(f"[red]Error:[/red] {exc.strerror or exc}{where}")
        raise typer.Exit(2) from None


def write_output(text: str, output: Path | None, done: str) -> None:
    """To stdout, or to ``output`` with ``done`` said on stderr."""
    if output is None:
        console.out(text, end="", highlight=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        err.print(f"[red]Error:[/red] cannot write {output}: {exc.strerror or exc}")
        raise typer.Exit(2) from exc
    err.print(done)

"""``tandem bench ...``: benchmarks that print figures (a table, or JSON with --json)."""

from __future__ import annotations

import typer

bench_app = typer.Typer(help="Benchmarks that print figures.", no_args_is_help=True)

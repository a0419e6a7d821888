"""The one error a benchmark raises on purpose: its message is a complete sentence for the CLI to print."""

from __future__ import annotations


class BenchError(Exception):
    """A benchmark could not run (database unreachable, server never ready). Printed as one line, exit 2."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

"""Errors of the bot: each names what went wrong and what to do about it."""

from __future__ import annotations

from tandem.core.errors import ConfigurationError, InvalidInputError


class MissingExtraError(ConfigurationError):
    code = "missing_extra"

    def __init__(self, *, module: str, extra: str) -> None:
        super().__init__(
            f"The Python package providing '{module}' is not installed. "
            f"Install it with: pip install 'tandem-cx[{extra}]'",
            module=module,
            extra=extra,
        )


class UnknownComponentError(ConfigurationError):
    code = "unknown_component"

    def __init__(self, *, kind: str, name: str, known: list[str]) -> None:
        super().__init__(
            f"Unknown {kind} '{name}'. Known: {', '.join(sorted(known))}.", kind=kind, name=name, known=known
        )


class TrainingDataError(InvalidInputError):
    """A training or test file that cannot be used; the message names the file and, where known, the line."""

    code = "invalid_training_data"

    def __init__(self, detail: str, *, path: str, line: int | None = None) -> None:
        where = f"{path}, line {line}" if line is not None else path
        super().__init__(f"{where}: {detail}", path=path, line=line)

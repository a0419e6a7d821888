"""The one typed configuration object. Nothing else in Tandem reads ``os.environ``."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path.home() / ".local" / "share" / "tandem"


class Settings(BaseSettings):
    """Every knob, read from ``TANDEM_*`` environment variables (or a ``.env`` file)."""

    model_config = SettingsConfigDict(env_prefix="TANDEM_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=DEFAULT_DATA_DIR, description="Where the embedded SQLite file lives.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL. Unset: SQLite file in data_dir. postgresql://... uses asyncpg.",
    )
    redis_url: str | None = Field(
        default=None, description="Unset: in-process broker. redis://... fans events out across instances."
    )
    database_pool_size: int = Field(default=10, ge=1, le=200)
    demo: bool = Field(default=True, description="Seed the demo store and its staff on first start.")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["console", "json"] = "console"
    max_message_chars: int = Field(default=10_000, ge=1)
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    token_ttl_hours: int = Field(default=12, ge=1, description="Lifetime of staff API tokens.")
    identity_secret: str | None = Field(
        default=None,
        description="HMAC secret for verified customer identities from the widget (optional).",
    )
    job_workers: int = Field(default=2, ge=0, le=64, description="In-process job workers (0: none).")
    outbox_sweep_seconds: float = Field(default=5.0, gt=0)
    ws_ping_seconds: float = Field(default=20.0, gt=0)
    metrics_token: str | None = Field(
        default=None, description="Bearer token for /metrics from other hosts (loopback needs none)."
    )

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("sqlite", "postgresql", "postgres://")):
            raise ValueError("TANDEM_DATABASE_URL must start with sqlite:// or postgresql://")
        return value

    @property
    def resolved_database_url(self) -> str:
        """The async SQLAlchemy URL actually used (driver filled in)."""
        return async_database_url(self.database_url or f"sqlite:///{self.data_dir / 'tandem.db'}")


def async_database_url(url: str) -> str:
    """Map plain URLs to the async drivers Tandem uses (aiosqlite, asyncpg)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    for plain, driver in (
        ("postgresql+psycopg://", "postgresql+asyncpg://"),
        ("postgresql+psycopg2://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return driver + url.removeprefix(plain)
    return url


def load_settings(**overrides: object) -> Settings:
    """Read the environment once; explicit overrides (CLI flags, tests) win."""
    clean = {key: value for key, value in overrides.items() if value is not None}
    return Settings(**clean)  # type: ignore[arg-type]

"""The one typed configuration object. Nothing else in Tandem reads ``os.environ``."""

from __future__ import annotations

from email.utils import parseaddr
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
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
    job_workers: int = Field(default=2, ge=0, le=64, description="Job workers in this process (0: none).")
    job_queue: Literal["auto", "inprocess", "saq"] = Field(
        default="auto", description="auto: SAQ in Redis when TANDEM_REDIS_URL is set, else in-process."
    )
    job_queue_name: str = Field(
        default="tandem-jobs",
        min_length=1,
        max_length=100,
        description="The SAQ queue in Redis (per deployment).",
    )
    outbox_sweep_seconds: float = Field(default=5.0, gt=0)
    widget_origins: list[str] = Field(
        default_factory=lambda: ["*"],
        description='Pages allowed to embed the chat widget (CORS), JSON, e.g. ["https://shop.example.com"].',
    )
    routing_tick_seconds: float = Field(
        default=2.0,
        gt=0,
        le=60,
        description="How often lapsed offers, waiting conversations and SLA timers are checked.",
    )
    presence_grace_seconds: float = Field(
        default=30.0,
        ge=0,
        le=3600,
        description="How long an agent whose console tabs all closed stays in the presence they chose (a "
        "reload or a network blip); then they are offline until a tab connects again.",
    )
    ws_ping_seconds: float = Field(default=20.0, gt=0)
    metrics_token: str | None = Field(
        default=None, description="Bearer token for /metrics from other hosts (loopback needs none)."
    )

    bot_responder: str = Field(
        default="tier0",
        description="tier0 (rules, intents, knowledge, flows), llm (tier0 + a language model), starter.",
    )
    bot_intent_backend: str = Field(
        default="minilm", description="minilm (embeddings + n-grams, default) or ngram (no model weights)."
    )
    bot_encoder: str = Field(
        default="minilm",
        description="Sentence encoder of the minilm backend: minilm (ONNX, built in) or sentence-transformers.",
    )
    bot_encoder_model: Path | None = Field(
        default=None, description="Local model directory for bot_encoder=sentence-transformers."
    )
    bot_intent_model: Path | None = Field(
        default=None, description="A model file from `tandem bot train`; unset: the demo store's intents."
    )
    bot_oos_share: float | None = Field(
        default=None,
        ge=0.0,
        le=0.95,
        description="Share of the bot's traffic assumed out of scope (0-0.95); the out-of-scope threshold "
        "maximises expected accuracy at it. Unset: the model's labelled sample, else 0.1. "
        "`tandem bot operating-point --from-history` estimates it from your own customers' messages.",
    )
    bot_wrong_answer_cost: float = Field(
        default=1.0,
        ge=1.0,
        le=100.0,
        description="How much worse a wrong answer is than a needless 'I didn't understand' (1: accuracy).",
    )
    learning_default_consent: bool = Field(
        default=True,
        description="May a customer's messages train the bot when they have not said either way (the "
        "customer's training_consent)? Set false where consent must be explicit.",
    )
    learning_base_data: Path | None = Field(
        default=None,
        description="The intents every retrained model starts from (CSV text,category or JSON splits); "
        "unset: the demo store's intents.",
    )
    analytics_refresh_seconds: float = Field(
        default=60, ge=1, le=3600, description="How often the analytics rollups catch up with new events."
    )
    analytics_retention_days: int = Field(
        default=400, ge=1, le=3650, description="The longest window the dashboard and its exports accept."
    )
    analytics_answer_seconds: int = Field(
        default=60,
        description="The service level's target: a person joins within this many seconds (one of the wait "
        "bins of docs/metrics.md: 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 300...).",
    )
    price_bot_conversation: float = Field(
        default=0.10, ge=0, description="What the AI costs per conversation (cost per contact, savings)."
    )
    price_agent_hour: float = Field(
        default=30.0, ge=0, description="What an hour of an agent costs, loaded (workforce plans, ROI)."
    )
    price_human_conversation: float = Field(
        default=4.00,
        ge=0,
        description="What a conversation a person handles costs (cost per contact, savings).",
    )
    bot_answer_bar: float = Field(
        default=0.5, ge=0, le=1, description="Minimum match to answer from an article."
    )
    escalation_rules: Path | None = Field(
        default=None,
        description="Escalation policy YAML; unset: the packaged bot/escalation_rules.yaml.",
    )
    routing_config: Path | None = Field(
        default=None,
        description="Queues, priorities, offers and SLA targets (YAML); unset: the packaged routing/routing.yaml.",
    )
    llm_base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible API (Ollama, vLLM, llama.cpp, OpenAI), e.g. http://127.0.0.1:11434/v1",
    )
    llm_model: str = "llama3.2"
    llm_api_key: str | None = None
    llm_timeout_seconds: float = Field(
        default=6.0, gt=0, le=8, description="Below the bot's 10 s turn limit, so Tier 0 can still answer."
    )
    mail_from: str = Field(
        default="Loom & Lantern support <support@loom-lantern.example>",
        min_length=3,
        max_length=320,
        description="The From address of e-mail to customers (follow-ups); its domain also names Message-IDs.",
    )
    smtp_relay: str | None = Field(
        default=None,
        description="host:port of the SMTP relay for e-mail to customers; unset: messages are written as "
        ".eml files to data_dir/outbox instead.",
    )
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        default="starttls",
        description="starttls (submission, port 587), tls (implicit TLS, port 465) or none (a local relay).",
    )
    smtp_username: str | None = Field(default=None, description="SMTP login, when the relay asks for one.")
    smtp_password: SecretStr | None = None

    @property
    def smtp_host_port(self) -> tuple[str, int] | None:
        return parse_relay(self.smtp_relay) if self.smtp_relay else None

    @property
    def mail_outbox_dir(self) -> Path:
        """Where e-mail goes when no SMTP relay is configured."""
        return self.data_dir / "outbox"

    @field_validator("smtp_relay")
    @classmethod
    def _relay_is_host_port(cls, value: str | None) -> str | None:
        if not value:
            return None
        parse_relay(value)
        return value

    @field_validator("mail_from")
    @classmethod
    def _from_has_an_address(cls, value: str) -> str:
        address = parseaddr(value)[1]
        if "@" not in address or address.startswith("@") or address.endswith("@"):
            raise ValueError(f"'{value}' has no e-mail address; use 'Name <support@example.com>'")
        return value

    @model_validator(mode="after")
    def _smtp_login_is_complete(self) -> Settings:
        if (self.smtp_username is None) != (self.smtp_password is None):
            raise ValueError("set both TANDEM_SMTP_USERNAME and TANDEM_SMTP_PASSWORD, or neither")
        return self

    @property
    def model_dir(self) -> Path:
        """Trained models are cached here, named by the fingerprint of their training data."""
        return self.data_dir / "models"

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


def parse_relay(relay: str) -> tuple[str, int]:
    """``host:port``, ``host`` (port 587) or ``[v6 address]:port`` → (host, port); ValueError otherwise."""
    value = relay.strip()
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        port_text = rest.removeprefix(":")
    elif ":" in value:
        host, _, port_text = value.rpartition(":")
    else:
        host, port_text = value, ""
    if not host or any(c.isspace() for c in host):
        raise ValueError(f"'{relay}' is not host:port")
    if port_text and not port_text.isdigit():
        raise ValueError(f"'{relay}': the port must be a number")
    port = int(port_text) if port_text else 587
    if not 1 <= port <= 65535:
        raise ValueError(f"'{relay}': the port must be between 1 and 65535")
    return host, port


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

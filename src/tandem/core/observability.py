"""Structured logs, Prometheus metrics and the request id carried on every log line.

Logs never carry customer text or secrets: log calls pass ids and counts only, and a processor masks any
field whose name looks sensitive, as a second line of defence.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from contextvars import ContextVar
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "tandem_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=REGISTRY
)
HTTP_LATENCY = Histogram(
    "tandem_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    registry=REGISTRY,
)
MESSAGES = Counter("tandem_messages_total", "Messages stored", ["author"], registry=REGISTRY)
TRANSITIONS = Counter(
    "tandem_ownership_transitions_total", "Conversation ownership changes", ["to_state"], registry=REGISTRY
)
JOBS = Counter("tandem_jobs_total", "Jobs run", ["job", "outcome"], registry=REGISTRY)
JOB_SECONDS = Histogram("tandem_job_seconds", "Job run time", ["job"], registry=REGISTRY)
JOB_QUEUE_DEPTH = Gauge(
    "tandem_job_queue_depth", "Jobs waiting or running in this process", registry=REGISTRY
)
OUTBOX_PENDING = Gauge("tandem_outbox_pending", "Outbox rows not yet acknowledged", registry=REGISTRY)
WEBSOCKETS = Gauge("tandem_websockets_open", "Open live-chat sockets", ["role"], registry=REGISTRY)
WS_REPLAYED = Counter(
    "tandem_ws_replayed_messages_total",
    "Messages sent from the database to catch a socket up",
    registry=REGISTRY,
)

request_id_var: ContextVar[str | None] = ContextVar("tandem_request_id", default=None)

SENSITIVE_KEYS = ("password", "token", "secret", "authorization", "text", "body", "email", "phone", "cookie")


def _add_request_id(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    request_id = request_id_var.get()
    if request_id is not None:
        event_dict.setdefault("request_id", request_id)
    return event_dict


def _mask_sensitive(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        lowered = key.lower()
        if key != "event" and any(marker in lowered for marker in SENSITIVE_KEYS):
            event_dict[key] = "***"
    return event_dict


def configure_logging(*, level: str = "info", fmt: str = "console") -> None:
    """Idempotent; called by the composition root, never at import time."""
    numeric = getattr(logging, level.upper(), logging.INFO)
    renderer: Any = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _add_request_id,
            _mask_sensitive,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        # sys.stderr as it is when a line is logged, not when logging was configured: an embedding program
        # (or a test runner) may replace and close the stream it had then.
        logger_factory=_current_stderr_logger,
        cache_logger_on_first_use=False,
    )


def _current_stderr_logger(*_args: Any) -> structlog.PrintLogger:
    return structlog.PrintLogger(file=sys.stderr)

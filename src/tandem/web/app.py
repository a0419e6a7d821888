"""The ASGI application. ``create_app`` takes a built container so tests and benchmarks choose theirs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from tandem import __version__
from tandem.bootstrap import Container, build_container
from tandem.settings import Settings, load_settings
from tandem.web import ui
from tandem.web.errors import install_error_handlers
from tandem.web.middleware import RequestContextMiddleware
from tandem.web.realtime import gateway
from tandem.web.routes import (
    analytics,
    assist,
    auth,
    console,
    conversations,
    customers,
    kb,
    learning,
    routing,
    system,
    wfm,
    widget,
)

DESCRIPTION = """
Tandem's REST API. Customers use a **conversation token** (`tdc_...`, returned once by
`POST /api/v1/conversations`); staff use a **staff token** (`tds_...`, from `POST /api/v1/auth/token`).
Errors are always `{"code", "detail", "request_id"}`.
Live chat: `WS /api/v1/conversations/{id}/live?token=...&after_seq=N`.
"""


def create_app(
    container: Container | None = None, *, settings: Settings | None = None, manage: bool = True
) -> FastAPI:
    """``manage``: start and stop the container with the app (False when the caller owns its lifetime)."""
    container = container or build_container(settings or load_settings())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if manage:
            await container.start()
        try:
            yield
        finally:
            if manage:
                await container.stop()

    app = FastAPI(title="Tandem", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.container = container
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=container.settings.max_body_bytes)
    # The widget runs on the shop's own pages and calls us with a bearer token, never a cookie.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=container.settings.widget_origins,
        allow_methods=["GET", "POST", "PUT"],
        allow_headers=["authorization", "content-type"],
        allow_credentials=False,
    )
    for module in (
        system,
        auth,
        conversations,
        customers,
        routing,
        assist,
        kb,
        learning,
        analytics,
        wfm,
        widget,
        console,
    ):
        app.include_router(module.router)
    app.include_router(gateway.router)
    # The chat widget is plain files in the package: nothing is fetched from a CDN.
    app.mount("/static", StaticFiles(directory=Path(ui.__file__).parent / "static"), name="static")
    return app

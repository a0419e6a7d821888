"""Health, readiness, metrics and the landing page."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from tandem import __version__
from tandem.core import migrate
from tandem.core.errors import PermissionDeniedError
from tandem.core.observability import REGISTRY
from tandem.web.deps import ContainerDep, Credentials
from tandem.web.ui.pages import demo_store_page, landing_page

router = APIRouter(tags=["system"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok", "version": __version__}


@router.get("/readyz", responses={503: {"description": "A dependency is down."}})
async def readyz(container: ContainerDep) -> JSONResponse:
    """Ready to serve: database reachable and migrated, broker reachable, workers running."""
    checks: dict[str, str] = {}
    try:
        async with container.database.read_engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        current = await migrate.current_revision(container.database)
        checks["database"] = (
            "ok" if current == migrate.head_revision() else f"schema at {current}, run 'tandem db upgrade'"
        )
    except Exception as exc:  # readiness reports, never raises
        checks["database"] = f"unreachable ({type(exc).__name__})"
    checks["broker"] = "ok" if await container.broker.ping() else "degraded"
    checks["workers"] = "ok" if container.started else "stopped"
    ready = checks["database"] == "ok" and checks["workers"] == "ok"
    body = {
        "status": "ready" if ready else "not_ready",
        "checks": checks,
        "database": container.database.dialect,
    }
    return JSONResponse(status_code=200 if ready else 503, content=body)


LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request, container: ContainerDep, credentials: Credentials) -> Response:
    """Prometheus scrape. Open to the same host; from elsewhere it needs ``TANDEM_METRICS_TOKEN``."""
    host = request.client.host if request.client else ""
    expected = container.settings.metrics_token
    given = credentials.credentials if credentials else ""
    if host not in LOOPBACK and not (expected and hmac.compare_digest(given, expected)):
        raise PermissionDeniedError("Metrics are served to this host, or with the metrics token.")
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def landing(container: ContainerDep) -> HTMLResponse:
    return HTMLResponse(landing_page(demo=container.settings.demo, database=container.database.dialect))


@router.get("/demo/store", response_class=HTMLResponse, include_in_schema=False)
async def demo_store(lang: str = "en") -> HTMLResponse:
    """The demo shop front with the chat widget, in en, es, fr or de."""
    return HTMLResponse(demo_store_page(locale=lang))

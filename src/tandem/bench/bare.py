"""The baseline: the smallest FastAPI endpoint that reads the same JSON body as the product's message route.

Served by the same uvicorn, measured by the same client in the same run, so the ratio isolates what the
product adds (validation, auth, the unit of work, SQL, events) from what the framework and server cost.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

app = FastAPI(title="Tandem bench baseline", openapi_url=None, docs_url=None, redoc_url=None)


@app.post("/bare")
async def bare(payload: dict[str, Any]) -> dict[str, bool]:
    return {"ok": True}


@app.get("/readyz")
async def readyz() -> dict[str, str]:
    return {"status": "ready"}

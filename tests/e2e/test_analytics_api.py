"""Analytics over HTTP: conversations made through the API show up on the dashboard after a refresh; every
metric has its endpoint; the tables export as CSV (the contacts export streams); only supervisors and admins
read them; bad windows, filters and metric names get a 422 that lists what is allowed."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from helpers import bearer, eventually, staff_token, start_conversation

TODAY = datetime.now(UTC).date()


@pytest.fixture
def backend() -> str:
    """The HTTP surface; the rollups' SQL runs on both databases in the service tests."""
    return "sqlite"


async def _traffic(api: httpx.AsyncClient) -> str:
    """Two conversations: one the bot resolves and the customer rates, one handed to an agent who resolves
    it. Returns an admin token, after the rollups caught up."""
    first, token = await start_conversation(api, first_message={"body": "where is my order?"}, channel="web")
    await api.post(f"/api/v1/conversations/{first}/close", headers=bearer(token))
    rated = await api.post(
        f"/api/v1/conversations/{first}/rating", json={"csat": 5, "nps": 10}, headers=bearer(token)
    )
    assert rated.status_code == 200, rated.text
    agent = await staff_token(api)
    second, token2 = await start_conversation(
        api, first_message={"body": "I want to talk to a person"}, channel="email"
    )

    async def waiting() -> bool | None:
        found = await api.get(f"/api/v1/conversations/{second}", headers=bearer(token2))
        return True if found.json()["state"] in ("waiting", "human") else None

    await eventually(waiting)
    taken = await api.post(f"/api/v1/conversations/{second}/assign", json={}, headers=bearer(agent))
    assert taken.status_code == 200, taken.text
    await api.post(
        f"/api/v1/conversations/{second}/messages", json={"body": "Happy to help."}, headers=bearer(agent)
    )
    await api.post(f"/api/v1/conversations/{second}/close", headers=bearer(agent))
    admin = await staff_token(api, "admin@tandem.example", online=False)
    refreshed = await api.post("/api/v1/analytics/refresh", headers=bearer(admin))
    assert refreshed.status_code == 200 and refreshed.json()["conversations"] >= 2
    return admin


async def test_the_dashboard_shows_what_happened_and_every_metric_has_an_endpoint(
    api: httpx.AsyncClient,
) -> None:
    admin = await _traffic(api)
    supervisor = await staff_token(api, "supervisor@tandem.example", online=False)
    found = await api.get("/api/v1/analytics/dashboard", headers=bearer(supervisor))
    assert found.status_code == 200, found.text
    data = found.json()
    assert data["window"]["end"] == TODAY.isoformat() and data["window"]["grain"] == "day"
    assert [stage["count"] for stage in data["funnel"]][:2] == [2, 1]
    metrics = {m["name"]: m for m in data["metrics"]}
    assert metrics["containment"]["numerator"] == 1 and metrics["containment"]["denominator"] == 2
    assert metrics["csat_bot_only"]["value"] == 1.0 and metrics["nps"]["value"] == 100.0
    assert metrics["first_response_time"]["count"] == 1
    assert {row["key"] for row in data["breakdowns"]["channel"]} == {"web", "email"}
    assert data["refreshed_at"] is not None
    catalogue = (await api.get("/api/v1/analytics/metrics", headers=bearer(admin))).json()
    assert {m["name"] for m in catalogue} >= {
        "containment",
        "csat_after_handoff",
        "service_level",
        "assist_acceptance",
    }
    for name in ("containment", "escalation_rate", "assist_acceptance"):
        one = await api.get(f"/api/v1/analytics/metrics/{name}", params={"grain": "hour", "start": TODAY.isoformat()},
                            headers=bearer(admin))  # fmt: skip
        assert one.status_code == 200, one.text
        assert one.json()["metric"]["name"] == name
    hourly = (await api.get("/api/v1/analytics/metrics/escalation_rate", params={"start": TODAY.isoformat()},
                            headers=bearer(admin))).json()  # fmt: skip
    assert len(hourly["series"]) == 24 and sum(p["conversations"] for p in hourly["series"]) == 2
    web = (
        await api.get("/api/v1/analytics/dashboard", params={"channel": "web"}, headers=bearer(admin))
    ).json()
    assert web["funnel"][0]["count"] == 1 and web["window"]["filters"] == {"channel": "web"}


async def test_tables_export_as_csv_and_the_contacts_stream(api: httpx.AsyncClient) -> None:
    admin = await _traffic(api)
    intents = await api.get("/api/v1/analytics/export/intents", headers=bearer(admin))
    assert intents.status_code == 200 and intents.headers["content-type"].startswith("text/csv")
    assert "attachment" in intents.headers["content-disposition"]
    assert next(csv.reader(io.StringIO(intents.text)))[:3] == ["intent", "conversations", "containment"]
    async with api.stream("GET", "/api/v1/analytics/export/contacts", headers=bearer(admin)) as response:
        assert response.status_code == 200
        text = "".join([chunk async for chunk in response.aiter_text()])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 2 and {r["channel"] for r in rows} == {"web", "email"}
    assert "body" not in rows[0] and rows[0]["started_at"]  # ids, codes and times; never text
    reasons = await api.get("/api/v1/analytics/export/reasons", headers=bearer(admin))
    assert [r[:3] for r in csv.reader(io.StringIO(reasons.text))] == [
        ["reason", "label", "escalations"],
        ["untagged", "untagged", "1"],
    ]
    topics = await api.get("/api/v1/analytics/export/topic", headers=bearer(admin))
    assert sum(int(r["conversations"]) for r in csv.DictReader(io.StringIO(topics.text))) == 2
    channel = await api.get(
        "/api/v1/analytics/export/channel", params={"channel": "email"}, headers=bearer(admin)
    )
    assert [r[0] for r in csv.reader(io.StringIO(channel.text))] == ["channel", "email"]


async def test_only_supervisors_and_admins_read_analytics(api: httpx.AsyncClient) -> None:
    agent = await staff_token(api, online=False)
    for path in (
        "/api/v1/analytics/dashboard",
        "/api/v1/analytics/metrics/containment",
        "/api/v1/analytics/export/contacts",
    ):
        assert (await api.get(path)).status_code == 401
        assert (await api.get(path, headers=bearer(agent))).status_code == 403
    supervisor = await staff_token(api, "supervisor@tandem.example", online=False)
    assert (await api.post("/api/v1/analytics/refresh", headers=bearer(supervisor))).status_code == 403


@pytest.mark.parametrize(
    ("path", "params", "says"),
    [
        ("/api/v1/analytics/dashboard", {"start": "2026-11-20", "end": "2026-11-01"}, "is before the start"),
        ("/api/v1/analytics/dashboard", {"start": (TODAY - timedelta(days=500)).isoformat()}, "at most 400"),
        ("/api/v1/analytics/dashboard", {"start": "yesterday"}, "start"),
        ("/api/v1/analytics/dashboard", {"start": "9999-12-30", "end": "9999-12-31"}, "in the future"),
        ("/api/v1/analytics/dashboard", {"grain": "minute"}, "grain"),
        ("/api/v1/analytics/dashboard", {"channel": "pigeon"}, "allowed:"),
        ("/api/v1/analytics/metrics/happiness", {}, "allowed: containment"),
        ("/api/v1/analytics/export/everything", {}, "table"),
        (
            "/api/v1/analytics/export/contacts",
            {"end": "2020-01-01", "start": "2020-01-02"},
            "before the start",
        ),
    ],
)
async def test_bad_windows_filters_and_names_get_422_with_the_allowed_values(
    api: httpx.AsyncClient, path: str, params: dict[str, str], says: str
) -> None:
    admin = await _admin_with_data(api)
    response = await api.get(path, params=params, headers=bearer(admin))
    assert response.status_code == 422, response.text
    assert says in response.text and "Traceback" not in response.text


async def _admin_with_data(api: httpx.AsyncClient) -> str:
    admin = await staff_token(api, "admin@tandem.example", online=False)
    await start_conversation(api, first_message={"body": "hello"})
    await api.post("/api/v1/analytics/refresh", headers=bearer(admin))
    return admin

"""Workforce management over HTTP: one interval's staffing (the textbook example), a plan from the
deployment's own conversations with the bot's what-if, supervisors only, and 422 for impossible targets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from conftest import make_settings
from helpers import bearer, staff_token
from tandem.analytics import service as analytics_service
from tandem.bench.traffic import TrafficSimulator
from tandem.bootstrap import build_container
from tandem.core.clock import FrozenClock


@pytest.fixture
def backend() -> str:
    return "sqlite"


async def test_one_interval_is_the_textbook_example(api: httpx.AsyncClient) -> None:
    supervisor = await staff_token(api, "supervisor@tandem.example", online=False)
    found = await api.get("/api/v1/wfm/staff", params={"volume": 100, "interval_minutes": 30, "aht_seconds": 180,
                                                        "service_level": 0.8, "answer_seconds": 20},
                          headers=bearer(supervisor))  # fmt: skip
    assert found.status_code == 200, found.text
    assert found.json()["agents"] == 14 and round(found.json()["service_level"], 4) == 0.8884
    patient_params = {"volume": 100, "aht_seconds": 180, "answer_seconds": 20, "patience_seconds": 300}
    patient = await api.get("/api/v1/wfm/staff", params=patient_params, headers=bearer(supervisor))
    assert patient.json()["model"] == "erlang_a" and patient.json()["agents"] == 13


@pytest.fixture
async def history(demo_database_url: str, tmp_path: Path) -> None:
    """Ten days of simulated traffic up to yesterday, rolled up, before the API starts."""
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    clock = FrozenClock(midnight)
    container = build_container(make_settings(demo_database_url, tmp_path), clock=clock)
    await container.start(migrate_schema=False, seed=False)
    try:
        simulator = TrafficSimulator(container, clock, seed=9)
        await simulator.prepare()
        await simulator.run(40, days=10, end=midnight - timedelta(hours=1))
        clock.set(midnight)
        await analytics_service.refresh(container.uow)
    finally:
        await container.stop()


async def test_a_plan_from_the_history_prices_the_bot(history: None, api: httpx.AsyncClient) -> None:
    admin = await staff_token(api, "admin@tandem.example", online=False)
    planned = await api.post("/api/v1/wfm/plan", json={"interval_minutes": 60, "days": 1, "history_days": 14,
                                                        "containment": 0.5, "target_containment": 0.7},
                             headers=bearer(admin))  # fmt: skip
    assert planned.status_code == 200, planned.text
    plan = planned.json()
    assert len(plan["intervals"]) == 24 and plan["containment"] == 0.5 and not plan["containment_measured"]
    assert [s["name"] for s in plan["scenarios"]] == ["no bot", "with the bot", "target"]
    assert plan["shortfall_intervals"] == 0 and all(i["scheduled"] >= i["agents"] for i in plan["intervals"])
    checked = plan["validation"]  # the busiest interval, simulated with the scheduled people
    assert checked is not None and checked["achieved_service_level"] >= 0.8 - 0.05
    measured = await api.post("/api/v1/wfm/plan", json={"interval_minutes": 60, "days": 1, "history_days": 14},
                              headers=bearer(admin))  # fmt: skip
    found = measured.json()
    assert measured.status_code == 200 and found["containment_measured"] is True
    assert 0 < found["containment"] < 1  # the simulated bot contains some, per channel and intent
    assert all(i["human_volume"] <= i["volume"] for i in found["intervals"])


async def test_only_supervisors_plan_and_impossible_targets_get_422(api: httpx.AsyncClient) -> None:
    agent = await staff_token(api, online=False)
    assert (
        await api.get("/api/v1/wfm/staff", params={"volume": 10}, headers=bearer(agent))
    ).status_code == 403
    assert (await api.post("/api/v1/wfm/plan", json={}, headers=bearer(agent))).status_code == 403
    assert (await api.get("/api/v1/wfm/staff", params={"volume": 10})).status_code == 401
    admin = await staff_token(api, "admin@tandem.example", online=False)
    for body, says in (({"interval_minutes": 20}, "interval_minutes"), ({"service_level": 1.2}, "service_level"),
                       ({"aht_seconds": 0}, "aht_seconds"), ({"history_days": 3}, "history_days")):  # fmt: skip
        refused = await api.post("/api/v1/wfm/plan", json=body, headers=bearer(admin))
        assert refused.status_code == 422 and says in refused.text, (body, refused.text)
    bad = await api.get(
        "/api/v1/wfm/staff", params={"volume": 10, "answer_seconds": -1}, headers=bearer(admin)
    )
    assert bad.status_code == 422 and "answer_seconds" in bad.text

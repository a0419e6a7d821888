"""Analytics from real traffic: conversations simulated through the real services (bot, routing, agents,
agent assist, ratings) become contact records and rollups; the dashboard's figures, read from the rollups
only, equal the metrics computed from every record; a refresh that fails halfway resumes where it stopped
and ends with the same figures; late events (a rating, a customer who comes back) change their own day."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import make_settings
from tandem.accounts.actors import Actor, Role
from tandem.analytics import metrics as m
from tandem.analytics import service
from tandem.bench.traffic import Mix, TrafficSimulator
from tandem.bootstrap import Container, build_container
from tandem.conversation import service as conversation_service
from tandem.conversation.schemas import ConversationCreate, MessageCreate, RatingCreate
from tandem.core.clock import FrozenClock
from tandem.core.errors import InvalidInputError
from tandem.core.ids import ConversationId, CustomerId, StaffId

END = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
SUPERVISOR = Actor.staff(StaffId(2), Role.SUPERVISOR, "Sam")


@pytest.fixture
async def simulated(demo_database_url: str, tmp_path: Path) -> AsyncIterator[tuple[Container, FrozenClock]]:
    clock = FrozenClock(END)
    container = build_container(make_settings(demo_database_url, tmp_path), clock=clock)
    await container.start(migrate_schema=False, seed=False)
    simulator = TrafficSimulator(container, clock, seed=3, mix=Mix(frustrated=0.25, asks_for_person=0.2))
    await simulator.prepare()
    report = await simulator.run(60, days=3, end=END)
    assert report.conversations == 60 and report.handed_over >= 10 and report.resolved_by_bot >= 10
    clock.set(END)
    yield container, clock
    await container.stop()


def _query(days: int = 4, **filters: str) -> service.Query:
    return service.make_query(
        start=(END - timedelta(days=days - 1)).date(), end=END.date(), filters=dict(filters),
        today=END.date(), retention_days=400,
    )  # fmt: skip


async def _scan(container: Container, query: service.Query) -> m.Tally:
    async with container.uow(write=False) as uow:
        return m.summarise([c async for c in service.contacts_of(uow, query)])


async def _dashboard(container: Container, query: service.Query) -> Any:
    async with container.uow(write=False) as uow:
        return await service.dashboard(uow, actor=SUPERVISOR, query=query, settings=container.settings)


def _values(found: Any) -> dict[str, float | None]:
    return {metric.name: metric.value for metric in found.metrics}


async def test_the_dashboard_from_rollups_equals_the_metrics_of_every_record(
    simulated: tuple[Container, FrozenClock],
) -> None:
    container, _ = simulated
    report = await service.refresh(container.uow, batch=25)
    assert report.conversations >= 60
    query = _query()
    found, scanned = await _dashboard(container, query), await _scan(container, query)
    assert scanned.conversations == 60
    for name, metric in service.METRICS.items():
        assert _values(found)[name] == metric.compute(scanned, container.settings).value, name
    # the simulated story is in the figures: people joined, customers rated, agents used assist
    values = _values(found)
    assert values["escalation_rate"] and values["containment"] and values["average_handle_time"]
    assert found.funnel[0].count == 60 and found.funnel[1].count == scanned.escalated
    assert {t.trigger for t in found.triggers} & {"sentiment", "customer_request"}
    assert sum(row.conversations for row in found.breakdowns["team"]) == 60
    assert sum(row.conversations for row in found.breakdowns["topic"]) == 60
    # why people were needed: every escalation once, by the reason agents tagged (or untagged)
    assert sum(r.escalations for r in found.reasons) == scanned.escalated
    assert {r.reason for r in found.reasons} - {"untagged"}
    by_intent = {row.key: row for row in found.breakdowns["intent"]}
    assert sum(sum(row.reasons.values()) for row in by_intent.values()) == scanned.escalated
    assert sum(sum(row.rules.values()) for row in by_intent.values()) == scanned.escalated
    assert _values(found)["assist_acceptance"] is not None
    # a filter is a sum of other rollup rows, equal to the records with that value
    web = _query(channel="web")
    assert (await _dashboard(container, web)).funnel[0].count == (await _scan_filtered(container, web))


async def _scan_filtered(container: Container, query: service.Query) -> int:
    async with container.uow(write=False) as uow:
        return len([row async for row in service.export_contacts(uow, query=query)])


async def test_a_refresh_that_fails_halfway_resumes_and_ends_with_the_same_figures(
    simulated: tuple[Container, FrozenClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    container, _ = simulated
    real = service._roll_day
    calls = {"n": 0}

    async def failing(work: Any, day: datetime) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("the database went away")
        await real(work, day)

    monkeypatch.setattr(service, "_roll_day", failing)
    with pytest.raises(OSError):
        await service.refresh(container.uow, batch=10)
    async with container.uow(write=False) as uow:
        stopped_at = await service.marker(uow, service.EVENTS_CURSOR)
    assert stopped_at is not None and stopped_at > 0  # the first batches are kept
    monkeypatch.setattr(service, "_roll_day", real)
    resumed = await service.refresh(container.uow, batch=10)
    assert resumed.position > stopped_at
    query = _query()
    found, scanned = await _dashboard(container, query), await _scan(container, query)
    assert _values(found)["containment"] == m.containment(scanned).value
    assert found.funnel[0].count == scanned.conversations == 60


async def test_late_events_change_their_own_day_and_a_returning_customer_undoes_containment(
    simulated: tuple[Container, FrozenClock],
) -> None:
    container, clock = simulated
    await service.refresh(container.uow)
    before = _values(await _dashboard(container, _query()))
    # a new customer, resolved by the bot, comes back two hours later: not contained any more
    clock.set(END - timedelta(hours=5))
    async with container.uow() as uow:
        started = await conversation_service.start_conversation(
            uow, actor=None, data=ConversationCreate(first_message=MessageCreate(body="where is my order"))
        )
    first = ConversationId(started.conversation.id)
    customer = Actor.customer(first, CustomerId(started.conversation.customer_id))
    async with container.uow() as uow:
        await conversation_service.close(uow, actor=customer, conversation_id=first)
        await conversation_service.rate(uow, actor=customer, conversation_id=first, data=RatingCreate(csat=5))
    await service.refresh(container.uow)
    contained = _values(await _dashboard(container, _query()))["containment"]
    clock.set(END - timedelta(hours=3))
    async with container.uow() as uow:
        await conversation_service.start_conversation(
            uow, actor=None, data=ConversationCreate(widget_token=started.widget_token)
        )
    await service.refresh(container.uow)
    after = await _dashboard(container, _query())
    assert contained is not None and before["containment"] is not None
    assert _values(after)["containment"] < contained  # the same customer came back within 24 h
    assert after.funnel[0].count == 62


async def test_the_window_and_filters_refuse_what_they_cannot_answer(
    simulated: tuple[Container, FrozenClock],
) -> None:
    container, _ = simulated
    await service.refresh(container.uow)
    with pytest.raises(InvalidInputError, match="before the start"):
        service.make_query(
            start=END.date(),
            end=(END - timedelta(days=1)).date(),
            filters={},
            today=END.date(),
            retention_days=30,
        )
    with pytest.raises(InvalidInputError, match="at most 30"):
        service.make_query(
            start=(END - timedelta(days=40)).date(),
            end=END.date(),
            filters={},
            today=END.date(),
            retention_days=30,
        )
    with pytest.raises(InvalidInputError, match=r"allowed: .*web"):
        await _dashboard(container, _query(channel="carrier-pigeon"))
    # known values that never meet (English conversations in the French queue): no data, not an error
    empty = await _dashboard(container, _query(locale="en", team="french"))
    assert empty.funnel[0].count == 0 and _values(empty)["containment"] is None
    async with container.uow(write=False) as uow:
        with pytest.raises(InvalidInputError, match="allowed: containment"):
            await service.metric(
                uow, actor=SUPERVISOR, name="happiness", query=_query(), settings=container.settings
            )

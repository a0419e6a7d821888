"""Workforce plans from this deployment's own history: the volume per interval and the containment the
bot achieves, read from analytics (contact records and rollups)."""

from __future__ import annotations

from datetime import UTC, timedelta

from tandem.accounts.actors import Actor, Role
from tandem.analytics import service as analytics_service
from tandem.core.uow import UnitOfWork
from tandem.settings import Settings
from tandem.wfm.forecast import ForecastInputError, Series


async def volume_history(
    work: UnitOfWork, *, actor: Actor, interval_minutes: int, days: int, filters: dict[str, str]
) -> Series:
    """The last ``days`` whole days (UTC) of conversations per interval."""
    actor.require_staff(Role.SUPERVISOR)
    if not 14 <= days <= 730:
        raise ForecastInputError("history days must be between 14 and 730")
    today = work.clock.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=days)
    counts = await analytics_service.volume_counts(
        work, start=start, days=days, interval_minutes=interval_minutes, filters=filters
    )
    return Series(start, interval_minutes, tuple(counts))


async def measured_containment(
    work: UnitOfWork, *, actor: Actor, settings: Settings, filters: dict[str, str], days: int = 30
) -> float | None:
    """The bot's containment over the last ``days`` (None without ended conversations)."""
    today = work.clock.now().date()
    query = analytics_service.make_query(
        start=today - timedelta(days=days - 1), end=today, filters=dict(filters), today=today,
        retention_days=settings.analytics_retention_days,
    )  # fmt: skip
    found = await analytics_service.dashboard(work, actor=actor, query=query, settings=settings)
    return next(m.value for m in found.metrics if m.name == "containment")

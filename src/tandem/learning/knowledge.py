"""How each knowledge article does, the pure part: how often the bot answered with it, how many of those
conversations ended without a person (its success), how often agents said it was the wrong answer, and
flags for the articles someone should look at. No I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

STALE_DAYS = 180  # not updated for half a year: policies and prices change
BEHIND_DAYS = 30  # a language variant this much older than the newest one was probably not updated with it
LOW_SUCCESS = 0.5
MIN_ENDED = 5  # success is judged on at least this many ended conversations
FLAGGED = 2  # "bot failed here" on answers citing it


class Variant(Protocol):
    slug: str
    locale: str
    title: str
    updated_at: datetime | None


class Answer(Protocol):
    conversation_id: int
    slug: str
    resolved_by: str | None
    escalated_after: bool


@dataclass
class ArticleHealth:
    slug: str
    title: str
    locales: list[str]
    updated_at: datetime | None
    uses: int  # conversations the bot answered with it in the window
    resolved_without_person: int
    escalated_after: int
    still_open: int
    success_rate: float | None  # resolved without a person / ended conversations; None before MIN_ENDED
    flagged_wrong: int
    flags: list[str] = field(default_factory=list)  # stale, low_success, flagged_wrong, locale_behind, unused
    notes: list[str] = field(default_factory=list)  # each flag in words


def health(
    variants: Sequence[Variant],
    answers: Sequence[Answer],
    flagged: dict[str, int],
    *,
    now: datetime,
    stale_days: int = STALE_DAYS,
) -> list[ArticleHealth]:
    """One row per article (its language variants together: the bot cites the slug), the ones to look
    at first."""
    by_slug: dict[str, list[Variant]] = {}
    for variant in variants:
        by_slug.setdefault(variant.slug, []).append(variant)
    ended: dict[str, dict[int, Answer]] = {}
    for answer in answers:  # one per conversation: the last answer citing the article counts
        ended.setdefault(answer.slug, {})[answer.conversation_id] = answer
    found = []
    for slug, group in by_slug.items():
        group = sorted(group, key=lambda v: v.locale)
        dates = [v.updated_at for v in group if v.updated_at is not None]
        newest = max(dates) if dates else None
        conversations = list(ended.get(slug, {}).values())
        resolved = sum(1 for a in conversations if a.resolved_by == "bot" and not a.escalated_after)
        escalated = sum(1 for a in conversations if a.escalated_after)
        still_open = sum(1 for a in conversations if a.resolved_by is None and not a.escalated_after)
        closed = len(conversations) - still_open
        row = ArticleHealth(
            slug=slug,
            title=next((v.title for v in group if v.locale == "en"), group[0].title),
            locales=[v.locale for v in group],
            updated_at=newest,
            uses=len(conversations),
            resolved_without_person=resolved,
            escalated_after=escalated,
            still_open=still_open,
            success_rate=round(resolved / closed, 4) if closed >= MIN_ENDED else None,
            flagged_wrong=flagged.get(slug, 0),
        )
        _flag(row, group, now=now, stale_days=stale_days)
        found.append(row)
    return sorted(found, key=lambda r: (-len(r.flags), -r.uses, r.slug))


def _flag(row: ArticleHealth, group: Sequence[Variant], *, now: datetime, stale_days: int) -> None:
    if row.updated_at is not None and now - row.updated_at > timedelta(days=stale_days):
        row.flags.append("stale")
        row.notes.append(f"not updated for {(now - row.updated_at).days} days")
    if row.success_rate is not None and row.success_rate < LOW_SUCCESS:
        row.flags.append("low_success")
        row.notes.append(
            f"only {row.success_rate:.0%} of the conversations it answered ended without a person"
        )
    if row.flagged_wrong >= FLAGGED:
        row.flags.append("flagged_wrong")
        row.notes.append(f"agents marked {row.flagged_wrong} of its answers 'bot failed here'")
    if row.updated_at is not None:
        behind = [
            v.locale for v in group
            if v.updated_at is not None and row.updated_at - v.updated_at > timedelta(days=BEHIND_DAYS)
        ]  # fmt: skip
        if behind:
            row.flags.append("locale_behind")
            row.notes.append(f"the {', '.join(behind)} version(s) were not updated with the newest one")
    if row.uses == 0:
        row.flags.append("unused")
        row.notes.append("the bot did not answer with it in the window")

"""How the customer feels now, for the badges in the agent's lists: the same frustration estimate the bot's
escalation rules use, applied to the customer's latest messages, whoever is answering them. Pure."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Protocol

from tandem.bot.nlu.sentiment import estimate_frustration, frustration_trend
from tandem.bot.nlu.signals import detect_signals

UPSET = 0.3
ANGRY = 0.6  # the default escalation threshold
RISING = 0.15


class Scorer(Protocol):
    def score(self, text: str, *, language: str) -> object: ...


@dataclass(frozen=True)
class Mood:
    score: float  # 0 calm … 1 furious, smoothed over the latest messages, newest weighted most
    label: str  # calm | upset | angry
    direction: str  # rising | falling | steady


def read_mood(texts: Sequence[str], *, language: str, sentiment: Scorer) -> Mood:
    """``texts``: the customer's latest messages, oldest first."""
    scores: list[float] = []
    for index, text in enumerate(texts):
        compound = float(getattr(sentiment.score(text, language=language), "compound", 0.0))
        scores.append(
            estimate_frustration(
                sentiment=compound,
                signals=detect_signals(text),
                text=text,
                earlier_customer_texts=texts[:index],
            ).score
        )
    if not scores:
        return Mood(0.0, "calm", "steady")
    trend = frustration_trend(scores)
    label = "angry" if trend >= ANGRY else "upset" if trend >= UPSET else "calm"
    earlier = frustration_trend(scores[:-1]) if len(scores) > 1 else scores[-1]
    change = scores[-1] - earlier
    direction = "rising" if change >= RISING else "falling" if change <= -RISING else "steady"
    return Mood(trend, label, direction)


class MoodReader:
    """``read_mood`` with a bounded cache keyed by the caller (conversation and latest message), so lists
    polled every few seconds score each new message once."""

    def __init__(self, sentiment: Scorer, *, size: int = 10_000) -> None:
        self.sentiment = sentiment
        self.size = size
        self._cache: OrderedDict[Hashable, Mood] = OrderedDict()

    def read(self, key: Hashable, texts: Sequence[str], *, language: str) -> Mood:
        found = self._cache.get(key)
        if found is None:
            found = read_mood(texts, language=language, sentiment=self.sentiment)
            self._cache[key] = found
            if len(self._cache) > self.size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return found

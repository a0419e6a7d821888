"""Pluggable bot parts. Implementations are chosen by name in configuration, never by ``if`` in business
code."""

from __future__ import annotations

from typing import Protocol

from tandem.bot.types import BotReply, BotTurn, IntentPrediction


class Responder(Protocol):
    async def respond(self, turn: BotTurn) -> BotReply:
        """Decide the bot's answer to one customer turn."""
        ...


class IntentClassifier(Protocol):
    def predict(self, text: str, *, top: int = 3) -> IntentPrediction:
        """The intent of one message, or out of scope, with the best alternatives and their scores."""
        ...

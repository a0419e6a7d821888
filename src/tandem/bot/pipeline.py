"""The Tier-0 pipeline: one customer message in, one decision out, with a trace of every step.

Order of work, and why:
1. language (the thresholds and the replies depend on it),
2. rule signals and sentiment (a request for a person or a sensitive topic must win over anything else),
3. entities and intent (with out-of-scope detection),
4. escalation rules (``bot.escalation``),
5. act: continue a flow that was waiting for an answer, run a flow, ask one clarifying question when the two
   best intents are close, answer from the knowledge base above a confidence bar, or say it did not
   understand; a failure that would be one too many hands over instead.

Steps 1-4 are pure CPU work (``analyse``); only flows read the CRM.
"""

from __future__ import annotations

import asyncio
import copy
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from tandem.bot.escalation import (
    CONVERSATIONAL_INTENTS,
    FAILED_OUTCOMES,
    ConversationStats,
    Escalation,
    EscalationPolicy,
    TurnAnalysis,
    default_policy,
)
from tandem.bot.flows import DemoStoreFlows, is_no, is_yes, looks_like_address
from tandem.bot.messages import say
from tandem.bot.nlu.entities import Entities, extract_entities
from tandem.bot.nlu.human_request import HumanRequestClassifier, asks_for_person
from tandem.bot.nlu.language import LanguageDetector
from tandem.bot.nlu.retrieval import ArticleHit, Retriever
from tandem.bot.nlu.sentiment import VaderLexiconSentiment, estimate_frustration, frustration_trend
from tandem.bot.nlu.signals import detect_signals
from tandem.bot.protocols import IntentClassifier
from tandem.bot.types import BotReply, BotTurn, IntentPrediction
from tandem.kb.schemas import ArticleOut

ANALYSED_CHARS = 2000  # a 10,000-character paste is judged by its start; the agent sees it all
SMALLTALK = frozenset({"greeting", "thanks", "goodbye"})  # each has a catalogue message of the same name


@dataclass(frozen=True)
class Tier0Settings:
    answer_bar: float = 0.5  # knowledge answers need at least this match (0-1)
    clarify_margin: float = 0.12  # two intents closer than this: ask which one
    clarify_floor: float = 0.25  # ... when both are at least this likely
    policy: EscalationPolicy = field(default_factory=default_policy)


@dataclass
class Analysis:
    turn: TurnAnalysis
    entities: Entities
    articles: list[ArticleHit]
    stats: ConversationStats
    escalation: Escalation | None
    timings_ms: dict[str, float]


class Tier0Responder:
    """The default ``Responder``: rules, intent model, knowledge base and flows, no language model."""

    name = "tier0"

    def __init__(
        self,
        *,
        language: LanguageDetector,
        sentiment: VaderLexiconSentiment,
        intents: IntentClassifier,
        retriever: Retriever,
        flows: DemoStoreFlows | None,
        settings: Tier0Settings | None = None,
        today: Callable[[], date] = date.today,
        model_version: str = "",
        human_request: HumanRequestClassifier | None = None,
    ) -> None:
        self.language = language
        self.sentiment = sentiment
        self.intents = intents
        self.retriever = retriever
        self.flows = flows
        self.settings = settings or Tier0Settings()
        self.today = today
        self.model_version = model_version
        self.human_request = human_request

    # --- analysis (pure CPU) -----------------------------------------------------------------------------

    def refresh_articles(self, articles: Sequence[ArticleOut]) -> None:
        """The knowledge base changed: index the published articles again and swap the new index in whole,
        so a turn in flight keeps a consistent one."""
        fresh = copy.copy(self.retriever)
        fresh.rebuild(articles)
        self.retriever = fresh

    def analyse(self, turn: BotTurn) -> Analysis:
        timings: dict[str, float] = {}
        clock = _Stopwatch(timings)
        text = _clean(turn.text)[:ANALYSED_CHARS]
        stats = conversation_stats(turn)
        with clock("language"):
            prior = stats.last_state.get("language") or turn.locale.split("-")[0].lower()
            guess = self.language.detect(text, prior=prior)
        with clock("signals"):
            signals = detect_signals(text)
            if self.human_request is not None and signals.human_request is None:
                found = asks_for_person(text, rule_phrase=None, classifier=self.human_request)
                signals = replace(signals, human_request=found)
            sentiment = self.sentiment.score(text, language=guess.language).compound
            earlier = [m.body for m in turn.history if m.author == "customer"][-10:]
            frustration = estimate_frustration(
                sentiment=sentiment, signals=signals, text=text, earlier_customer_texts=earlier
            )
            previous = [
                float(m.trace.get("frustration", 0.0)) for m in turn.history if m.author == "bot" and m.trace
            ]
            trend = frustration_trend([*previous[-5:], frustration.score])
        with clock("entities"):
            expecting_order = stats.last_state.get("awaiting") == "order_number"
            entities = extract_entities(text, today=self.today(), expecting_order=expecting_order)
        intent: IntentPrediction | None = None
        if _has_words(text):
            with clock("intent"):
                intent = self.intents.predict(text)
        analysis = TurnAnalysis(
            text=text,
            language=guess.language,
            language_supported=guess.supported,
            signals=signals,
            sentiment=round(sentiment, 3),
            frustration=frustration,
            frustration_trend=trend,
            intent=intent,
        )
        with clock("rules"):
            escalation = self.settings.policy.decide(analysis, stats)
        articles: list[ArticleHit] = []
        if escalation is None and self._may_answer_from_articles(intent, entities):
            with clock("retrieval"):
                articles = self._search(text, guess.language, intent)
        return Analysis(analysis, entities, articles, stats, escalation, timings)

    def _search(self, text: str, language: str, intent: IntentPrediction | None) -> list[ArticleHit]:
        """BM25 first; the encoder only when BM25 found no article of the predicted intent (or the message
        is out of scope and an article would have to carry the answer alone)."""
        hits = self.retriever.search(text, locale=language, limit=3, dense=False)
        named = (
            intent is not None
            and not intent.out_of_scope
            and any(intent.intent in h.article.intents for h in hits)
        )
        return hits if named else self.retriever.search(text, locale=language, limit=3)

    def _may_answer_from_articles(self, intent: IntentPrediction | None, entities: Entities) -> bool:
        """Search the knowledge base only when an article could be the answer: not for small talk or a
        message a flow will handle (the search costs an encoder pass when the intent model skipped one)."""
        if intent is None:
            return False
        if intent.out_of_scope:
            return True
        if intent.intent in CONVERSATIONAL_INTENTS:
            return False
        return self.flows is None or self.flows.flow_for(intent.intent, entities) is None

    # --- the turn ----------------------------------------------------------------------------------------

    async def respond(self, turn: BotTurn) -> BotReply:
        started = time.perf_counter()
        # 2-15 ms of CPU (mostly ONNX, which releases the GIL): off the event loop, so sockets stay
        # responsive and two bot turns can use two cores.
        analysis = await asyncio.to_thread(self.analyse, turn)
        reply, trace = await self._act(turn, analysis)
        trace.update(_trace(analysis, self.model_version))
        trace["ms"] = round((time.perf_counter() - started) * 1000, 3)
        reply.trace = trace
        return reply

    async def _act(self, turn: BotTurn, analysis: Analysis) -> tuple[BotReply, dict[str, Any]]:
        found = analysis.turn
        locale = found.language if found.language_supported else "en"
        if analysis.escalation is not None:
            return _handoff(analysis.escalation), {"decision": "handoff", "outcome": "handoff"}
        text, outcome, extra = await self._answer(turn, analysis, locale)
        if (late := self.settings.policy.failed_attempts(outcome, analysis.stats)) is not None:
            return _handoff(late), {
                "decision": "handoff",
                "outcome": "handoff",
                "would_have_said": outcome,
                "escalation": late.as_trace(),
            }
        waiting = _still_waiting(analysis.stats.last_state)
        if "flow" not in extra and waiting:
            extra["flow"] = waiting  # a question in between does not lose the order or the address step
        return BotReply(text), {"decision": extra.pop("decision", outcome), "outcome": outcome, **extra}

    async def _answer(
        self, turn: BotTurn, analysis: Analysis, locale: str
    ) -> tuple[str, str, dict[str, Any]]:
        found = analysis.turn
        intent = found.intent
        state = analysis.stats.last_state
        pending = self._pending_flow(state, analysis)  # an address or e-mail may look like another language
        if pending is None and not found.language_supported:
            return say("unsupported_language", "en"), "unsupported_language", {}
        if intent is None and pending is None:
            if found.text:  # emoji or punctuation only: an acknowledgement, not a failure
                return say("anything_else", locale), "smalltalk", {"decision": "acknowledgement"}
            return say("empty", locale), "empty", {}
        flow = pending or (
            self.flows.flow_for(intent.intent, analysis.entities) if self.flows and intent else None
        )
        if flow is not None and self.flows is not None:
            step = await self.flows.run(
                flow, turn=turn, locale=locale, entities=analysis.entities, state=state, today=self.today()
            )
            return (
                step.text,
                step.outcome,
                {"decision": f"flow:{flow}", "flow": {"name": flow, **step.state}, "facts": step.facts},
            )
        assert intent is not None
        if intent.intent in SMALLTALK:
            return say(intent.intent, locale), "smalltalk", {"decision": intent.intent}
        if intent.intent == "bot_unhelpful":
            return say("unhelpful", locale), "unhelpful", {}
        if intent.intent in ("affirm", "deny"):
            return say("anything_else", locale), "smalltalk", {"decision": intent.intent}
        if intent.out_of_scope:
            # The intent model has not seen this phrasing, but an article may still answer it squarely.
            hit = analysis.articles[0] if analysis.articles else None
            if hit is not None and hit.dense is not None and hit.score >= self.settings.answer_bar + 0.15:
                return self._article_reply(hit, hit.score, locale)
            return say("not_understood", locale), "not_understood", {"decision": "out_of_scope"}
        choice = self._clarification(intent, analysis.stats)
        if choice is not None:
            first, second = choice
            return say("clarify", locale, first=first, second=second), "clarify", {"options": list(choice)}
        best = self._best_article(intent, analysis.articles)
        if best is not None:
            return self._article_reply(*best, locale)
        return say("not_understood", locale), "not_understood", {"decision": "no_confident_answer"}

    def _article_reply(self, hit: ArticleHit, match: float, locale: str) -> tuple[str, str, dict[str, Any]]:
        article = hit.article
        return (
            say("article", locale, answer=_first_paragraphs(article.body), title=article.title),
            "answered",
            {
                "decision": "article",
                "article": {
                    "slug": article.slug,
                    "locale": article.locale,
                    "title": article.title,
                    "match": round(match, 3),
                },
            },
        )

    def _pending_flow(self, state: dict[str, Any], analysis: Analysis) -> str | None:
        """A flow waiting for an order number, an e-mail or an address continues when this message brings
        it, whatever the intent model makes of "ORD-10042" on its own."""
        awaiting = state.get("awaiting")
        flow = state.get("name")
        if not awaiting or not flow:
            return None
        entities = analysis.entities
        if awaiting == "order_number" and entities.order_numbers:
            return str(flow)
        if awaiting == "email" and entities.emails:
            return str(flow)
        if awaiting == "address" and looks_like_address(analysis.turn.text):
            return str(flow)
        if awaiting == "confirm_address" and (is_yes(analysis.turn.text) or is_no(analysis.turn.text)):
            return str(flow)
        return None

    def _clarification(self, intent: IntentPrediction, stats: ConversationStats) -> tuple[str, str] | None:
        if stats.last_outcome == "clarify" or len(intent.alternatives) < 2:
            return None  # one clarifying question, never two in a row
        first, second = intent.alternatives[0], intent.alternatives[1]
        if (
            second.score < self.settings.clarify_floor
            or first.score - second.score >= self.settings.clarify_margin
        ):
            return None
        if {first.intent, second.intent} & {
            "greeting",
            "thanks",
            "goodbye",
            "affirm",
            "deny",
            "bot_unhelpful",
        }:
            return None
        return _label(first.intent), _label(second.intent)

    def _best_article(
        self, intent: IntentPrediction, hits: list[ArticleHit]
    ) -> tuple[ArticleHit, float] | None:
        """Match = half retrieval similarity, half intent confidence when the article serves that intent."""
        best: tuple[ArticleHit, float] | None = None
        for hit in hits:
            linked = intent.intent is not None and intent.intent in hit.article.intents
            match = 0.5 * hit.score + (0.5 * intent.confidence if linked else 0.0)
            if not linked:
                match = min(match * 2, hit.score) * 0.9  # an unlinked article must carry the match alone
            if best is None or match > best[1]:
                best = (hit, match)
        if best is None or best[1] < self.settings.answer_bar:
            return None
        return best


def conversation_stats(turn: BotTurn) -> ConversationStats:
    """What the bot's own traces say about this episode so far."""
    traces = [m.trace for m in turn.history if m.author == "bot" and m.trace]
    failures = 0
    disowned = False  # the customer said the bot's previous answer did not help
    for trace in reversed(traces):
        outcome = trace.get("outcome")
        if outcome in FAILED_OUTCOMES or (disowned and outcome == "answered"):
            failures += 1
        elif outcome != "clarify":
            break
        disowned = outcome == "unhelpful"
    # The intents the bot answered outright, newest last; anything else (a flow step, a question it asked,
    # a failure) breaks a run, so only the same question answered again and again counts as a loop.
    intents = tuple(
        str(t["intent"]["intent"])
        if isinstance(t.get("intent"), dict)
        and t["intent"].get("intent")
        and t.get("outcome") == "answered"
        and not str(t.get("decision", "")).startswith("flow:")
        else ""
        for t in traces
    )
    last = traces[-1] if traces else {}
    state = dict(last.get("flow") or {})
    since: list[float] | None = None  # frustration seen since the last sentiment handoff of this episode
    for message in turn.history:
        if message.author == "system" and message.trace and message.trace.get("trigger") == "sentiment":
            since = []
        elif since is not None and message.author == "bot" and message.trace:
            since.append(float(message.trace.get("frustration", 0.0)))
    state["language"] = (
        last.get("language", {}).get("code") if isinstance(last.get("language"), dict) else None
    )
    return ConversationStats(
        customer_turns=sum(1 for m in turn.history if m.author == "customer") + 1,
        consecutive_failures=failures,
        unsupported_language_turns=sum(1 for t in traces if t.get("outcome") == "unsupported_language"),
        recent_intents=intents[-5:],
        last_state=state,
        last_outcome=last.get("outcome"),
        membership=turn.membership,
        frustration_since_escalation=tuple(since) if since is not None else None,
    )


def _still_waiting(state: dict[str, Any]) -> dict[str, Any] | None:
    """A flow's waiting state, carried over one unrelated turn (not more: an old question goes stale)."""
    if not state.get("awaiting") or state.get("carried"):
        return None
    return {key: value for key, value in state.items() if key != "language"} | {"carried": True}


def _handoff(escalation: Escalation) -> BotReply:
    return BotReply(
        None,
        handoff=True,
        handoff_reason=escalation.reason,
        handoff_trigger=escalation.trigger,
    )


def _trace(analysis: Analysis, model_version: str) -> dict[str, Any]:
    found = analysis.turn
    trace: dict[str, Any] = {
        "responder": "tier0",
        "model": model_version,
        "language": {"code": found.language, "supported": found.language_supported},
        "sentiment": found.sentiment,
        "frustration": found.frustration.score,
        "frustration_trend": found.frustration_trend,
        "signals": [*found.frustration.reasons]
        + ([f"asked for a person: {found.signals.human_request}"] if found.signals.human_request else [])
        + [f"sensitive: {k}" for k in found.signals.sensitive],
        "entities": analysis.entities.as_dict(),
        "articles": [
            {"slug": h.article.slug, "title": h.article.title, "score": h.score} for h in analysis.articles
        ],
        "timings_ms": {k: round(v, 3) for k, v in analysis.timings_ms.items()},
    }
    if found.intent is not None:
        trace["intent"] = {
            "intent": found.intent.intent,
            "confidence": found.intent.confidence,
            "out_of_scope": found.intent.out_of_scope,
            "threshold": found.intent.threshold,
            "alternatives": [{"intent": a.intent, "score": a.score} for a in found.intent.alternatives],
        }
    if analysis.escalation is not None:
        trace["escalation"] = analysis.escalation.as_trace()
    return trace


def _clean(text: str) -> str:
    """Drops control and unassigned characters (binary-looking pastes) but keeps every letter and emoji."""
    kept = [c for c in text if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cs", "Co", "Cn")]
    return "".join(kept).strip()


def _has_words(text: str) -> bool:
    return any(c.isalnum() for c in text)


def _label(intent: str) -> str:
    return intent.replace("_", " ")


def _first_paragraphs(body: str, limit: int = 600) -> str:
    out = ""
    for paragraph in body.split("\n\n"):
        if out and len(out) + len(paragraph) > limit:
            break
        out = f"{out}\n\n{paragraph}" if out else paragraph
    return out


class _Stopwatch:
    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings
        self._name = ""
        self._started = 0.0

    def __call__(self, name: str) -> _Stopwatch:
        self._name = name
        return self

    def __enter__(self) -> None:
        self._started = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.timings[self._name] = (time.perf_counter() - self._started) * 1000

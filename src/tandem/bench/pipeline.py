"""``tandem bench pipeline``: latency of the whole Tier-0 decision for one message (language, signals and
sentiment, entities, intent with out-of-scope detection, escalation rules, retrieval) on one core, and the
cold start of the components. Flows are left out: they wait on the CRM, not on the CPU."""

from __future__ import annotations

import random
import time
from dataclasses import asdict, dataclass
from typing import Any

from threadpoolctl import threadpool_limits

from tandem.bench.stats import compute_percentile
from tandem.bot import registry
from tandem.bot.escalation import default_policy
from tandem.bot.flows import DemoStoreFlows
from tandem.bot.nlu.human_request import shared_classifier
from tandem.bot.nlu.intents import Progress
from tandem.bot.nlu.retrieval import HybridRetriever
from tandem.bot.pipeline import Tier0Responder, Tier0Settings
from tandem.bot.training import demo_articles, demo_examples, forget_loaded_models
from tandem.bot.types import BotTurn, TurnMessage
from tandem.settings import Settings

_EXTRA = (
    "I already told you my order number three times!!!",
    "WHERE IS MY REFUND",
    "let me talk to a real person",
    "what's the weather in Lisbon tomorrow",
    "asdf qwer zxcv",
    "¿dónde está mi pedido ORD-10042?",
    "je voudrais retourner ma commande",
    "Wie lange dauert der Versand nach Österreich?",
    "🙂🙂🙂",
    "x" * 10_000,
)


@dataclass
class PipelineBenchResult:
    backend: str
    messages: int
    p50_ms: float
    p99_ms: float
    mean_ms: float
    messages_per_s: float
    cold_start_s: float
    step_p50_ms: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_pipeline_benchmark(
    settings: Settings, *, messages: int = 2000, seed: int = 1, progress: Progress | None = None
) -> PipelineBenchResult:
    registry.build_intent_model(settings, progress=progress)  # trained and cached before the clock starts
    forget_loaded_models()
    registry.shared_encoder.cache_clear()
    registry.shared_language_detector.cache_clear()
    registry.shared_sentiment.cache_clear()
    began = time.perf_counter()
    model = registry.build_intent_model(settings)
    retriever = HybridRetriever(model.encoder)
    retriever.rebuild(demo_articles())
    responder = Tier0Responder(
        language=registry.shared_language_detector(),
        sentiment=registry.shared_sentiment(),
        intents=model,
        retriever=retriever,
        flows=DemoStoreFlows(crm=None),  # type: ignore[arg-type]  # routing only: flows are not run
        settings=Tier0Settings(policy=default_policy()),
        human_request=shared_classifier(demo_examples().texts),
    )
    responder.analyse(BotTurn(conversation_id=0, locale="en", text="hello", seq=1))
    cold_start = time.perf_counter() - began

    with threadpool_limits(1):  # the encoder's ONNX session already runs on one thread
        latencies, steps = _time(responder, messages, seed=seed, progress=progress, stage="messages")
    total = sum(latencies) / 1000
    return PipelineBenchResult(
        backend=model.backend,
        messages=messages,
        p50_ms=round(compute_percentile(latencies, 50), 3),
        p99_ms=round(compute_percentile(latencies, 99), 3),
        mean_ms=round(sum(latencies) / len(latencies), 3),
        messages_per_s=round(messages / total, 1),
        cold_start_s=round(cold_start, 3),
        step_p50_ms={
            step: round(compute_percentile(values, 50), 3) for step, values in sorted(steps.items())
        },
    )


def _time(
    responder: Tier0Responder, messages: int, *, seed: int, progress: Progress | None, stage: str
) -> tuple[list[float], dict[str, list[float]]]:
    rng = random.Random(seed)
    pool = [*demo_examples().texts, *_EXTRA]
    history = (
        TurnMessage("customer", "hi, I need help with an order", 1),
        TurnMessage("bot", "Sure, what's the order number?", 2, {"outcome": "asked", "frustration": 0.1}),
    )
    latencies: list[float] = []
    steps: dict[str, list[float]] = {}
    for number in range(messages):
        text = rng.choice(pool) + f" {number}"  # defeats the encoder's cache of recent messages
        turn = BotTurn(conversation_id=1, locale="en", text=text, seq=3, history=history)
        started = time.perf_counter()
        analysis = responder.analyse(turn)
        latencies.append((time.perf_counter() - started) * 1000)
        for step, ms in analysis.timings_ms.items():
            steps.setdefault(step, []).append(ms)
        if progress is not None and number % 100 == 99:
            progress(stage, number + 1, messages)
    return latencies, steps

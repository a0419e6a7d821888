"""``tandem bench assist``: how often the reply an agent actually sent is among the top-3 suggestions, on
agent turns held out of the history, and how long a suggestion takes.

The history is simulated from real customer messages (the Bitext sample by default: 27 e-commerce
intents, typos and all) answered by six agents of the demo store. Agents write in four house styles
(``assist_replies.yaml``), each with favourite styles per intent but not always the same one, greet the
customer by name and quote the customer's order number. 80 % of the conversations are the history, the
rest are the held-out turns. A turn is a hit when a top-3 suggestion, made to fit the held-out customer
(their name and order number), has a token F1 of at least 0.8 with what the agent sent.

Two baselines run in the same process: the replies to the three nearest past messages (no voting over
a wider neighbourhood) and the three replies sent most often overall (a static list of canned responses).
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from tandem.assist import engine
from tandem.bench.errors import BenchError
from tandem.bench.stats import compute_percentile, compute_ratio
from tandem.bot.nlu.dataset import load_dataset

Progress = Callable[[str, int, int], None]
HIT_F1 = 0.8
AGENTS = 6
FAVOURITE_SHARE = 0.75  # how often an agent uses their favourite style for an intent
ORDER_INTENTS_PLACEHOLDER = "{order}"
FIRST_NAMES = (
    "Ana Lopez", "Ben Okafor", "Chloé Martin", "Dmitri Ivanov", "Elif Kaya", "Farah Haddad", "Greta Berg",
    "Hugo Silva", "Ines Costa", "Jonas Weber", "Kenji Sato", "Lena Novak", "Marta Rossi", "Nia Jones",
    "Omar Aziz", "Priya Shah", "Quinn Reyes", "Rosa Diaz", "Sven Olsen", "Tara Singh",
)  # fmt: skip
WORD = re.compile(r"[a-z0-9]+")


@dataclass
class AssistBenchResult:
    history: int
    held_out: int
    intents: int
    top3_hit_rate: float
    top1_hit_rate: float
    nearest_top3_hit_rate: float  # baseline: the replies to the three nearest past messages, no voting
    canned_top3_hit_rate: float  # baseline: the three replies sent most often
    ratio_vs_nearest: float
    p50_ms: float
    p99_ms: float
    messages: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Turn:
    customer: str
    name: str
    order: str | None
    reply: str
    conversation_id: int


def load_replies(path: Path | None = None) -> dict[str, list[str]]:
    """Reply styles per intent: ``replies: {intent: [text, ...]}`` with ``{name}`` and ``{order}``."""
    if path is None:
        text = resources.files("tandem.bench").joinpath("assist_replies.yaml").read_text(encoding="utf-8")
        where = "assist_replies.yaml"
    else:
        text, where = path.read_text(encoding="utf-8"), str(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BenchError(f"{where} is not valid YAML: {exc}") from None
    replies = data.get("replies") if isinstance(data, dict) else None
    if not isinstance(replies, dict) or not all(
        isinstance(v, list) and v and all(isinstance(t, str) for t in v) for v in replies.values()
    ):
        raise BenchError(f"{where}: expected 'replies:' mapping each intent to a list of reply texts.")
    return {str(k): list(v) for k, v in replies.items()}


def simulate_history(
    texts: list[str], labels: list[str], replies: dict[str, list[str]], *, seed: int
) -> list[Turn]:
    """One first agent turn per customer message, written the way a small team writes them."""
    missing = sorted(set(labels) - set(replies))
    if missing:
        raise BenchError(
            f"no agent replies for {len(missing)} intent(s) of the messages ({', '.join(missing[:5])}...); "
            f"pass --replies with a YAML file that covers them."
        )
    rng = random.Random(seed)
    favourites = {
        (agent, intent): rng.randrange(len(replies[intent])) for agent in range(AGENTS) for intent in replies
    }
    turns = []
    for number, (text, intent) in enumerate(zip(texts, labels, strict=True), start=1):
        agent = rng.randrange(AGENTS)
        styles = replies[intent]
        style = favourites[agent, intent] if rng.random() < FAVOURITE_SHARE else rng.randrange(len(styles))
        name = rng.choice(FIRST_NAMES)
        quoted = engine.order_numbers(text)
        order = quoted[0] if quoted else f"ORD-{rng.randrange(10_000, 99_999)}"
        template = styles[style]
        reply = template.replace("{name}", name.split(" ")[0]).replace("{order}", order)
        turns.append(
            Turn(text, name, order if ORDER_INTENTS_PLACEHOLDER in template else None, reply, number)
        )
    return turns


def token_f1(a: str, b: str) -> float:
    left, right = Counter(WORD.findall(a.lower())), Counter(WORD.findall(b.lower()))
    common = sum((left & right).values())
    if common == 0:
        return 0.0
    precision, recall = common / sum(left.values()), common / sum(right.values())
    return 2 * precision * recall / (precision + recall)


def _hit(candidates: list[str], actual: str) -> bool:
    return any(token_f1(candidate, actual) >= HIT_F1 for candidate in candidates)


def run_assist_benchmark(
    messages: Path,
    *,
    replies_file: Path | None = None,
    holdout: float = 0.2,
    seed: int = 0,
    progress: Progress | None = None,
) -> AssistBenchResult:
    report = progress or (lambda stage, done, total: None)
    dataset = load_dataset(messages)
    rows = [
        (t, label)
        for t, label in zip(dataset.train.texts, dataset.train.labels, strict=True)
        if label != "oos"
    ]
    if len(rows) < 50:
        raise BenchError(f"{messages} has {len(rows)} in-scope messages; the benchmark needs at least 50.")
    turns = simulate_history(
        [t for t, _ in rows], [label for _, label in rows], load_replies(replies_file), seed=seed
    )
    random.Random(seed + 1).shuffle(turns)
    cut = int(len(turns) * (1 - holdout))
    history, held_out = turns[:cut], turns[cut:]
    index = engine.ReplyIndex()
    report("index history", 0, 1)
    index.add([engine.PastReply(t.customer, t.reply, conversation_id=t.conversation_id) for t in history])
    index.rebuild()
    report("index history", 1, 1)
    canned = [reply for reply, _ in Counter(engine.reply_key(t.reply) for t in history).most_common(3)]

    hits = top1 = nearest_hits = canned_hits = 0
    latencies: list[float] = []
    for done, turn in enumerate(held_out, start=1):
        started = time.perf_counter()
        found = index.search(turn.customer, limit=3)
        suggestions = [engine.fit_to_customer(p.reply, name=turn.name, order=turn.order) for p, _ in found]
        latencies.append((time.perf_counter() - started) * 1000)
        hits += _hit(suggestions, turn.reply)
        top1 += _hit(suggestions[:1], turn.reply)
        nearest = index.search(turn.customer, limit=3, neighbours=3)
        nearest_hits += _hit(
            [engine.fit_to_customer(p.reply, name=turn.name, order=turn.order) for p, _ in nearest],
            turn.reply,
        )
        canned_hits += _hit(canned, engine.reply_key(turn.reply))
        if done % 50 == 0 or done == len(held_out):
            report("suggest", done, len(held_out))
    total = len(held_out)
    return AssistBenchResult(
        history=len(history),
        held_out=total,
        intents=len({label for _, label in rows}),
        top3_hit_rate=round(hits / total, 4),
        top1_hit_rate=round(top1 / total, 4),
        nearest_top3_hit_rate=round(nearest_hits / total, 4),
        canned_top3_hit_rate=round(canned_hits / total, 4),
        ratio_vs_nearest=round(compute_ratio(hits, nearest_hits), 3),
        p50_ms=round(compute_percentile(latencies, 50), 3),
        p99_ms=round(compute_percentile(latencies, 99), 3),
        messages=str(messages),
    )

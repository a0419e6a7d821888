"""Building the intent model a deployment runs: from a file (``tandem bot train``) or, by default, from the
demo store's own intents. Models are cached on disk under the fingerprint of their training data, so a
restart loads in well under a second and a change to the examples retrains exactly once."""

from __future__ import annotations

import threading
from pathlib import Path

import structlog

from tandem.bot.nlu.dataset import Examples
from tandem.bot.nlu.encoders import Encoder
from tandem.bot.nlu.intents import IntentModel, Progress, fingerprint
from tandem.kb.schemas import ArticleOut
from tandem.store.content import load_articles, load_intents

log = structlog.get_logger(__name__)
_memo: dict[tuple[str, str], IntentModel] = {}
_lock = threading.Lock()


def demo_examples() -> Examples:
    """Every example of every demo intent, all languages together (the n-gram head serves es/fr/de)."""
    examples = Examples()
    for spec in load_intents():
        for texts in spec.examples.values():
            for text in texts:
                examples.add(text, spec.name)
    return examples


def demo_articles() -> list[ArticleOut]:
    """The demo store's articles as the knowledge base serves them, without a database (benchmarks, tests)."""
    fields = ("slug", "locale", "title", "body", "tags", "intents")
    return [
        ArticleOut(id=number, status="published", **{key: article[key] for key in fields})
        for number, article in enumerate(load_articles(), start=1)
    ]


def load_or_train(
    examples: Examples,
    *,
    backend: str,
    cache_dir: Path,
    encoder: Encoder | None,
    progress: Progress | None = None,
) -> IntentModel:
    key = (backend if encoder is None else f"{backend}-{encoder.identity}", fingerprint(examples))
    with _lock:  # two containers in one process (tests, the CLI) share one model
        if key in _memo:
            model = _memo[key]
            if encoder is not None:
                model.encoder = encoder
            return model
        path = cache_dir / f"intents-{key[0]}-{key[1]}.joblib"
        if path.exists():
            try:
                model = IntentModel.load(path, encoder=encoder)
            except Exception as exc:  # a corrupt or outdated cache file is retrained, never fatal
                log.warning("intent_model_cache_unreadable", path=str(path), error=type(exc).__name__)
            else:
                if model.held_out is not None:  # a cache from before operating points is retrained
                    _memo[key] = model
                    return model
        log.info("intent_model_training", backend=backend, examples=len(examples))
        model = IntentModel.train(
            examples, backend=backend, encoder=encoder, source="demo store intents", progress=progress
        )
        try:
            model.save(path)
        except OSError as exc:
            log.warning("intent_model_not_cached", path=str(path), error=str(exc))
        _memo[key] = model
        return model


def forget_loaded_models() -> None:
    """Drop the in-process copies (the disk cache stays): benchmarks use it to time a cold start."""
    with _lock:
        _memo.clear()

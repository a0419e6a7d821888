"""The demo store's own content, written for Tandem: intents with training examples, and help articles.

Both ship inside the package (``store/data``) so the demo runs offline; a real deployment brings its own
through the knowledge base and the training commands.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class IntentSpec:
    name: str
    topic: str
    description: str
    examples: dict[str, tuple[str, ...]]  # locale -> examples


@cache
def load_intents() -> tuple[IntentSpec, ...]:
    raw = json.loads((DATA / "intents.json").read_text(encoding="utf-8"))
    return tuple(
        IntentSpec(
            name=item["name"],
            topic=item["topic"],
            description=item["description"],
            examples={locale: tuple(texts) for locale, texts in item["examples"].items()},
        )
        for item in raw["intents"]
    )


def load_articles() -> list[dict[str, Any]]:
    articles: list[dict[str, Any]] = json.loads((DATA / "articles.json").read_text(encoding="utf-8"))[
        "articles"
    ]
    return articles

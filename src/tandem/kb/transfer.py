"""Articles in and out as Markdown (one file per article and language, YAML front matter) or JSON (a list),
the pure part: parsing names the file and the field that is wrong. No I/O beyond the text given."""

from __future__ import annotations

import json
from typing import Any

import yaml
from pydantic import ValidationError

from tandem.kb.schemas import ArticleIn, ArticleOut

FRONT = "---"


class TransferError(ValueError):
    """A file that is not an article: ``where`` names the file (and line or item), ``detail`` the problem."""

    def __init__(self, where: str, detail: str) -> None:
        super().__init__(f"{where}: {detail}")
        self.where = where
        self.detail = detail


def to_markdown(article: ArticleOut) -> str:
    front = {
        "slug": article.slug,
        "locale": article.locale,
        "title": article.title,
        "tags": list(article.tags),
        "intents": list(article.intents),
    }
    header = yaml.safe_dump(front, allow_unicode=True, sort_keys=False).strip()
    return f"{FRONT}\n{header}\n{FRONT}\n\n{article.body.strip()}\n"


def markdown_name(article: ArticleOut) -> str:
    return f"{article.slug}.{article.locale}.md"


def from_markdown(text: str, *, name: str) -> ArticleIn:
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != FRONT:
        raise TransferError(
            name, "expected front matter: a first line '---', then slug, locale, title, then '---'"
        )
    try:
        end = next(i for i, line in enumerate(lines[1:], start=1) if line.strip() == FRONT)
    except StopIteration:
        raise TransferError(name, "the front matter has no closing '---' line") from None
    try:
        front = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f", line {mark.line + 2}" if mark is not None else ""
        raise TransferError(
            f"{name}{line}", f"the front matter is not YAML ({getattr(exc, 'problem', exc)})"
        ) from exc
    if not isinstance(front, dict):
        raise TransferError(name, "the front matter must be fields (slug: ..., title: ...)")
    return _article({**front, "body": "\n".join(lines[end + 1 :]).strip()}, where=name)


def to_json(articles: list[ArticleOut]) -> str:
    rows = [
        {
            "slug": a.slug,
            "locale": a.locale,
            "title": a.title,
            "body": a.body,
            "tags": a.tags,
            "intents": a.intents,
        }
        for a in articles
    ]
    return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"


def from_json(text: str, *, name: str) -> list[ArticleIn]:
    try:
        rows = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TransferError(f"{name}, line {exc.lineno}", f"not valid JSON ({exc.msg})") from exc
    if not isinstance(rows, list):
        raise TransferError(name, "expected a JSON list of articles")
    return [_article(row, where=f"{name}, article {number}") for number, row in enumerate(rows, start=1)]


def _article(raw: Any, *, where: str) -> ArticleIn:
    if not isinstance(raw, dict):
        raise TransferError(where, "expected an object with slug, locale, title and body")
    unknown = set(raw) - set(ArticleIn.model_fields)
    if unknown:
        allowed = ", ".join(ArticleIn.model_fields)
        raise TransferError(where, f"unknown field {sorted(unknown)[0]!r}; allowed: {allowed}")
    try:
        return ArticleIn.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "article"
        raise TransferError(where, f"{field}: {first['msg']}") from exc

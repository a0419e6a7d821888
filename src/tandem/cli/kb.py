"""``tandem kb ...``: the knowledge base from the command line: gaps, health, import and export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tandem.cli.common import console, err, settings_or_exit, write_output

kb_app = typer.Typer(
    help="The knowledge base: gaps in what the bot can answer, article health, import and export.",
    no_args_is_help=True,
)


@kb_app.command("gaps")
def kb_gaps(
    days: Annotated[int, typer.Option(help="The window, ending now.", min=1, max=90)] = 7,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per topic, largest first.")
    ] = False,
) -> None:
    """Topics customers asked about that the bot could not answer or that went to a person, named by their
    top phrases, with volume, trend against the window before, and a proposal (article or new intent)."""
    from tandem.accounts.actors import Actor
    from tandem.cli.main import run_with_container
    from tandem.learning import service

    async def work(container: Any) -> Any:
        async with container.uow(write=False) as uow:
            return await service.knowledge_gaps(
                uow, actor=Actor.system(), settings=container.settings, days=days
            )

    found = run_with_container(settings_or_exit(), work)
    if as_json:
        for gap in found:
            console.out(json.dumps(gap.model_dump()), highlight=False)
        return
    table = Table(title=f"Knowledge gaps, last {days} days")
    for header in ("Topic", "Questions", "Before", "Trend", "To a person", "Proposal", "Example"):
        table.add_column(header)
    for gap in found:
        table.add_row(
            gap.name, str(gap.volume), str(gap.previous_volume), gap.trend, str(gap.escalated), gap.proposal,
            gap.examples[0][:60] if gap.examples else "",
        )  # fmt: skip
    console.print(table if found else "No gaps: every question in the window was answered.")


@kb_app.command("health")
def kb_health(
    days: Annotated[int, typer.Option(help="Use and success over these last days.", min=1, max=365)] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per article.")] = False,
) -> None:
    """Per article: how often the bot answered with it, how many of those conversations ended without a
    person, agents' "bot failed here" on it, and flags (stale, low_success, flagged_wrong, locale_behind,
    unused); flagged articles first."""
    from dataclasses import asdict

    from tandem.accounts.actors import Actor
    from tandem.cli.main import run_with_container
    from tandem.learning import service

    async def work(container: Any) -> Any:
        async with container.uow(write=False) as uow:
            return await service.article_health(uow, actor=Actor.system(), days=days)

    rows = run_with_container(settings_or_exit(), work)
    if as_json:
        for row in rows:
            console.out(json.dumps(asdict(row), default=str), highlight=False)
        return
    table = Table(title=f"Knowledge articles, last {days} days")
    for header in ("Article", "Languages", "Answers", "Without a person", "Flags"):
        table.add_column(header)
    for row in rows:
        rate = "n/a" if row.success_rate is None else f"{row.success_rate:.0%}"
        table.add_row(row.slug, ", ".join(row.locales), str(row.uses), rate, "; ".join(row.notes))
    console.print(table)


@kb_app.command("export")
def kb_export(
    output: Annotated[Path, typer.Argument(help="A .json file, or a directory for Markdown files.")],
    markdown: Annotated[
        bool,
        typer.Option("--markdown", help="One <slug>.<locale>.md file per article (front matter + text)."),
    ] = False,
    locale: Annotated[str | None, typer.Option(help="Only this language, e.g. en.")] = None,
) -> None:
    """Write the published articles as JSON (one list) or Markdown files, to keep them in git or edit them
    elsewhere; `tandem kb import` reads both back."""
    from tandem.accounts.actors import Actor
    from tandem.cli.main import run_with_container
    from tandem.kb import service, transfer

    async def work(container: Any) -> Any:
        async with container.uow(write=False) as uow:
            return await service.export_articles(uow, actor=Actor.system(), locale=locale)

    articles = run_with_container(settings_or_exit(), work)
    if not markdown:
        write_output(transfer.to_json(articles), output, f"{len(articles)} articles written to {output}.")
        return
    try:
        output.mkdir(parents=True, exist_ok=True)
        for article in articles:
            (output / transfer.markdown_name(article)).write_text(
                transfer.to_markdown(article), encoding="utf-8"
            )
    except OSError as exc:
        err.print(f"[red]Error:[/red] cannot write to {output}: {exc.strerror or exc}")
        raise typer.Exit(2) from exc
    err.print(f"{len(articles)} articles written to {output}/.")


@kb_app.command("import")
def kb_import(
    source: Annotated[Path, typer.Argument(help="A .json file, a .md file, or a directory of .md files.")],
) -> None:
    """Publish articles from JSON or Markdown (as `tandem kb export` writes them): new ones are created,
    changed ones updated with a version in their history, identical ones left alone. Nothing is written
    when any file is wrong; the message names the file and the field."""
    from tandem.accounts.actors import Actor
    from tandem.cli.main import run_with_container
    from tandem.kb import service, transfer

    try:
        articles = _read_articles(source)
    except transfer.TransferError as exc:
        err.print(f"[red]Error:[/red] {exc.where}: {exc.detail}", highlight=False)
        raise typer.Exit(2) from exc

    settings = settings_or_exit()

    async def work(container: Any) -> Any:
        from tandem.bootstrap import KNOWLEDGE_CHANNEL

        async with container.uow() as uow:
            report = await service.import_articles(uow, actor=Actor.system(), articles=articles)
        if settings.redis_url and (report.created or report.updated):  # servers sharing Redis rebuild now
            await container.broker.publish(KNOWLEDGE_CHANNEL, {"kind": "imported", "origin": "cli"})
        return report

    report = run_with_container(settings, work)
    console.print(
        f"{len(report.created)} created, {len(report.updated)} updated, {report.unchanged} unchanged."
    )
    if (report.created or report.updated) and not settings.redis_url:
        console.print("A running server without Redis searches the new text after a restart.")


def _read_articles(source: Path) -> list[Any]:
    from tandem.kb import transfer

    def read(path: Path) -> str:
        try:
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise transfer.TransferError(str(path), "not UTF-8 text") from exc
        except OSError as exc:
            raise transfer.TransferError(str(path), exc.strerror or str(exc)) from exc

    if source.is_dir():
        files = sorted(source.glob("*.md"))
        if not files:
            raise transfer.TransferError(str(source), "no .md files in this directory")
        return [transfer.from_markdown(read(path), name=str(path)) for path in files]
    if source.suffix.lower() == ".md":
        return [transfer.from_markdown(read(source), name=str(source))]
    if source.suffix.lower() == ".json":
        return transfer.from_json(read(source), name=str(source))
    raise transfer.TransferError(str(source), "expected a .json file, a .md file or a directory of .md files")

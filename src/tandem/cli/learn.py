"""``tandem learn ...``: the continuous learning loop from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tandem.cli.common import console, settings_or_exit, stage_progress, write_output

learn_app = typer.Typer(
    help="The learning loop: retrain from agents' corrections, the model registry.", no_args_is_help=True
)


def _metric(figures: dict[str, Any] | None, key: str) -> str:
    value = (figures or {}).get(key)
    return "n/a" if value is None else f"{value:.2%}"


@learn_app.command("run")
def learn_run(
    trigger: Annotated[str, typer.Option(help="Why this run (recorded in the registry).")] = "manual",
    as_json: Annotated[
        bool,
        typer.Option("--json", help="One JSON object: champion, challenger, promoted, reason, and more."),
    ] = False,
) -> None:
    """Collect agents' corrections, train a challenger on the base intents plus them, measure champion and
    challenger on the frozen held-out set and on the corrected conversations, and promote the challenger
    only if it is better and not worse. A running server picks up a promoted model within 30 seconds."""
    from tandem.cli.main import run_with_container
    from tandem.learning import service

    settings = settings_or_exit()

    async def work(container: Any) -> Any:
        with stage_progress() as report:
            return await service.run(container.uow, settings=settings, trigger=trigger, progress=report)

    result = run_with_container(settings, work)
    if as_json:
        console.out(json.dumps(result.as_dict()), highlight=False)
        return
    table = Table(title=f"Learning run: version {result.version}", caption=result.reason)
    for header in ("", f"Champion (v{result.champion_version})", f"Challenger (v{result.version})"):
        table.add_column(header, justify="right")
    for label, key in (
        ("In-scope accuracy", "in_scope_accuracy"),
        ("Accuracy", "accuracy"),
        ("Out-of-scope recall", "oos_recall"),
        ("Corrected conversations passed", "replay_pass_rate"),
    ):
        table.add_row(label, _metric(result.champion, key), _metric(result.challenger, key))
    console.print(table)
    console.print(
        f"{'Promoted' if result.promoted else 'Not promoted'}. {result.feedback_examples} corrections learned "
        f"({result.collected} new examples collected, {result.held_for_review} corrections waiting for review, "
        f"{result.conflicts} conflicting, {result.regressions} earlier corrections failed)."
    )


@learn_app.command("models")
def learn_models(
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per version, newest first.")
    ] = False,
) -> None:
    """The model registry: every trained version, its metrics, data fingerprint, trigger and status."""
    from tandem.accounts.actors import Actor
    from tandem.cli.main import run_with_container
    from tandem.learning import service

    async def work(container: Any) -> Any:
        async with container.uow(write=False) as uow:
            return await service.list_versions(uow, actor=Actor.system())

    versions = run_with_container(settings_or_exit(), work)
    if as_json:
        for version in versions:
            console.out(json.dumps(version.model_dump()), highlight=False)
        return
    table = Table(title="Intent models")
    for header in (
        "Version",
        "Status",
        "Trigger",
        "Backend",
        "Fingerprint",
        "Examples",
        "Corrections",
        "Created",
    ):
        table.add_column(header)
    for v in versions:
        table.add_row(
            str(v.version), v.status, v.trigger, v.backend, v.fingerprint[:12], str(v.examples),
            str(v.feedback_examples), v.created_at[:19],
        )  # fmt: skip
    console.print(table if versions else "No models yet: run `tandem learn run`.")


@learn_app.command("rollback")
def learn_rollback(
    version: Annotated[
        int | None, typer.Argument(help="The version to serve; default: the one promoted before the current.")
    ] = None,
) -> None:
    """Serve an earlier model again (a running server switches within 30 seconds)."""
    from tandem.accounts.actors import Actor
    from tandem.cli.main import run_with_container
    from tandem.learning import service

    async def work(container: Any) -> Any:
        async with container.uow() as uow:
            return await service.rollback(uow, actor=Actor.system(), version=version)

    restored = run_with_container(settings_or_exit(), work)
    console.print(f"[green]Version {restored.version} serves again.[/green] ({restored.reason})")


def _write_lines(rows: list[dict[str, Any]], output: Path | None) -> None:
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    write_output(text, output, f"{len(rows)} lines written to {output}.")


Output = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write JSON Lines here (default: stdout).")
]


@learn_app.command("cases")
def learn_cases(output: Output = None) -> None:
    """Every corrected conversation as a `tandem replay` case that expects the intent the agent gave:
    `tandem learn cases -o cases.jsonl && tandem replay cases.jsonl` fails when a model forgets one."""
    from tandem.accounts.actors import Actor
    from tandem.cli.main import run_with_container
    from tandem.learning import service

    async def work(container: Any) -> Any:
        async with container.uow(write=False) as uow:
            return await service.regression_cases(uow, actor=Actor.system())

    _write_lines(run_with_container(settings_or_exit(), work), output)


@learn_app.command("examples")
def learn_examples(
    kind: Annotated[
        str | None, typer.Option(help="intent, article, escalation_reason, reply, satisfaction or sentiment.")
    ] = None,
    review: Annotated[
        str | None, typer.Option(help="held (waiting for review), approved or rejected.")
    ] = None,
    output: Output = None,
) -> None:
    """Export the labelled examples made from agents' feedback (collects new feedback first), with their
    provenance and consent, as JSON Lines."""
    from tandem.accounts.actors import Actor
    from tandem.cli.main import run_with_container
    from tandem.learning import service

    settings = settings_or_exit()

    async def work(container: Any) -> Any:
        async with container.uow() as uow:
            await service.collect(uow, default_consent=settings.learning_default_consent)
        rows: list[Any] = []
        async with container.uow(write=False) as uow:
            while True:
                page = await service.list_examples(
                    uow, actor=Actor.system(), kind=kind, review=review, after_id=rows[-1].id if rows else 0,
                    limit=1000,
                )  # fmt: skip
                rows += page
                if len(page) < 1000:
                    return [row.model_dump() for row in rows]

    _write_lines(run_with_container(settings, work), output)


@learn_app.command("review")
def learn_review(
    days: Annotated[
        int, typer.Option(min=1, max=90, help="The window; trends compare with the one before.")
    ] = 7,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the Markdown here.")] = None,
) -> None:
    """The weekly review as Markdown: escalations by reason, trigger and topic with trends, the top 10
    improvement opportunities, and product feedback."""
    from tandem.accounts.actors import Actor
    from tandem.cli.main import run_with_container
    from tandem.learning import review, service

    settings = settings_or_exit()

    async def work(container: Any) -> Any:
        labels = {reason.code: reason.label for reason in container.routing.escalation_reasons}
        async with container.uow(write=False) as uow:
            return await service.weekly_review(
                uow, actor=Actor.system(), settings=settings, reason_labels=labels, days=days
            )

    write_output(
        review.to_markdown(run_with_container(settings, work)), output, f"The review is in {output}."
    )

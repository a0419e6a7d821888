"""`tandem kb export` and `tandem kb import` on a scratch demo: Markdown files round-trip, an edited file
updates its article with a version in the history, and a broken file names itself and writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tandem.cli.main import app

runner = CliRunner()


def _said(output: str) -> str:
    return " ".join(output.split())


def test_markdown_out_edit_and_back_in(tmp_path: Path) -> None:
    env = {"TANDEM_DATA_DIR": str(tmp_path), "TANDEM_BOT_INTENT_BACKEND": "ngram"}
    assert runner.invoke(app, ["demo", "seed"], env=env).exit_code == 0  # the demo store's articles
    folder = tmp_path / "kb"
    exported = runner.invoke(app, ["kb", "export", str(folder), "--markdown", "--locale", "de"], env=env)
    assert exported.exit_code == 0, exported.output
    files = sorted(folder.glob("*.md"))
    assert files and all(path.name.endswith(".de.md") for path in files)
    same = runner.invoke(app, ["kb", "import", str(folder)], env=env)
    assert same.exit_code == 0 and f"0 created, 0 updated, {len(files)} unchanged" in _said(same.output)

    edited = files[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "\nNeu: auch an Samstagen.\n", encoding="utf-8")
    (folder / "neu.de.md").write_text(
        "---\nslug: neu\nlocale: de\ntitle: Neu\n---\nEin neuer Artikel.\n", encoding="utf-8"
    )
    changed = runner.invoke(app, ["kb", "import", str(folder)], env=env)
    assert changed.exit_code == 0 and "1 created, 1 updated" in _said(changed.output)

    as_json = tmp_path / "kb.json"
    assert runner.invoke(app, ["kb", "export", str(as_json)], env=env).exit_code == 0
    rows = {(r["slug"], r["locale"]): r for r in json.loads(as_json.read_text(encoding="utf-8"))}
    assert rows[("neu", "de")]["body"] == "Ein neuer Artikel."
    slug = edited.name.removesuffix(".de.md")
    assert rows[(slug, "de")]["body"].endswith("Neu: auch an Samstagen.")


def test_a_broken_file_names_itself_and_nothing_is_imported(tmp_path: Path) -> None:
    env = {"TANDEM_DATA_DIR": str(tmp_path), "TANDEM_BOT_INTENT_BACKEND": "ngram"}
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "a.en.md").write_text("---\nslug: fine\ntitle: Fine\n---\nGood text.\n", encoding="utf-8")
    (folder / "b.en.md").write_text(
        "---\nslug: broken\ntitle: Broken\ncolour: red\n---\nText.\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["kb", "import", str(folder)], env=env)
    assert result.exit_code == 2
    assert "b.en.md: unknown field 'colour'" in _said(result.output) and "Traceback" not in result.output
    listing = tmp_path / "kb.json"
    runner.invoke(app, ["kb", "export", str(listing)], env=env)
    assert "fine" not in {row["slug"] for row in json.loads(listing.read_text(encoding="utf-8"))}
    unknown = runner.invoke(app, ["kb", "import", str(tmp_path / "kb.txt")], env=env)
    assert unknown.exit_code == 2 and "expected a .json file" in _said(unknown.output)

"""CLI help reads consistently: every command and option explains itself in a sentence."""

from __future__ import annotations

import click
import typer
from typer.testing import CliRunner

from facesynth import cli
from facesynth.io.export_formats import FORMATS


def _commands() -> dict[str, click.Command]:
    cli._mount()
    root = typer.main.get_command(cli.app)
    out: dict[str, click.Command] = {}

    def walk(cmd: click.Command, path: str) -> None:
        out[path] = cmd
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, f"{path} {name}".strip())

    walk(root, "")
    assert {"render", "verify", "export", "assets import"} <= set(out)
    return out


def test_every_help_text_is_a_sentence() -> None:
    bad = []
    for path, cmd in _commands().items():
        summary = " ".join((cmd.help or "").strip().split("\n\n")[0].split())  # the first paragraph
        texts = [("", summary)]
        texts += [(p.name, p.help or "") for p in cmd.params if getattr(p, "help", None) is not None]
        for name, text in texts:
            if name == "help":
                continue
            if not text or not text[0].isupper() or not text.endswith((".", ")")):
                bad.append(f"facesynth {path} {name}: {text!r}")
    assert not bad, "\n".join(bad)


def test_export_format_is_a_choice() -> None:
    cli._mount()
    runner = CliRunner()
    shown = runner.invoke(cli.app, ["export", "--help"], env={"COLUMNS": "200"}).output
    assert f"<{'|'.join(FORMATS)}>" in shown, shown
    bad = runner.invoke(cli.app, ["export", ".", "--out", "x", "--format", "tfrecord"])  # refused before any work
    assert bad.exit_code == 2 and isinstance(bad.exception, SystemExit)  # a usage error, no traceback
    assert "'tfrecord' is not one of" in bad.output

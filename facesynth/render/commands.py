"""Commands the render package adds to the `facesynth` CLI (registered by facesynth.cli)."""

from __future__ import annotations

import typer

from facesynth.render import preview


def register(app: typer.Typer) -> None:
    preview.register(app)

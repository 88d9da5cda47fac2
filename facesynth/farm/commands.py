"""`facesynth render`: registered on the main app by facesynth.cli."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def render(
        recipe: Annotated[Path, typer.Argument(help="Recipe YAML file.")],
        out: Annotated[Path, typer.Option("--out", help="Dataset directory (created; resumed if it exists).")],
        shard_index: Annotated[int | None, typer.Option("--shard-index", help="This process's shard, 0-based.")] = None,
        shard_count: Annotated[int | None, typer.Option("--shard-count", help="Number of shards.")] = None,
        indices: Annotated[str | None, typer.Option("--indices", help="Sample indices, e.g. 0-9,20-29.")] = None,
        limit: Annotated[int | None, typer.Option("--limit", help="At most this many samples.")] = None,
        force_new: Annotated[bool, typer.Option("--force-new", help="Discard a dataset of another recipe.")] = False,
        overrides: Annotated[list[str] | None, typer.Option(
            "--set", help="Override a recipe field, e.g. --set camera.resolution=96x128.")] = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
        workers: Annotated[int | None, typer.Option(
            "--workers", help="Worker processes (local) or Ray actors; default: render in this process "
            "(local), one actor per node (ray).")] = None,
        backend: Annotated[str, typer.Option(
            "--backend", help="Where the workers run: local (this machine) or ray (a Ray cluster).")] = "local",
        address: Annotated[str | None, typer.Option(
            "--address", help="Ray cluster: auto or ray://HOST:PORT (default: a local Ray instance).")] = None,
        progress: Annotated[str, typer.Option(
            "--progress", help="Progress: bar (stderr), json (one line per sample on stdout) or none.")] = "bar",
        retries: Annotated[int, typer.Option(
            "--retries", help="Retries of a sample whose worker crashed.")] = 2,
    ) -> None:
        """Render a recipe into a dataset directory (resumes: only missing or broken samples)."""
        from facesynth.farm.local import check_report, render_dataset

        report = render_dataset(recipe, out, indices=indices, shard_index=shard_index, shard_count=shard_count,
                                limit=limit, force_new=force_new, progress="none" if quiet else progress,
                                overrides=overrides or (), workers=workers, backend=backend, address=address,
                                retries=retries)
        typer.echo(f"{out}: {report.summary()}", err=True)
        check_report(report)
        if report.interrupted:
            raise typer.Exit(130)

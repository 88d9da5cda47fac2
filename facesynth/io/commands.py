"""CLI commands of the dataset store: verify, export, stats, inspect.

`register(app)` adds them to the main typer app. A user mistake prints one line on stderr and
exits 2; a failed verification exits 1; neither prints a traceback.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from facesynth.errors import FacesynthError, UserError

F = TypeVar("F", bound=Callable[..., Any])


def _friendly(fn: F) -> F:
    """Turn facesynth errors and OS errors into one line on stderr and the documented exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except FacesynthError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except OSError as exc:
            typer.echo(f"error: {exc.filename or ''}: {exc.strerror or exc}", err=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


@_friendly
def verify_cmd(
    directory: Annotated[Path, typer.Argument(help="dataset directory")],
    repair: Annotated[bool, typer.Option("--repair", help="delete broken samples so a resume re-renders them")] = False,
    quick: Annotated[
        bool, typer.Option("--quick", help="check presence and sizes only (no sha256, no decoding)")
    ] = False,
) -> None:
    """Check every sample (files, sizes, sha256, decoding), or every shard of an export; exit 1 when
    something is wrong."""
    from facesynth.io.shards import is_export, verify_export
    from facesynth.io.verify import verify

    if is_export(directory):  # exported shards: sizes, sha256s and sample counts against dataset_info.json
        if repair:
            raise UserError(f"{directory} is an export: verify --repair works on dataset directories; re-export it")
        shards = verify_export(directory, deep=not quick)
        for name, problem in sorted(shards.broken.items()):
            typer.echo(f"broken shard {name}: {problem}", err=True)
        for name in shards.unlisted:
            typer.echo(f"shard {name} is not listed in dataset_info.json", err=True)
        typer.echo(shards.summary())
        if not shards.passed:
            raise typer.Exit(1)
        return

    report = verify(directory, repair=repair, deep=not quick)
    for sid, problem in sorted(report.corrupt.items()):
        typer.echo(f"corrupt {sid}: {problem}", err=True)
    for key, paths in sorted(report.duplicates.items()):
        typer.echo(f"duplicate {key}: {', '.join(paths)}", err=True)
    if report.missing:
        shown = ", ".join(map(str, report.missing[:20])) + (" ..." if len(report.missing) > 20 else "")
        typer.echo(f"missing indices: {shown}", err=True)
    typer.echo(report.summary())
    if not report.passed:  # also after --repair: the deleted samples still need re-rendering
        raise typer.Exit(1)


@_friendly
def export_cmd(
    directory: Annotated[Path, typer.Argument(help="dataset directory")],
    out: Annotated[Path, typer.Option("--out", help="folder for the shards")],
    shard_size: Annotated[int, typer.Option("--shard-size", help="samples per shard")] = 1000,
    format: Annotated[str, typer.Option("--format", help="webdataset, or coco (keypoints JSON beside the images)")] = (
        "webdataset"),
    keypoints: Annotated[int, typer.Option("--keypoints", help="COCO: 68 (iBUG) or 70 (with the two pupils)")] = 68,
) -> None:
    """Write WebDataset tar shards per split, dataset_info.json and a dataset card (or COCO keypoints)."""
    from facesynth.io.export import export_webdataset

    if format == "coco":
        from facesynth.io.coco import export_coco

        coco = export_coco(directory, out, keypoints=keypoints)
        typer.echo(f"{out}: {coco['samples']} samples; annotations/{', annotations/'.join(coco['files'])}")
        return
    if keypoints != 68:
        raise UserError("--keypoints applies to --format coco only")
    info = export_webdataset(directory, out, shard_size=shard_size, format=format)
    splits = ", ".join(f"{name} {count}" for name, count in info["splits"].items())
    typer.echo(f"{out}: {info['samples']} samples in {len(info['shards'])} shards ({splits})")


@_friendly
def stats_cmd(
    directory: Annotated[Path, typer.Argument(help="dataset directory or shards")],
    out: Annotated[Path, typer.Option("--out", help="report folder")],
) -> None:
    """Histograms of pose, camera, expressions, lights, skin tone; contact sheet; summary.json."""
    from facesynth.io.stats import write_report

    result = write_report(directory, out)
    typer.echo(f"{out}: {result['samples']} samples; files: {', '.join(result['files'])}, summary.json")


@_friendly
def inspect_cmd(
    directory: Annotated[Path, typer.Argument(help="dataset directory or shards")],
    sample_id: Annotated[str, typer.Argument(help="sample id, e.g. 000042")],
    out: Annotated[Path, typer.Option("--out", help="PNG to write")],
) -> None:
    """Draw one sample's landmarks, mask, depth and position map side by side."""
    from facesynth.io.inspect import inspect_sample

    typer.echo(str(inspect_sample(directory, sample_id, out)))


def register(app: typer.Typer) -> None:
    app.command("verify")(verify_cmd)
    app.command("export")(export_cmd)
    app.command("stats")(stats_cmd)
    app.command("inspect")(inspect_cmd)

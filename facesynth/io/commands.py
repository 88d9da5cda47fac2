"""CLI commands of the dataset store: verify, export, stats, inspect.

`register(app)` adds them to the main typer app. A user mistake prints one line on stderr and
exits 2; a failed verification exits 1; neither prints a traceback.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from facesynth.errors import FacesynthError, UserError
from facesynth.io.export_formats import FORMATS

F = TypeVar("F", bound=Callable[..., Any])
# typer shows an Enum as a choice and refuses other values with exit code 2.
ExportFormat = enum.Enum("ExportFormat", {name: name for name in FORMATS}, type=str)


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
        except (KeyError, TypeError, ValueError) as exc:  # metadata of another shape than documented
            typer.echo(f"error: a sample's metadata lacks or mistypes a field ({type(exc).__name__}: "
                       f"{str(exc)[:120]}); run `facesynth verify` on the dataset", err=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


@_friendly
def verify_cmd(
    directory: Annotated[Path, typer.Argument(help="Dataset directory.")],
    repair: Annotated[
        bool, typer.Option("--repair", help="Delete broken samples so a resume re-renders them.")
    ] = False,
    quick: Annotated[
        bool, typer.Option("--quick", help="Check presence and sizes only (no sha256, no decoding).")
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
    for sid, problem in sorted(report.foreign.items()):
        typer.echo(f"foreign {sid}: {problem}", err=True)
    for label, paths in (("temp file", report.stray_temp), ("orphan file", report.orphans)):
        for path in paths[:20]:
            typer.echo(f"{label}: {path}", err=True)
        if len(paths) > 20:
            typer.echo(f"... and {len(paths) - 20} more {label}s", err=True)
    for key, paths in sorted(report.duplicates.items()):
        typer.echo(f"duplicate {key}: {', '.join(paths)}", err=True)
    if report.missing:
        shown = ", ".join(map(str, report.missing[:20])) + (" ..." if len(report.missing) > 20 else "")
        typer.echo(f"missing indices: {shown}", err=True)
    typer.echo(report.summary())
    if not report.passed:  # also after --repair: what it found is reported, and deleted samples need rendering
        raise typer.Exit(1)


@_friendly
def export_cmd(
    directory: Annotated[Path, typer.Argument(help="Dataset directory.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the shards (or the COCO export).")],
    shard_size: Annotated[int, typer.Option("--shard-size", help="Samples per shard.")] = 1000,
    format: Annotated[
        ExportFormat, typer.Option("--format", help="WebDataset shards, or COCO keypoints JSON beside the images.")
    ] = ExportFormat(FORMATS[0]),
    keypoints: Annotated[int, typer.Option("--keypoints", help="COCO: 68 (iBUG) or 70 (with the two pupils).")] = 68,
    landmarks: Annotated[str, typer.Option(
        "--landmarks", help="COCO: landmark convention, 3d (fixed vertices) or 2d-contour (jaw on outline).")] = "3d",
) -> None:
    """Write WebDataset tar shards per split, dataset_info.json and a dataset card (or COCO keypoints)."""
    from facesynth.io.export import export_webdataset

    if format.value == "coco":
        from facesynth.io.coco import export_coco

        coco = export_coco(directory, out, keypoints=keypoints, landmarks=landmarks)
        typer.echo(f"{out}: {coco['samples']} samples; annotations/{', annotations/'.join(coco['files'])}")
        return
    if keypoints != 68 or landmarks != "3d":
        raise UserError("--keypoints and --landmarks apply to --format coco only")
    info = export_webdataset(directory, out, shard_size=shard_size, format=format.value)
    splits = ", ".join(f"{name} {count}" for name, count in info["splits"].items())
    typer.echo(f"{out}: {info['samples']} samples in {len(info['shards'])} shards ({splits})")


@_friendly
def stats_cmd(
    directory: Annotated[Path, typer.Argument(help="Dataset directory or folder of shards.")],
    out: Annotated[Path, typer.Option("--out", help="Report folder.")],
) -> None:
    """Histograms of pose, camera, expressions, lights, skin tone; contact sheet; summary.json."""
    from facesynth.io.stats import write_report

    result = write_report(directory, out)
    typer.echo(f"{out}: {result['samples']} samples; files: {', '.join(result['files'])}, summary.json")


@_friendly
def inspect_cmd(
    directory: Annotated[Path, typer.Argument(help="Dataset directory or folder of shards.")],
    sample_id: Annotated[str, typer.Argument(help="Sample id, e.g. 000042.")],
    out: Annotated[Path, typer.Option("--out", help="PNG file to write.")],
) -> None:
    """Draw one sample's landmarks, mask, depth and position map side by side."""
    from facesynth.io.inspect import inspect_sample

    typer.echo(str(inspect_sample(directory, sample_id, out)))


def register(app: typer.Typer) -> None:
    app.command("verify")(verify_cmd)
    app.command("export")(export_cmd)
    app.command("stats")(stats_cmd)
    app.command("inspect")(inspect_cmd)

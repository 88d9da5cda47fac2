"""The `facesynth` command: thin; parses options, calls the API, prints, exits.

Exit codes: 0 success, 2 bad input (recipe, path, option), 1 failure during work. A user mistake
never prints a traceback: FacesynthError messages are printed as one line.
"""

from __future__ import annotations

import errno
import sys
from importlib import import_module
from pathlib import Path
from typing import Annotated

import typer

from facesynth._version import __version__
from facesynth.errors import one_line_errors

app = typer.Typer(
    name="facesynth",
    help="Synthetic face datasets with exact ground truth.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"facesynth {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool | None, typer.Option("--version", callback=_version, is_eager=True,
                                                 help="Print the version and exit.")] = None,
) -> None:
    """facesynth: render labelled synthetic face datasets from YAML recipes."""


RecipeArg = Annotated[Path, typer.Argument(help="Recipe YAML file.")]
ShardIndex = Annotated[int | None, typer.Option("--shard-index", help="This process's shard, 0-based.")]
ShardCount = Annotated[int | None, typer.Option("--shard-count", help="Number of shards.")]
Indices = Annotated[str | None, typer.Option("--indices", help="Sample indices, e.g. 0-9,20-29.")]
Limit = Annotated[int | None, typer.Option("--limit", help="At most this many samples.")]
Overrides = Annotated[list[str] | None, typer.Option(
    "--set", help="Override a recipe field: camera.resolution=96x128.")]


@app.command()
def validate(recipes: Annotated[list[Path], typer.Argument(help="Recipe files to check.")]) -> None:
    """Check recipes; print every problem with its field and line."""
    from facesynth.assets.preflight import asset_problems, machine_notes
    from facesynth.recipe import RecipeError, load_recipe

    failed = 0
    for path in recipes:
        try:
            loaded = load_recipe(path)
        except RecipeError as exc:
            failed += 1
            for problem in exc.problems:
                typer.echo(f"error: {problem}", err=True)
            continue
        problems = asset_problems(loaded)  # the same checks `render` runs before it starts
        if problems:
            failed += 1
            for problem in problems:
                typer.echo(f"error: {problem}", err=True)
            continue
        for note in machine_notes(loaded):
            typer.echo(f"note: {note}", err=True)
        typer.echo(f"ok: {path} ({loaded.recipe.name}, {loaded.recipe.samples} samples)")
    if failed:
        raise typer.Exit(2)


@app.command()
def schema(out: Annotated[Path | None, typer.Option("--out", help="Write to this file.")] = None) -> None:
    """Print (or write) the recipe JSON Schema for editors."""
    from facesynth.recipe.jsonschema import recipe_json_schema

    text = recipe_json_schema()
    if out is None:
        typer.echo(text, nl=False)
    else:
        from facesynth.atomic import check_writable, write_text

        check_writable(out, "--out")
        write_text(out, text)


@app.command()
def plan(recipe: RecipeArg, limit: Limit = None, shard_index: ShardIndex = None, shard_count: ShardCount = None,
         indices: Indices = None, overrides: Overrides = None) -> None:
    """Print one JSON object per planned sample (every random number of it)."""
    from facesynth.recipe import load_recipe
    from facesynth.sampling import plan as plan_samples
    from facesynth.sampling import select_indices

    loaded = load_recipe(recipe, overrides or ())
    chosen = select_indices(loaded.recipe.samples, indices=indices, shard_index=shard_index,
                            shard_count=shard_count, limit=limit)
    out = sys.stdout
    for spec in plan_samples(loaded, chosen):
        out.write(spec.model_dump_json())
        out.write("\n")


_mounted = False


def _mount() -> None:
    """Commands that live with their packages (each module is import-light: no bpy at import)."""
    global _mounted
    if _mounted:
        return
    _mounted = True
    app.add_typer(import_module("facesynth.assets.commands").app, name="assets",
                  help="Face packs and other assets: list, import, fetch.")
    for module in ("facesynth.farm.commands", "facesynth.render.commands", "facesynth.io.commands"):
        import_module(module).register(app)


def main(argv: list[str] | None = None) -> None:
    try:
        with one_line_errors():
            _mount()
            app(args=argv, prog_name="facesynth")
    except OSError as exc:  # a path that cannot be read or written: one line, never a traceback
        where = f"{exc.filename}: " if exc.filename else ""
        typer.echo(f"error: {where}{exc.strerror or exc}", err=True)
        sys.exit(2 if exc.errno in _USER_ERRNOS else 1)


# The user's to fix (a path, a permission, a read-only place); anything else (disk full, I/O) is a
# failure during work.
_USER_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EISDIR, errno.ENOENT,
                          errno.EEXIST, errno.ENAMETOOLONG, errno.ELOOP})


if __name__ == "__main__":
    main()

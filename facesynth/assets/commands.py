"""`facesynth assets ...`: list the assets, import ICT-FaceKit from files, fetch it upstream.

A typer sub-app; the main CLI mounts it as `assets`. Thin: the work lives in the asset modules.
User errors print one line to stderr and exit 2, never a traceback.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from facesynth.errors import FacesynthError, UserError

app = typer.Typer(
    name="assets",
    help="Face models and environments: list them, import ICT-FaceKit, fetch it upstream.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

IMPORTABLE = ("ict-facekit",)
IMPORT_HINT = "run `facesynth assets import ict-facekit --from DIR_OR_ARCHIVE` with files you already have"


def _fail(exc: FacesynthError) -> NoReturn:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(exc.exit_code)


def _bundled_world_dir() -> Path | None:
    """Blender's world HDRI folder inside the bpy wheel, found without importing bpy."""
    spec = importlib.util.find_spec("bpy")
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        hits = sorted(Path(root).glob("*/datafiles/studiolights/world"))
        if hits:
            return hits[-1]
    return None


def _status(name: str, files: dict[str, str], availability: str) -> str:
    from facesynth.assets.cache import pack_cache_path

    if availability == "user-supplied":
        return "user must obtain the files under their own licence (not shipped or fetched)"
    if availability == "bundled":
        folder = _bundled_world_dir()
        if folder is None:
            return "not installed (needs the render extra: pip install facesynth[render])"
        good = sum(
            (folder / rel).is_file() and hashlib.sha256((folder / rel).read_bytes()).hexdigest() == sha
            for rel, sha in files.items()
        )
        return f"{good}/{len(files)} files verified in {folder}"
    path = pack_cache_path(name)
    if path.exists():
        return f"imported: {path} ({path.stat().st_size / 1e6:.1f} MB)"
    return f"not imported: {IMPORT_HINT}"


@app.command("list")
def list_assets() -> None:
    """Show every known asset, its licence and whether it is ready to use."""
    from facesynth.assets.manifest import list_manifests

    try:
        manifests = list_manifests()
    except FacesynthError as exc:
        _fail(exc)
    typer.echo(f"{'builtin':<15} {'face-model':<12} {'Apache-2.0':<18} always available (procedural head)")
    for m in manifests:
        typer.echo(f"{m.name:<15} {m.kind:<12} {m.licence.spdx:<18} {_status(m.name, m.files, m.availability)}")


@app.command("import")
def import_asset(
    name: Annotated[str, typer.Argument(help="Asset to import: ict-facekit.")],
    source: Annotated[Path, typer.Option("--from", help="The release archive (.tar.xz/.tar.gz) or its folder.")],
    out: Annotated[Path | None, typer.Option("--out", help="Pack file to write (default: the cache).")] = None,
) -> None:
    """Verify the files against the pinned sha256s and build the face pack."""
    try:
        if name not in IMPORTABLE:
            raise UserError(f"cannot import {name!r}: importable assets are {', '.join(IMPORTABLE)}")
        from facesynth.assets.cache import pack_cache_path
        from facesynth.assets.ict import PACK_NAME, import_ict
        from facesynth.assets.pack import read_pack_file
        from facesynth.atomic import check_writable

        # before the minutes of work, not after: where the pack goes must be writable
        check_writable(out if out is not None else pack_cache_path(PACK_NAME),
                       "--out" if out is not None else "face pack (FACESYNTH_HOME)")
        path = import_ict(source, out)
        pack = read_pack_file(path)
    except FacesynthError as exc:
        _fail(exc)
    typer.echo(
        f"imported {name}: {pack.n_vertices} vertices, {pack.n_polygons} polygons, {pack.n_identity} identity modes, "
        f"{pack.n_expressions} expressions -> {path} ({path.stat().st_size / 1e6:.1f} MB, sha256 {pack.sha256[:12]})"
    )


@app.command("fetch")
def fetch_asset(
    name: Annotated[str, typer.Argument(help="Asset to download and import: ict-facekit.")],
    timeout_s: Annotated[float, typer.Option("--timeout", help="Seconds to wait for the server.")] = 15.0,
    url: Annotated[str | None, typer.Option("--url", help="A mirror of the pinned archive.", hidden=True)] = None,
) -> None:
    """Download the release pinned in the manifest and import it (needs network access)."""
    try:
        if name not in IMPORTABLE:
            raise UserError(f"cannot fetch {name!r}: fetchable assets are {', '.join(IMPORTABLE)}")
        from facesynth.assets.cache import cache_dir
        from facesynth.assets.download import download
        from facesynth.assets.ict import import_ict
        from facesynth.assets.manifest import load_manifest

        manifest = load_manifest(name)
        source_url = url or manifest.upstream.url
        if not source_url:
            raise UserError(f"asset manifest {name} has no upstream.url to fetch; {IMPORT_HINT}")
        dest = cache_dir() / "downloads" / f"{name}-{(manifest.upstream.commit or 'latest')[:12]}.tar.gz"
        typer.echo(f"downloading {source_url}", err=True)
        download(source_url, dest, timeout_s, IMPORT_HINT)
        path = import_ict(dest)
    except FacesynthError as exc:
        _fail(exc)
    typer.echo(f"fetched and imported {name} -> {path}")

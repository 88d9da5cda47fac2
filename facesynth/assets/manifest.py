"""The asset manifests (assets_manifest/*.yaml): where each external asset comes from, its
licence and attribution, and the sha256 of every file, validated with pydantic."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from facesynth.errors import UserError

# The manifests live at the top of the source tree, beside the package.
MANIFEST_DIR = Path(__file__).resolve().parents[2] / "assets_manifest"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Upstream(_Frozen):
    repository: str | None = None
    commit: str | None = Field(default=None, pattern=r"^[0-9a-f]{40}$")
    url: str | None = None
    """Where `facesynth assets fetch` downloads from (pinned to the commit where there is one)."""
    location: str | None = None
    package: str | None = None


class Licence(_Frozen):
    spdx: str
    terms: str
    notice_file: str | None = None
    """The file of the asset that holds the licence text (it must be in `files`)."""


class AssetManifest(_Frozen):
    name: str
    kind: Literal["face-model", "environment"]
    title: str
    availability: Literal["bundled", "import", "user-supplied"]
    """bundled: ships with a dependency; import: the user runs `facesynth assets import`;
    user-supplied: facesynth pins nothing, the user must obtain the files under their own licence."""
    upstream: Upstream
    licence: Licence
    attribution: str
    importer: str | None = None
    files: dict[str, str] = Field(default_factory=dict)
    """Path inside the asset (archive or folder) -> sha256 (lower-case hex)."""

    def model_post_init(self, _: object) -> None:
        bad = [p for p, h in self.files.items() if len(h) != 64 or any(c not in "0123456789abcdef" for c in h)]
        if bad:
            raise ValueError(f"files: {bad[0]} has no valid sha256 (64 lower-case hex digits)")
        if self.licence.notice_file and self.files and self.licence.notice_file not in self.files:
            raise ValueError(f"licence.notice_file {self.licence.notice_file!r} is not listed in files")


def manifest_path(name: str, directory: Path | None = None) -> Path:
    return (directory or MANIFEST_DIR) / f"{name}.yaml"


def load_manifest(name_or_path: str | Path, directory: Path | None = None) -> AssetManifest:
    """Load and validate a manifest by asset name ('ict-facekit') or by path."""
    text = str(name_or_path)
    path = Path(text) if text.endswith((".yaml", ".yml")) else manifest_path(text, directory)
    if not path.exists():
        known = ", ".join(list_manifest_names(directory)) or "none"
        raise UserError(f"no asset manifest {path} (known assets: {known})")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise UserError(f"asset manifest {path}: invalid YAML ({str(exc).splitlines()[0]})") from None
    try:
        manifest = AssetManifest.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        raise UserError(f"asset manifest {path}: {where}: {err['msg']}") from None
    if manifest.name != path.stem:
        raise UserError(f"asset manifest {path}: name {manifest.name!r} does not match the file name")
    return manifest


def list_manifest_names(directory: Path | None = None) -> list[str]:
    folder = directory or MANIFEST_DIR
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def list_manifests(directory: Path | None = None) -> list[AssetManifest]:
    return [load_manifest(n, directory) for n in list_manifest_names(directory)]

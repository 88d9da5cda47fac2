"""Check a dataset directory sample by sample, and optionally delete what is broken.

Checks per sample: the JSON parses, has `meta_version` and the required keys, each listed file
exists with its size and sha256, and decodes (PNG/EXR/PLY). Across samples: duplicate ids or
indices, stray temporary files, and indices missing against the recipe's `samples` count.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from facesynth.atomic import is_temporary
from facesynth.errors import UserError
from facesynth.io import codecs
from facesynth.io.layout import KINDS, REQUIRED_META_KEYS, file_name, subdir_name
from facesynth.io.locks import LOCK_DIR
from facesynth.io.store import DATASET_FILE, RECIPE_FILE, index_sha256, read_meta, sha256_hex
from facesynth.outputs import READABLE_META_VERSIONS
from facesynth.recipe import bounded_yaml


@dataclass
class VerifyReport:
    root: Path
    ok: list[str] = field(default_factory=list)
    corrupt: dict[str, str] = field(default_factory=dict)
    """sample JSON name (id) -> first problem found."""
    missing: list[int] = field(default_factory=list)
    """indices below the recipe's sample count with no sample."""
    duplicates: dict[str, list[str]] = field(default_factory=dict)
    """'index 7' / 'id 000007' -> the JSON files claiming it."""
    stray_temp: list[Path] = field(default_factory=list)
    orphans: list[Path] = field(default_factory=list)
    """sample files no metadata lists (left by a kill before the JSON was written)."""
    expected: int | None = None
    repaired: list[str] = field(default_factory=list)
    foreign: dict[str, str] = field(default_factory=dict)
    """sample id -> why it belongs to another recipe or format version than the dataset's."""

    @property
    def passed(self) -> bool:
        """True only when verify found nothing at all: temp and orphan files count too (a dataset
        with leftovers of a killed writer, or a writer still at work, is not finished)."""
        return not (self.corrupt or self.missing or self.duplicates or self.stray_temp or self.orphans
                    or self.foreign)

    def summary(self) -> str:
        exp = f"/{self.expected}" if self.expected is not None else ""
        foreign = f", {len(self.foreign)} of another recipe or version" if self.foreign else ""
        return (
            f"{self.root}: {len(self.ok)}{exp} samples ok, {len(self.corrupt)} corrupt{foreign}, {len(self.missing)} "
            f"missing, {len(self.duplicates)} duplicated, {len(self.stray_temp)} temp files, "
            f"{len(self.orphans)} orphan files" + (f", repaired {len(self.repaired)}" if self.repaired else "")
        )


def expected_count(root: Path) -> int | None:
    """The recipe's `samples` (top level or under `dataset:`), None when absent."""
    path = root / RECIPE_FILE
    if not path.exists():
        return None
    try:
        recipe = bounded_yaml.safe_load(path.read_text(encoding="utf-8"), str(path))
    except (yaml.YAMLError, UnicodeDecodeError, ValueError) as exc:
        raise UserError(f"{path}: not readable YAML ({exc.__class__.__name__})") from exc
    if not isinstance(recipe, dict):
        return None
    for holder in (recipe, recipe.get("dataset"), recipe.get("output")):
        if isinstance(holder, dict) and isinstance(holder.get("samples"), int):
            return int(holder["samples"])
    return None


def check_sample(json_path: Path, deep: bool = True) -> tuple[dict[str, Any] | None, str | None]:
    """(metadata, None) when the sample is sound, else (metadata or None, the first problem)."""
    meta = read_meta(json_path)
    if meta is None:
        return None, "metadata JSON does not parse"
    absent = [k for k in REQUIRED_META_KEYS if k not in meta]
    if absent:
        return meta, f"metadata lacks {', '.join(absent)}"
    if meta["meta_version"] not in READABLE_META_VERSIONS:
        return meta, f"meta_version {meta['meta_version']!r} is not one of {READABLE_META_VERSIONS}"
    sid = json_path.name[: -len(".json")]
    if meta["id"] != sid or not isinstance(meta["index"], int):
        return meta, f"metadata id {meta['id']!r} / index {meta['index']!r} do not match the file name"
    if json_path.parent.name != subdir_name(meta["index"]):
        return meta, f"index {meta['index']} belongs in samples/{subdir_name(meta['index'])}"
    if not isinstance(meta["outputs"], dict):
        return meta, "outputs is not a mapping"
    for kind, desc in sorted(meta["outputs"].items()):
        problem = _check_file(json_path.parent, sid, kind, desc, deep)
        if problem:
            return meta, problem
    return meta, None


def _check_file(folder: Path, sid: str, kind: str, desc: Any, deep: bool) -> str | None:
    if kind not in KINDS or not isinstance(desc, dict):
        return f"unknown output {kind!r}"
    name = file_name(sid, kind)
    if desc.get("file") != name:
        return f"output {kind} names {desc.get('file')!r}, expected {name}"
    path = folder / name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return f"{name} is missing"
    if len(data) != desc.get("bytes"):
        return f"{name} has {len(data)} bytes, metadata says {desc.get('bytes')}"
    if not deep:
        return None
    if sha256_hex(data) != desc.get("sha256"):
        return f"{name} sha256 differs from metadata"
    try:
        decoded = codecs.decode_by_ext(name, data)
    except Exception as exc:  # any decoder failure means the file is unusable
        return f"{name} does not decode: {exc.__class__.__name__}"
    shape = desc.get("shape")
    if shape is not None and isinstance(decoded, dict):
        got = list(next(iter(decoded.values())).shape)
        if sorted(decoded) != sorted(desc.get("channels") or []) or got != shape[:2]:
            return f"{name} channels/shape differ from metadata"
    return None


def _dataset_identity(root: Path) -> dict[str, Any]:
    """What every sample must agree with: the sha256 of recipe.yaml and dataset.json's facesynth
    version. (Its meta_version is not compared: the writer never resumes a dataset of another
    schema, and readers accept every readable version, checked by `check_sample`.)"""
    want: dict[str, Any] = {"recipe_sha256": sha256_hex((root / RECIPE_FILE).read_bytes())}
    info = read_meta(root / DATASET_FILE) or {}
    if "facesynth_version" in info:
        want["facesynth_version"] = info["facesynth_version"]
    return want


def _foreign(meta: dict[str, Any], want: dict[str, Any]) -> str | None:
    """Why a sound sample does not belong to this dataset, or None."""
    for key, value in want.items():
        if (key in meta and meta[key] != value) or (key == "recipe_sha256" and key not in meta):
            got = str(meta.get(key))[:80]
            return f"{key} {got} is not the dataset's {value}"
    return None


def verify(root: str | os.PathLike[str], repair: bool = False, *, deep: bool = True) -> VerifyReport:
    """Check every sample of the dataset at `root`; with `repair`, delete broken samples and temp files."""
    root = Path(root)
    if not root.is_dir() or not (root / RECIPE_FILE).exists():
        raise UserError(f"{root} is not a facesynth dataset directory (no {RECIPE_FILE})")
    report = VerifyReport(root=root, expected=expected_count(root))
    by_index: dict[int, list[Path]] = {}
    by_id: dict[str, list[Path]] = {}
    listed: set[Path] = set()
    broken: list[Path] = []
    corrupt_indices: set[int] = set()
    indexed = index_sha256(root)
    want = _dataset_identity(root)
    report.stray_temp.extend(p for folder in (root, root / "index", root / LOCK_DIR) if folder.is_dir()
                             for p in sorted(folder.iterdir()) if is_temporary(p.name))
    for folder in sorted(p for p in (root / "samples").glob("*") if p.is_dir()):
        names = sorted(os.listdir(folder))
        for name in names:
            path = folder / name
            if is_temporary(name):
                report.stray_temp.append(path)
            elif name.endswith(".json"):
                meta, problem = check_sample(path, deep)
                sid = name[: -len(".json")]
                if problem:
                    report.corrupt[sid] = problem
                    broken.append(path)
                    if meta is not None and isinstance(meta.get("index"), int):
                        corrupt_indices.add(meta["index"])
                    continue
                assert meta is not None
                if sid in indexed and sha256_hex(path.read_bytes()) not in indexed[sid]:
                    report.corrupt[sid] = f"{name} differs from its sha256 in index/"
                    broken.append(path)
                    corrupt_indices.add(meta["index"])
                    continue
                why = _foreign(meta, want)
                if why:
                    report.foreign[sid] = why
                    broken.append(path)
                    corrupt_indices.add(meta["index"])
                    continue
                report.ok.append(sid)
                by_index.setdefault(meta["index"], []).append(path)
                by_id.setdefault(sid, []).append(path)
                listed.update(folder / d["file"] for d in meta["outputs"].values())
        for name in names:
            path = folder / name
            if not is_temporary(name) and not name.endswith(".json") and path not in listed:
                sid = name.split(".", 1)[0]
                if sid not in report.corrupt and sid not in report.foreign:
                    report.orphans.append(path)
    for key, paths in [
        *((f"index {i}", p) for i, p in by_index.items()),
        *((f"id {s}", p) for s, p in by_id.items()),
    ]:
        if len(paths) > 1:
            report.duplicates[key] = [str(p.relative_to(root)) for p in paths]
    if report.expected is not None:
        report.missing = [i for i in range(report.expected) if i not in by_index and i not in corrupt_indices]
    if repair:
        _repair(report, broken)
    return report


def _repair(report: VerifyReport, broken: list[Path]) -> None:
    """Delete broken samples (JSON first, so no half sample is ever visible), temp and orphan files."""
    for json_path in broken:
        sid = json_path.name[: -len(".json")]
        json_path.unlink(missing_ok=True)
        for other in json_path.parent.glob(f"{sid}.*"):
            other.unlink(missing_ok=True)
        report.repaired.append(sid)
    for path in [*report.stray_temp, *report.orphans]:
        path.unlink(missing_ok=True)

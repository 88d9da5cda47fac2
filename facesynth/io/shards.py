"""Check exported WebDataset shards against `dataset_info.json`: a damaged or truncated shard is
named, never read as a shorter dataset.

`check_shard_files` (size, sha256 and sample count of each shard: what the reader and `stats`
do on opening) and `verify_export` (that, plus every member's sha256 against its sample's
metadata and a decode of each file: what `facesynth verify EXPORT_DIR` does).
"""

from __future__ import annotations

import hashlib
import json
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from facesynth.errors import UserError
from facesynth.io import codecs

INFO_FILE = "dataset_info.json"
_CHUNK = 1 << 20


def read_info(folder: Path) -> dict[str, Any] | None:
    """The export's dataset_info.json, None when there is none (a folder of foreign tars)."""
    path = folder / INFO_FILE
    if not path.exists():
        return None
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise UserError(f"{path} is not readable JSON ({exc.__class__.__name__})") from None
    if not isinstance(info, dict) or not isinstance(info.get("shards"), list):
        raise UserError(f"{path} has no list of shards")
    return info


def _file_sha256(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            sha.update(chunk)
    return sha.hexdigest()


def _members(path: Path) -> list[tarfile.TarInfo]:
    """Every member of a shard; a truncated or garbled tar is an error, not an early end."""
    try:
        with tarfile.open(path, "r:") as tar:
            members = tar.getmembers()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ValueError(f"not a readable tar ({exc.__class__.__name__}: {exc})") from None
    size = path.stat().st_size
    if any(m.offset_data + m.size > size for m in members):
        raise ValueError("a member runs past the end of the file (truncated)")
    return members


def shard_problem(path: Path, entry: dict[str, Any], *, deep: bool = True) -> str | None:
    """The first way `path` differs from its dataset_info entry, or None."""
    if not path.is_file():
        return "is missing"
    size = path.stat().st_size
    if size != entry.get("bytes"):
        return f"has {size} bytes, dataset_info.json says {entry.get('bytes')}"
    if deep and _file_sha256(path) != entry.get("sha256"):
        return "sha256 differs from dataset_info.json"
    try:
        count = sum(1 for m in _members(path) if m.isfile() and m.name.endswith(".json"))
    except ValueError as exc:
        return str(exc)
    if count != entry.get("samples"):
        return f"holds {count} samples, dataset_info.json says {entry.get('samples')}"
    return None


def check_shard_files(paths: list[Path], info: dict[str, Any] | None, *, whole_export: bool = True,
                      deep: bool = True) -> None:
    """Raise a UserError naming the first shard that differs from dataset_info.json, or (for a
    whole export) that it lists and the folder lacks; `deep=False` skips the sha256."""
    if info is None:
        return
    entries = {str(e.get("name")): e for e in info["shards"] if isinstance(e, dict)}
    if whole_export and paths:
        present = {p.name for p in paths}
        lost = sorted(name for name in entries if name not in present)
        if lost:
            raise UserError(f"shard {paths[0].parent / lost[0]} listed in {INFO_FILE} is missing "
                            f"({len(lost)} missing); fetch it again or re-export")
    for path in paths:
        entry = entries.get(path.name)
        if entry is None:
            raise UserError(f"shard {path} is not listed in {INFO_FILE}: not part of this export")
        problem = shard_problem(path, entry, deep=deep)
        if problem:
            raise UserError(f"shard {path} is damaged: {problem}; re-export it or fetch it again")


@dataclass(frozen=True)
class ExportReport:
    root: Path
    ok: tuple[str, ...]
    broken: Mapping[str, str]
    """shard -> its first problem."""
    unlisted: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not (self.broken or self.unlisted)

    def summary(self) -> str:
        return (f"{self.root}: {len(self.ok)} shards ok, {len(self.broken)} broken, "
                f"{len(self.unlisted)} not listed in {INFO_FILE}")


def is_export(folder: Path) -> bool:
    return (folder / INFO_FILE).is_file() and not (folder / "samples").is_dir()


def verify_export(folder: str | Path, *, deep: bool = True) -> ExportReport:
    """Check every shard listed in dataset_info.json: size, sha256, sample count, and each
    member's size and sha256 against the `outputs` of its sample's metadata and a decode of it
    (deep=False: sizes and sample counts only)."""
    folder = Path(folder)
    info = read_info(folder)
    if info is None:
        raise UserError(f"{folder} has no {INFO_FILE}: not a facesynth export")
    listed = {str(e.get("name")) for e in info["shards"]}
    ok, broken = [], {}
    for entry in info["shards"]:
        name = str(entry.get("name"))
        if "/" in name or name.startswith("."):
            broken[name] = "unsafe shard name in dataset_info.json"
            continue
        problem = shard_problem(folder / name, entry, deep=deep)
        if problem is None and deep:  # --quick: sizes and sample counts only, like a dataset directory
            problem = _member_problem(folder / name)
        if problem:
            broken[name] = problem
        else:
            ok.append(name)
    unlisted = tuple(sorted(p.name for p in folder.glob("*.tar") if p.name not in listed))
    return ExportReport(folder, tuple(ok), MappingProxyType(broken), unlisted)


def _member_problem(path: Path) -> str | None:
    """Members are grouped by sample (export writes them so): check one sample at a time."""
    group: dict[str, bytes] = {}
    with tarfile.open(path, "r:") as tar:
        for member in tar:
            if not member.isfile():
                continue
            if group and member.name.split(".", 1)[0] != next(iter(group)).split(".", 1)[0]:
                if problem := _sample_problem(group):
                    return problem
                group = {}
            group[member.name] = tar.extractfile(member).read()  # type: ignore[union-attr]
    return _sample_problem(group) if group else None


def _sample_problem(files: dict[str, bytes]) -> str | None:
    sid = next(iter(files)).split(".", 1)[0]
    try:
        outputs = codecs.decode_json(files[f"{sid}.json"])["outputs"]
    except (ValueError, KeyError, TypeError):
        return f"sample {sid}: no readable {sid}.json metadata"
    for desc in outputs.values():
        member = str(desc.get("file"))
        data = files.get(member)
        if data is None:
            return f"sample {sid}: {member} is missing"
        if len(data) != desc.get("bytes") or hashlib.sha256(data).hexdigest() != desc.get("sha256"):
            return f"sample {sid}: {member} differs from its sha256 in {sid}.json"
        try:
            codecs.decode_by_ext(member, data)
        except Exception as exc:  # any decoder failure means the member is unusable
            return f"sample {sid}: {member} does not decode ({exc.__class__.__name__})"
    return None

"""The dataset writer: atomic sample files, metadata last, one index file per writer process.

A sample exists only when its `<id>.json` exists; that JSON lists every other file of the sample
with its size and sha256, so a resumed run can tell finished samples from broken ones without
trusting anything else.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import socket
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from facesynth._version import __version__
from facesynth.atomic import TMP_PREFIX, is_temporary
from facesynth.errors import UserError, WorkError
from facesynth.io import codecs
from facesynth.io.encode import encode_output
from facesynth.io.layout import KINDS, SUBDIR_SIZE, file_name, sample_dir, subdir_name
from facesynth.outputs import META_VERSION

RECIPE_FILE = "recipe.yaml"
DATASET_FILE = "dataset.json"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def recipe_sha256(root: Path) -> str | None:
    path = root / RECIPE_FILE
    return sha256_hex(path.read_bytes()) if path.exists() else None


class DatasetWriter:
    """Writes samples into a dataset directory; safe to run as several processes at once."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        recipe_text: str,
        *,
        force_new: bool = False,
        worker_name: str | None = None,
        blender_version: str | None = None,
    ) -> None:
        self.root = Path(root)
        self.recipe_text = recipe_text
        self.recipe_sha256 = sha256_hex(recipe_text.encode("utf-8"))
        self.worker_name = worker_name or f"{socket.gethostname()}-{os.getpid()}"
        if "/" in self.worker_name or self.worker_name.startswith("."):
            raise UserError(f"worker name {self.worker_name!r} must be a plain file name")
        self._check_or_start(force_new, blender_version)
        self.index_path = self.root / "index" / f"{self.worker_name}.jsonl"

    def _check_or_start(self, force_new: bool, blender_version: str | None) -> None:
        if self.root.exists() and not self.root.is_dir():
            raise UserError(f"dataset directory {self.root} is a file")
        existing = recipe_sha256(self.root)
        # Another writer's recipe.yaml may be half-written (a temp file): that does not make the
        # directory foreign, only a finished recipe.yaml can make it another recipe's.
        non_empty = self.root.exists() and any(not is_temporary(p) for p in self.root.iterdir())
        if non_empty and existing != self.recipe_sha256 and not force_new:
            if existing is None:
                raise UserError(
                    f"{self.root} is not empty and holds no {RECIPE_FILE}: not a facesynth dataset "
                    f"(choose an empty directory, or pass --force-new)"
                )
            raise UserError(
                f"{self.root} holds a dataset of another recipe (recipe.yaml sha256 {existing}, this recipe "
                f"{self.recipe_sha256}): choose another directory or pass --force-new to start over"
            )
        if force_new and existing is not None and existing != self.recipe_sha256:
            # Start over: samples of another recipe must not be mixed with this one's.
            for name in ("samples", "index"):
                shutil.rmtree(self.root / name, ignore_errors=True)
            with contextlib.suppress(FileNotFoundError):
                (self.root / DATASET_FILE).unlink()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a path the user cannot write to: their input to fix
            raise UserError(f"cannot create dataset directory {self.root}: {exc.strerror or exc}") from exc
        if existing != self.recipe_sha256:
            codecs.write_file(self.root / RECIPE_FILE, self.recipe_text.encode("utf-8"))
        _check_meta_version(self.root)
        if not (self.root / DATASET_FILE).exists():
            info = {
                "recipe_sha256": self.recipe_sha256,
                "facesynth_version": __version__,
                "blender_version": blender_version,
                "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "meta_version": META_VERSION,
                "layout": {"subdir_size": SUBDIR_SIZE},
            }
            codecs.write_file(self.root / DATASET_FILE, codecs.encode_json(info))

    # -- resume -------------------------------------------------------------------------------

    def pending(self, indices: Iterable[int], *, temp_grace_s: float = 300.0) -> list[int]:
        """Indices whose sample is missing or broken, in the given order.

        Broken: the JSON does not parse, or a file it lists is missing or has another size.
        Temporary files of interrupted writes in the touched sub-directories are deleted when older
        than `temp_grace_s` (younger ones may belong to another live writer of the same directory).
        """
        wanted = list(indices)
        found: dict[int, Path] = {}
        for sub in sorted({subdir_name(i) for i in wanted}):
            found.update(_scan_subdir(self.root / "samples" / sub, temp_grace_s))
        return [i for i in wanted if i not in found or not sample_is_complete(found[i])]

    # -- writing ------------------------------------------------------------------------------

    def write_sample(self, index: int, sample_id: str, outputs: Mapping[str, Any], meta: Mapping[str, Any]) -> Path:
        """Write every output file atomically, then `<id>.json`, then the index line; returns the JSON."""
        if not sample_id or "/" in sample_id or "." in sample_id or sample_id.startswith("-"):
            raise UserError(f"sample id {sample_id!r} must be a plain name without '/' or '.'")
        if meta.get("id", sample_id) != sample_id or meta.get("index", index) != index:
            raise UserError(
                f"sample {sample_id}: metadata says id={meta.get('id')!r} index={meta.get('index')!r}, "
                f"written as id={sample_id!r} index={index}"
            )
        folder = sample_dir(self.root, index)
        json_path = folder / f"{sample_id}.json"
        # Encode everything first: a bad output or metadata fails before anything touches the disk.
        encoded: dict[str, bytes] = {}
        described: dict[str, dict[str, Any]] = {}
        for kind in sorted(outputs):
            data, desc = encode_output(kind, outputs[kind], sample_id)
            encoded[kind] = data
            described[kind] = {
                "file": file_name(sample_id, kind),
                "kind": kind,
                "unit": KINDS[kind].unit,
                **desc,
                "sha256": sha256_hex(data),
                "bytes": len(data),
            }
        full = {**meta, "id": sample_id, "index": index, "outputs": described}
        full.setdefault("meta_version", META_VERSION)
        full.setdefault("recipe_sha256", self.recipe_sha256)
        try:
            json_bytes = codecs.encode_json(full)
        except (TypeError, ValueError) as exc:
            raise UserError(f"sample {sample_id}: metadata cannot be written as JSON: {exc}") from exc
        # Re-writing a broken sample: withdraw its old metadata first, so a kill in the middle
        # never leaves a JSON that lists files of two different writes.
        json_path.unlink(missing_ok=True)
        for kind, data in encoded.items():
            self._write(folder / described[kind]["file"], data)
        self._write(json_path, json_bytes)  # last: from here on the sample exists
        self._append_index(sample_id, index, json_path, json_bytes, described)
        return json_path

    def _write(self, path: Path, data: bytes) -> None:
        try:
            codecs.write_file(path, data)
        except OSError as exc:
            raise WorkError(f"could not write {path}: {exc.strerror or exc}") from exc

    def _append_index(
        self, sample_id: str, index: int, json_path: Path, json_bytes: bytes, kinds: Iterable[str]
    ) -> None:
        line = json.dumps(
            {
                "id": sample_id,
                "index": index,
                "json": json_path.relative_to(self.root).as_posix(),
                "sha256": sha256_hex(json_bytes),
                "kinds": sorted(kinds),
            },
            sort_keys=True,
        )
        self.index_path.parent.mkdir(parents=True, exist_ok=True)
        # One file per writer process, so appends never interleave; a line cut by a kill is
        # skipped by readers (the JSON files, not this index, are the truth).
        with open(self.index_path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
            fh.flush()
            os.fsync(fh.fileno())


def read_index(root: Path) -> list[dict[str, Any]]:
    """Every parseable line of every index/<worker>.jsonl, file by file (a line cut by a kill is skipped)."""
    lines: list[dict[str, Any]] = []
    for path in sorted((root / "index").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and isinstance(entry.get("id"), str) and isinstance(entry.get("index"), int):
                lines.append(entry)
    return lines


def _scan_subdir(folder: Path, temp_grace_s: float) -> dict[int, Path]:
    """{index: json path} of the metadata files in one sub-directory; removes stale temp files."""
    out: dict[int, Path] = {}
    if not folder.is_dir():
        return out
    now = time.time()
    for entry in os.scandir(folder):
        if is_temporary(entry.name):
            with contextlib.suppress(FileNotFoundError):
                if now - entry.stat().st_mtime >= temp_grace_s:
                    os.unlink(entry.path)
            continue
        if entry.name.endswith(".json"):
            meta = read_meta(Path(entry.path))
            if meta is not None and isinstance(meta.get("index"), int):
                out[meta["index"]] = Path(entry.path)
    return out


def _check_meta_version(root: Path) -> None:
    """Refuse to resume a dataset of an older metadata schema: one dataset, one schema (loaders
    that infer columns from the first samples would otherwise break on the mix)."""
    stored = read_meta(root / DATASET_FILE) or {}
    version = stored.get("meta_version", META_VERSION)
    if version != META_VERSION:
        raise UserError(
            f"{root} holds samples of metadata version {version}; this facesynth writes version "
            f"{META_VERSION}: render into a new directory"
        )


def read_meta(json_path: Path) -> dict[str, Any] | None:
    """The parsed metadata, or None when it is unreadable or not a JSON object."""
    try:
        meta = codecs.decode_json(json_path.read_bytes())
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def sample_is_complete(json_path: Path) -> bool:
    """Cheap check for resume: metadata parses and every listed file exists with its size."""
    meta = read_meta(json_path)
    if meta is None or not isinstance(meta.get("outputs"), dict):
        return False
    for desc in meta["outputs"].values():
        try:
            if (json_path.parent / desc["file"]).stat().st_size != desc["bytes"]:
                return False
        except (OSError, KeyError, TypeError):
            return False
    return True


__all__ = ["DATASET_FILE", "RECIPE_FILE", "TMP_PREFIX", "DatasetWriter", "read_meta", "sample_is_complete"]

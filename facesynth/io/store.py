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
import tempfile
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
from facesynth.io.locks import LOCK_DIR, WriterLock, live_locks
from facesynth.outputs import META_VERSION

RECIPE_FILE = "recipe.yaml"
DATASET_FILE = "dataset.json"
TEMP_GRACE_S = 300.0
"""Temporary files younger than this may belong to another live writer and are left alone."""


class StoreWriteError(WorkError):
    """Writing to the dataset failed (disk full, read-only, removed): every further sample would
    fail the same way, so a run stops at the first one."""


def _os_error(exc: OSError) -> str:
    return exc.strerror or str(exc)


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
        self.broken: list[int] = []
        """Indices `pending` found broken (a file or the JSON differs from its sha256)."""
        self._lock: WriterLock | None = None
        self._check_or_start(force_new, blender_version)
        self.index_path = self.root / "index" / f"{self.worker_name}.jsonl"

    def close(self) -> None:
        """Release this writer's lock (a killed writer's lock is found stale by the next run)."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    index_path: Path | None
    """This writer's index file; None for a worker attached to a driver, which keeps the index."""
    last_index_entry: dict[str, Any] | None = None
    """The index line of the last sample written (what a worker sends its driver)."""

    @classmethod
    def attach(cls, root: str | os.PathLike[str], recipe_text: str, *, worker_name: str) -> DatasetWriter:
        """A writer for a worker of a driver that opened `root` (and holds it): no set-up, no lock,
        no index file (each sample's index line is left in `last_index_entry` for the driver).

        Refuses (UserError) a directory that does not hold this recipe or that this process cannot
        write to: on a cluster, a node that mounts another or a read-only path."""
        self = cls.__new__(cls)
        self.root = Path(root)
        self.recipe_text = recipe_text
        self.recipe_sha256 = sha256_hex(recipe_text.encode("utf-8"))
        self.worker_name = worker_name
        host = socket.gethostname()
        if recipe_sha256(self.root) != self.recipe_sha256:
            raise UserError(f"{self.root} on {host} does not hold this run's recipe.yaml: the output "
                            "directory must be one path that every worker sees")
        try:
            fd, probe = tempfile.mkstemp(prefix=TMP_PREFIX, dir=self.root)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise UserError(f"cannot write to dataset directory {self.root} on {host}: "
                            f"{exc.strerror or exc}") from exc
        self.index_path = None  # the driver appends this worker's index lines (`append_index`)
        self.last_index_entry = None
        self._lock = None  # the driver holds the directory's writer lock
        self.temp_grace_s = 300.0  # other writers are live: their young temp files are not ours
        self.broken = []
        return self

    def _check_or_start(self, force_new: bool, blender_version: str | None) -> None:
        if self.root.exists() and not self.root.is_dir():
            raise UserError(f"dataset directory {self.root} is a file")
        existing = recipe_sha256(self.root)
        # Another writer's recipe.yaml may be half-written (a temp file): that does not make the
        # directory foreign, only a finished recipe.yaml can make it another recipe's.
        # (locks/ is created first by a writer that is just starting beside us)
        non_empty = self.root.exists() and any(not is_temporary(p) and p.name != LOCK_DIR
                                               for p in self.root.iterdir())
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
        other_version = self._other_version() if existing == self.recipe_sha256 else None
        same_schema = (read_meta(self.root / DATASET_FILE) or {}).get("meta_version", META_VERSION) == META_VERSION
        if other_version and same_schema and not force_new:
            raise UserError(
                f"{self.root} was started by {other_version}, this is facesynth {__version__} (meta_version "
                f"{META_VERSION}): its samples would mix; finish it with that version, or pass --force-new "
                "to start over")
        if force_new and existing is not None and (existing != self.recipe_sha256 or other_version):
            # Start over: samples of another recipe must not be mixed with this one's, and a writer
            # that is still running would keep adding its recipe's samples after the deletion.
            live = live_locks(self.root)
            if live:
                raise UserError(
                    f"{self.root} is still being written by {live[0].describe()}"
                    + (f" and {len(live) - 1} more" if len(live) > 1 else "")
                    + ": stop that run before --force-new (a lock is stale once its process has ended)"
                )
            for name in ("samples", "index"):
                shutil.rmtree(self.root / name, ignore_errors=True)
            with contextlib.suppress(FileNotFoundError):
                (self.root / DATASET_FILE).unlink()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a path the user cannot write to: their input to fix
            raise UserError(f"cannot create dataset directory {self.root}: {_os_error(exc)}") from None
        try:
            # the lock is the first write: a read-only or full --out fails here, before any work
            self._lock = WriterLock(self.root, self.worker_name)
        except OSError as exc:
            raise UserError(f"cannot write to dataset directory {self.root}: {_os_error(exc)}") from None
        # Temp files may belong to another live writer only if there is one; else they are a
        # killed run's leftovers, whatever their age.
        self.temp_grace_s = TEMP_GRACE_S if live_locks(self.root, exclude=self._lock.path) else 0.0
        try:
            self._start_files(existing, blender_version)
        except OSError as exc:
            self.close()
            raise StoreWriteError(f"could not set up dataset directory {self.root}: {_os_error(exc)}") from None
        except BaseException:
            self.close()
            raise

    def _other_version(self) -> str | None:
        """'facesynth X (meta_version N)' when dataset.json was written by another facesynth
        version (another meta_version is refused by `_check_meta_version`, with --force-new too
        this starts over)."""
        info = read_meta(self.root / DATASET_FILE)
        if info is None:
            return None
        theirs = (info.get("facesynth_version", __version__), info.get("meta_version", META_VERSION))
        if theirs == (__version__, META_VERSION):
            return None
        return f"facesynth {theirs[0]} (meta_version {theirs[1]})"

    def _start_files(self, existing: str | None, blender_version: str | None) -> None:
        for folder in (self.root, self.root / "index"):  # left by a kill during a previous set-up
            _remove_stale_temp(folder, self.temp_grace_s)
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

    def pending(self, indices: Iterable[int], *, temp_grace_s: float | None = None,
                check_sha256: bool = True) -> list[int]:
        """Indices whose sample is missing or broken, in the given order (broken ones in `broken`).

        Broken: the JSON does not parse or differs from its sha256 in index/, or a file it lists
        is missing or differs in size or sha256 (a flipped byte keeps the size). Hashing costs
        little next to a render (bench/bench_resume.py); `check_sha256=False` checks sizes only.
        Temporary files of interrupted writes in the touched sub-directories are deleted when older
        than `temp_grace_s` (default: 0 when no other writer holds a lock, else TEMP_GRACE_S, as
        younger ones may belong to that live writer).
        """
        if temp_grace_s is None:
            temp_grace_s = self.temp_grace_s
        wanted = list(indices)
        found: dict[int, Path] = {}
        for sub in sorted({subdir_name(i) for i in wanted}):
            found.update(_scan_subdir(self.root / "samples" / sub, temp_grace_s))
        json_sha = index_sha256(self.root) if check_sha256 else None
        todo: list[int] = []
        self.broken = []
        for i in wanted:
            if i not in found:
                todo.append(i)
            elif not sample_is_complete(found[i], check_sha256=check_sha256, json_sha256=json_sha):
                todo.append(i)
                self.broken.append(i)
        return todo

    def remove_worker_temp(self, indices: Iterable[int]) -> list[Path]:
        """After this driver's workers have all stopped: delete the temp files that killed workers
        left in the sub-directories of `indices` (young ones too, unless another writer process,
        e.g. another shard, holds a lock right now). Returns what was deleted."""
        others = self._lock is not None and live_locks(self.root, exclude=self._lock.path)
        grace = TEMP_GRACE_S if others else 0.0
        removed: list[Path] = []
        for sub in sorted({subdir_name(i) for i in indices}):
            removed += _remove_stale_temp(self.root / "samples" / sub, grace)
        return removed

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
        self._check_still_ours()
        try:
            # Re-writing a broken sample: withdraw its old metadata first, so a kill in the middle
            # never leaves a JSON that lists files of two different writes.
            json_path.unlink(missing_ok=True)
            for kind, data in encoded.items():
                codecs.write_file(folder / described[kind]["file"], data)
            codecs.write_file(json_path, json_bytes)  # last: from here on the sample exists
            self._append_index(sample_id, index, json_path, json_bytes, described)
        except OSError as exc:
            name = exc.filename if isinstance(exc.filename, str) else folder
            raise StoreWriteError(f"sample {sample_id}: could not write {name}: {_os_error(exc)}") from None
        return json_path

    def _check_still_ours(self) -> None:
        """Another run may have restarted the directory with another recipe (--force-new after our
        lock went stale): never add this recipe's samples to it."""
        try:
            current = recipe_sha256(self.root)
        except OSError as exc:
            raise StoreWriteError(f"cannot read {self.root / RECIPE_FILE}: {_os_error(exc)}") from None
        if current != self.recipe_sha256:
            raise StoreWriteError(f"{self.root} now holds another recipe ({RECIPE_FILE} sha256 {current}): "
                                  "another run started it over; stopping")

    def _append_index(
        self, sample_id: str, index: int, json_path: Path, json_bytes: bytes, kinds: Iterable[str]
    ) -> None:
        self.last_index_entry = index_entry(self.root, sample_id, index, json_path, json_bytes, kinds)
        if self.index_path is not None:  # None: an attached worker's driver appends the line
            self.append_index(self.last_index_entry)

    def append_index(self, entry: Mapping[str, Any]) -> None:
        """Append one line (see `index_entry`) to this writer's index file."""
        if self.index_path is None:
            raise WorkError("a worker's writer keeps no index file: its driver appends the lines")
        line = json.dumps(dict(entry), sort_keys=True)
        self.index_path.parent.mkdir(parents=True, exist_ok=True)
        # One file per writer process, so appends never interleave; a line cut by a kill is
        # skipped by readers (the JSON files, not this index, are the truth).
        with open(self.index_path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        if self._lock is not None:  # every sample, a driver's included, keeps the lock fresh
            self._lock.touch()


def index_entry(root: Path, sample_id: str, index: int, json_path: Path, json_bytes: bytes,
                kinds: Iterable[str]) -> dict[str, Any]:
    """The index line of one written sample."""
    return {
        "id": sample_id,
        "index": index,
        "json": json_path.relative_to(root).as_posix(),
        "sha256": sha256_hex(json_bytes),
        "kinds": sorted(kinds),
    }


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


def index_sha256(root: Path) -> dict[str, set[str]]:
    """id -> sha256s of its metadata JSON recorded by writers (the JSON cannot checksum itself)."""
    out: dict[str, set[str]] = {}
    for entry in read_index(root):
        if isinstance(entry.get("sha256"), str):
            out.setdefault(entry["id"], set()).add(entry["sha256"])
    return out


def _remove_stale_temp(folder: Path, grace_s: float) -> list[Path]:
    """Delete temporary files older than `grace_s` directly in `folder`; returns them."""
    removed: list[Path] = []
    now = time.time()
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(folder):
            if is_temporary(entry.name):
                with contextlib.suppress(FileNotFoundError):
                    if now - entry.stat().st_mtime >= grace_s:
                        os.unlink(entry.path)
                        removed.append(Path(entry.path))
    return removed


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


def sample_is_complete(json_path: Path, *, check_sha256: bool = False,
                       json_sha256: Mapping[str, set[str]] | None = None) -> bool:
    """Check for resume: metadata parses (and matches its sha256 in index/ when `json_sha256` is
    given and lists it), and every listed file is there with its size (and sha256)."""
    try:
        raw = json_path.read_bytes()
        meta = codecs.decode_json(raw)
    except (OSError, ValueError):
        return False
    if not isinstance(meta, dict) or not isinstance(meta.get("outputs"), dict):
        return False
    sid = json_path.name[: -len(".json")]
    if json_sha256 is not None and sid in json_sha256 and sha256_hex(raw) not in json_sha256[sid]:
        return False
    for kind, desc in meta["outputs"].items():
        try:
            if desc["file"] != file_name(sid, kind):  # never follow a name that leaves the folder
                return False
            path = json_path.parent / desc["file"]
            if not check_sha256:
                if path.stat().st_size != desc["bytes"]:
                    return False
                continue
            data = path.read_bytes()
            if len(data) != desc["bytes"] or sha256_hex(data) != desc["sha256"]:
                return False
        except (OSError, KeyError, TypeError, ValueError):
            return False
    return True


__all__ = ["DATASET_FILE", "RECIPE_FILE", "TMP_PREFIX", "DatasetWriter", "StoreWriteError", "read_meta",
           "sample_is_complete"]

"""Export a dataset directory as WebDataset tar shards, one series per split.

Shards are byte-reproducible: samples in index order, members `<id>.<kind>.<ext>` in name order,
fixed mtime/uid/gid/mode, plain USTAR headers. Every file's sha256 is checked against its
metadata while it is copied, so a corrupt dataset cannot be exported silently.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from facesynth._version import __version__
from facesynth.atomic import atomic_path
from facesynth.errors import UserError
from facesynth.io import codecs
from facesynth.io.card import dataset_card
from facesynth.io.dataset import open_dataset
from facesynth.io.export_formats import FORMATS
from facesynth.io.layout import KINDS, file_name
from facesynth.io.licences import collect_licences
from facesynth.io.store import DATASET_FILE, RECIPE_FILE, read_meta, sha256_hex
from facesynth.outputs import LANDMARK_CONVENTIONS

SHARD_PATTERN = "{split}-{number:06d}.tar"
# labels in the metadata JSON
LABEL_KEYS = (*(c.meta_key for c in LANDMARK_CONVENTIONS.values()), "dense_landmarks", "pupils", "face_box")
T = TypeVar("T")
R = TypeVar("R")


class _HashingWriter:
    """A write-only file object that hashes and counts what passes through."""

    def __init__(self, fh: BinaryIO) -> None:
        self._fh, self.sha = fh, hashlib.sha256()
        self.bytes = 0

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        self.bytes += len(data)
        return self._fh.write(data)


def _tarinfo(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, 0, 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def export_webdataset(
    root: str | os.PathLike[str], out: str | os.PathLike[str], *, shard_size: int, format: str = "webdataset"
) -> dict[str, Any]:
    """Write `<split>-NNNNNN.tar` shards, dataset_info.json, README.md and recipe.yaml into `out`.

    `shard_size` is the number of samples per shard. Returns the dataset_info dict.
    """
    root, out = Path(root), Path(out)
    if format not in FORMATS:
        raise UserError(f"export format {format!r} is not supported (choose from: {', '.join(FORMATS)})")
    if format != "webdataset":
        raise UserError(f"export format {format!r} is written by facesynth.io.coco.export_coco")
    if shard_size < 1:
        raise UserError(f"--shard-size must be at least 1, got {shard_size}")
    dataset = open_dataset(root)
    if dataset.source_kind != "directory":
        raise UserError(f"{root}: export reads a dataset directory, not shards")
    if out.resolve() == root.resolve() or root.resolve() in out.resolve().parents:
        raise UserError(f"export directory {out} must be outside the dataset {root}")
    by_split: dict[str, list[Any]] = {}
    for sample in dataset:
        by_split.setdefault(str(sample.meta.get("split", "train")), []).append(sample)
    out.mkdir(parents=True, exist_ok=True)
    shards, written = [], set()
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="export-read") as pool:
        for split in sorted(by_split):
            samples = by_split[split]
            for number, start in enumerate(range(0, len(samples), shard_size)):
                name = SHARD_PATTERN.format(split=split, number=number)
                written.add(name)
                shard = _write_shard(out / name, samples[start : start + shard_size], pool)
                shards.append({"name": name, "split": split, **shard})
    for stale in out.glob("*-[0-9][0-9][0-9][0-9][0-9][0-9].tar"):
        if stale.name not in written:  # left from an earlier export with more shards
            stale.unlink()
    info = _dataset_info(root, dataset, by_split, shards)
    codecs.write_file(out / "dataset_info.json", codecs.encode_json(info))
    codecs.write_file(out / RECIPE_FILE, (root / RECIPE_FILE).read_bytes())
    codecs.write_file(out / "README.md", dataset_card(info).encode("utf-8"))
    return info


def _prefetched(fn: Callable[[T], R], items: Iterable[T], pool: ThreadPoolExecutor, ahead: int) -> Iterator[R]:
    """fn(item) for each item, in order, computed up to `ahead` items in advance on `pool`."""
    pending: deque[Future[R]] = deque()
    for item in items:
        pending.append(pool.submit(fn, item))
        if len(pending) > ahead:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _write_shard(path: Path, samples: list[Any], pool: ThreadPoolExecutor) -> dict[str, Any]:
    # Reading and sha256-checking the next samples (hashlib releases the GIL) overlaps with
    # writing and hashing the shard here; `ahead` bounds the memory held.
    with atomic_path(path) as tmp, open(tmp, "wb") as raw:
        sink = _HashingWriter(raw)
        for members in _prefetched(_sample_members, samples, pool, ahead=4):
            for name, data in members:
                # tarfile's own header encoder, but whole members written at once: tarfile's
                # stream mode would cut them into 10 KiB writes (and as many hash updates).
                sink.write(_tarinfo(name, len(data)).tobuf(tarfile.USTAR_FORMAT, "utf-8", "strict"))
                sink.write(data)
                sink.write(bytes(-len(data) % tarfile.BLOCKSIZE))
        # End of archive: two zero blocks, then zeros up to a whole record, as tarfile writes it.
        end = 2 * tarfile.BLOCKSIZE
        sink.write(bytes(end + (-(sink.bytes + end) % tarfile.RECORDSIZE)))
    return {"samples": len(samples), "bytes": sink.bytes, "sha256": sink.sha.hexdigest()}


def _sample_members(sample: Any) -> list[tuple[str, bytes]]:
    json_path = sample._entry.meta_ref.path
    json_bytes = json_path.read_bytes()
    try:
        meta = codecs.decode_json(json_bytes)  # parsed from the very bytes that go into the shard
    except ValueError:
        raise UserError(
            f"sample {sample.id}: metadata {json_path} is unreadable; run `facesynth verify --repair`"
        ) from None
    members = [(json_path.name, json_bytes)]
    for kind, desc in sorted(meta["outputs"].items()):
        members.append((desc["file"], checked_read(sample, kind, desc)))
    return sorted(members)


def checked_read(sample: Any, kind: str, desc: dict[str, Any]) -> bytes:
    """The bytes of one output, refused unless they match the sha256 in the sample's metadata."""
    if kind not in KINDS or desc.get("file") != file_name(sample.id, kind):
        # Member names come only from the layout table: no path can escape the shard.
        raise UserError(f"sample {sample.id}: output {kind!r} names file {desc.get('file')!r}; run verify")
    try:
        data = sample.read(kind)
    except FileNotFoundError:
        raise UserError(f"sample {sample.id}: {desc['file']} is missing; run `facesynth verify --repair`") from None
    if sha256_hex(data) != desc["sha256"]:
        raise UserError(
            f"sample {sample.id}: {desc['file']} does not match its sha256; run `facesynth verify --repair`"
        )
    return data


def _dataset_info(
    root: Path, dataset: Any, by_split: dict[str, list[Any]], shards: list[dict[str, Any]]
) -> dict[str, Any]:
    metas = [s.meta for s in dataset]
    expressions = {
        split: dict(
            sorted(Counter(str((s.meta.get("face_model") or {}).get("expression_name")) for s in samples).items())
        )
        for split, samples in by_split.items()
    }
    stored = read_meta(root / DATASET_FILE) or {}
    recipe = (root / RECIPE_FILE).read_text(encoding="utf-8")
    return {
        "format": "webdataset",
        "facesynth_version": stored.get("facesynth_version", __version__),
        "exported_with": __version__,
        "blender_versions": sorted({str(m.get("blender_version")) for m in metas}),
        "meta_version": stored.get("meta_version", 1),
        "recipe": {"sha256": sha256_hex(recipe.encode("utf-8")), "text": recipe},
        "samples": len(metas),
        "splits": {split: len(samples) for split, samples in sorted(by_split.items())},
        "expressions": expressions,
        "kinds": sorted({k for m in metas for k in m.get("outputs", {})}),
        "labels": sorted({k for m in metas for k in LABEL_KEYS if k in m}),
        "shards": shards,
        "licences": collect_licences(metas),
    }

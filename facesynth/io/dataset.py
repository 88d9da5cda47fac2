"""Read a dataset (directory or WebDataset shards) without Blender or torch.

`open_dataset(path)` gives a `Dataset`: a sized, indexable, filterable sequence of lazy `Sample`s
whose arrays are decoded on first access.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from facesynth.errors import UserError
from facesynth.io import codecs, metafields
from facesynth.io.batches import iter_batches
from facesynth.io.shards import check_shard_files, read_info
from facesynth.io.sources import Entry, FileRef, find_source, scan_directory, scan_shards
from facesynth.io.store import RECIPE_FILE


@dataclass(frozen=True)
class Landmarks:
    xy: np.ndarray
    """(68, 2) float64 pixels, (0, 0) = centre of the top-left pixel."""
    xyz: np.ndarray
    """(68, 3) float64 mm, camera frame."""
    visible: np.ndarray
    """(68,) bool, from the depth test."""


class Sample:
    """One sample; files are read and decoded on first access."""

    def __init__(self, entry: Entry) -> None:
        self._entry = entry
        self.id = entry.id
        self.index = entry.index

    def __repr__(self) -> str:
        return f"Sample(id={self.id!r}, index={self.index}, kinds={sorted(self._entry.files)})"

    @cached_property
    def meta(self) -> dict[str, Any]:
        return codecs.decode_json(self._entry.meta_ref.read())

    @property
    def expression_weights(self) -> dict[str, float]:
        """Pack shape name -> weight (non-zero ones), for every `meta_version` this reader knows."""
        return metafields.expression_weights(self.meta)

    @property
    def kinds(self) -> list[str]:
        return sorted(self._entry.files)

    @property
    def files(self) -> dict[str, Path | bytes]:
        """kind -> path for a dataset directory, kind -> bytes for a tar shard."""
        return {k: (r.path if r.offset is None else r.read()) for k, r in self._entry.files.items()}

    def read(self, kind: str) -> bytes:
        """The raw bytes of one file."""
        return self._ref(kind).read()

    def _ref(self, kind: str) -> FileRef:
        try:
            return self._entry.files[kind]
        except KeyError:
            have = ", ".join(self.kinds) or "none"
            raise UserError(f"sample {self.id} has no {kind!r} output (it has: {have})") from None

    def _exr(self, kind: str) -> dict[str, np.ndarray]:
        return codecs.decode_exr(self.read(kind))

    @cached_property
    def rgb(self) -> np.ndarray:
        """uint8 HxWx3 (16-bit files are scaled, alpha dropped; see `read('rgb')` for the raw file)."""
        return _to_rgb8(codecs.decode_png(self.read("rgb")))

    @cached_property
    def depth(self) -> np.ndarray:
        """float32 HxW, mm, planar depth, 0 = no surface."""
        return self._exr("depth")["Z"]

    @cached_property
    def normals(self) -> np.ndarray:
        """float32 HxWx3 unit normals, camera frame, 0 = no surface."""
        ch = self._exr("normals")
        return np.stack([ch["X"], ch["Y"], ch["Z"]], axis=-1)

    @cached_property
    def posmap(self) -> dict[str, np.ndarray]:
        """Channel name -> float32 (size x size): prn.x/y/z, cam.x/y/z, coverage."""
        return self._exr("posmap")

    @cached_property
    def mask(self) -> np.ndarray:
        """uint8 HxW region ids, 0 = background."""
        return codecs.decode_png(self.read("masks"))

    @cached_property
    def crop(self) -> np.ndarray:
        return _to_rgb8(codecs.decode_png(self.read("crop")))

    @property
    def mesh(self) -> bytes:
        """PLY bytes (load with trimesh.load(io.BytesIO(data), file_type='ply'))."""
        return self.read("mesh")

    @cached_property
    def landmarks(self) -> Landmarks:
        lm = self.meta.get("landmarks_68")
        if not isinstance(lm, dict):
            raise UserError(f"sample {self.id} has no landmarks_68 in its metadata")
        return Landmarks(
            np.asarray(lm["2d"], dtype=np.float64).reshape(68, 2),
            np.asarray(lm["3d"], dtype=np.float64).reshape(68, 3),
            np.asarray(lm["visible"], dtype=bool).reshape(68),
        )

    @cached_property
    def dense_landmarks(self) -> Landmarks:
        """The `dense_landmarks` output: (N, 2) px, (N, 3) mm, (N,) visible; vertex ids in `meta`."""
        return Landmarks(*metafields.points(self.meta, "dense_landmarks"))

    @cached_property
    def pupils(self) -> Landmarks:
        """The two pupil centres (subject's right eye, then left): with `landmarks`, 70 points."""
        return Landmarks(*metafields.points(self.meta, "pupils"))


def _to_rgb8(a: np.ndarray) -> np.ndarray:
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    a = a[:, :, :3]
    if a.dtype == np.uint16:
        a = np.round(a / 257.0).astype(np.uint8)
    return np.ascontiguousarray(a)


def _matches(value: Any, wanted: Any) -> bool:
    if wanted is None:
        return True
    if isinstance(wanted, str | int):
        return value == wanted
    return value in set(wanted)


class Dataset(Sequence[Sample]):
    """Samples in index order; `filter` returns a smaller Dataset over the same files."""

    def __init__(self, path: Path, kind: str, entries: list[Entry], recipe_text: str | None) -> None:
        self.path = path
        self.source_kind = kind
        self.recipe_text = recipe_text
        self._entries = entries
        self._samples: dict[int, Sample] = {}
        self._positions: dict[str, int] | None = None

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, i: int) -> Sample:  # type: ignore[override]
        if not isinstance(i, int | np.integer):
            raise TypeError("Dataset indices are integers (use filter() for subsets)")
        n = len(self._entries)
        if not -n <= i < n:
            raise IndexError(f"sample position {i} out of range for {n} samples")
        i = int(i) % n
        if i not in self._samples:
            self._samples[i] = Sample(self._entries[i])
        return self._samples[i]

    def __iter__(self) -> Iterator[Sample]:
        return (self[i] for i in range(len(self)))

    @property
    def ids(self) -> list[str]:
        return [e.id for e in self._entries]

    def iter_batches(
        self, batch_size: int, kinds: Sequence[str] | None = None, *, drop_last: bool = False
    ) -> Iterator[dict[str, Any]]:
        """Batches of `iter_arrays` items: same-shape arrays stacked (rgb -> B x H x W x 3), ids and
        metadata as lists. numpy only; facesynth-models wraps it for torch."""
        return iter_batches(self.iter_arrays(kinds), batch_size, drop_last=drop_last)

    def by_id(self, sample_id: str) -> Sample:
        if self._positions is None:
            self._positions = {e.id: pos for pos, e in enumerate(self._entries)}
        if sample_id not in self._positions:
            raise UserError(f"{self.path}: no sample with id {sample_id!r}")
        return self[self._positions[sample_id]]

    def filter(
        self,
        *,
        split: str | Iterable[str] | None = None,
        expression: str | Iterable[str] | None = None,
        yaw_deg: tuple[float, float] | None = None,
        subject: int | Iterable[int] | None = None,
    ) -> Dataset:
        """Samples matching every given condition (yaw range inclusive, in degrees)."""
        keep = []
        for pos, entry in enumerate(self._entries):
            meta = self[pos].meta
            fm = meta.get("face_model") or {}
            yaw = (meta.get("head_pose") or {}).get("yaw_deg")
            if not (_matches(meta.get("split"), split) and _matches(fm.get("expression_name"), expression)):
                continue
            if not _matches(meta.get("subject_id"), subject):
                continue
            if yaw_deg is not None and (yaw is None or not yaw_deg[0] <= yaw <= yaw_deg[1]):
                continue
            keep.append(entry)
        return Dataset(self.path, self.source_kind, keep, self.recipe_text)

    def iter_arrays(self, kinds: Sequence[str] | None = None) -> Iterator[dict[str, Any]]:
        """Plain dicts of numpy arrays (no torch): id, index, meta and one key per decoded output.

        Keys: rgb, depth, normals, mask, crop, posmap (dict), landmarks_2d/_3d/_visible when present.
        """
        attrs = {
            "rgb": "rgb",
            "depth": "depth",
            "normals": "normals",
            "masks": "mask",
            "crop": "crop",
            "posmap": "posmap",
        }
        for sample in self:
            item: dict[str, Any] = {"id": sample.id, "index": sample.index, "meta": sample.meta}
            for kind in kinds if kinds is not None else sample.kinds:
                if kind in attrs:
                    item[attrs[kind]] = getattr(sample, attrs[kind])
            if "landmarks_68" in sample.meta:
                lm = sample.landmarks
                item.update(landmarks_2d=lm.xy, landmarks_3d=lm.xyz, landmarks_visible=lm.visible)
            yield item


def open_dataset(path: str | os.PathLike[str]) -> Dataset:
    """Open a dataset directory, a folder of exported `.tar` shards, or one shard."""
    path = Path(path)
    kind, paths = find_source(path)
    if kind == "directory":
        recipe = (path / RECIPE_FILE).read_text(encoding="utf-8")
        return Dataset(path, kind, scan_directory(path), recipe)
    info = read_info(path if path.is_dir() else path.parent)
    # A damaged or missing shard is named here, not read as fewer samples.
    check_shard_files(paths, info, whole_export=path.is_dir())
    recipe = info["recipe"]["text"] if info is not None else None
    return Dataset(path, kind, scan_shards(paths), recipe)

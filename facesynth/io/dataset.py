"""Read a dataset (directory or WebDataset shards) without Blender or torch.

`open_dataset(path)` gives a `Dataset`: a sized, indexable, filterable sequence of lazy `Sample`s
whose arrays are decoded on first access.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, overload

import numpy as np

from facesynth.errors import UserError
from facesynth.io import codecs, metafields, query
from facesynth.io.batches import iter_batches
from facesynth.io.shards import check_shard_files, read_info
from facesynth.io.sources import Entry, FileRef, find_source, scan_directory, scan_shards
from facesynth.io.store import RECIPE_FILE
from facesynth.outputs import LANDMARK_CONVENTIONS


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
        ref = self._entry.meta_ref
        try:
            meta = codecs.decode_json(ref.read())
        except (OSError, ValueError) as exc:
            raise DatasetReadError(f"sample {self.id}: metadata {_name(ref)} cannot be read ({_why(exc)}); "
                                   "run `facesynth verify`") from None
        if not isinstance(meta, dict):
            raise DatasetReadError(f"sample {self.id}: metadata {_name(ref)} is not a JSON object")
        return meta

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
        ref = self._ref(kind)
        try:
            return ref.read()
        except OSError as exc:
            raise DatasetReadError(f"sample {self.id}: {_name(ref)} cannot be read ({_why(exc)}); "
                                   "run `facesynth verify`") from None

    def _decode(self, kind: str, decoder: Callable[[bytes], Any]) -> Any:
        """A decoded file; a damaged one is a DatasetReadError naming the file and the sample."""
        data = self.read(kind)
        try:
            return decoder(data)
        except Exception as exc:  # any decoder failure means the file is damaged
            raise DatasetReadError(f"sample {self.id}: {_name(self._ref(kind))} does not decode ({_why(exc)}); "
                                   "run `facesynth verify`") from None

    def decoded(self, kind: str) -> Any:
        """One output by its kind name: the attribute of that name (`rgb`, `depth`, `masks`, ...),
        or the raw bytes for a kind that has no decoded attribute."""
        attr = getattr(type(self), query.kinds([kind])[0], None)
        return getattr(self, kind) if isinstance(attr, cached_property | property) else self.read(kind)

    def _ref(self, kind: str) -> FileRef:
        try:
            return self._entry.files[kind]
        except KeyError:
            query.kinds([kind])  # a typo is named as one, not as a missing file
            have = ", ".join(self.kinds) or "none"
            raise UserError(f"sample {self.id} has no {kind!r} output (it has: {have})") from None

    def _exr(self, kind: str) -> dict[str, np.ndarray]:
        return self._decode(kind, codecs.decode_exr)

    @cached_property
    def rgb_full(self) -> np.ndarray:
        """The RGB file at full precision: uint8 or uint16 (`render.rgb_bit_depth`), HxWx3, or HxWx4
        when it has alpha (`background.kind: transparent`)."""
        return self._decode("rgb", codecs.decode_png)

    @cached_property
    def rgb(self) -> np.ndarray:
        """uint8 HxWx3 for display and 8-bit loaders (16-bit scaled, alpha dropped; see `rgb_full`)."""
        return _to_rgb8(self.rgb_full)

    @cached_property
    def depth(self) -> np.ndarray:
        """float32 HxW, mm, planar depth, 0 = no surface."""
        return self._exr("depth")["Z"]

    @cached_property
    def depth_face(self) -> np.ndarray:
        """float32 HxW, mm: the head alone, without hair, brows, beard, glasses or headwear
        (equal to `depth` for samples without a groom)."""
        ch = self._exr("depth")
        return ch.get("face.Z", ch["Z"])

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
    def masks(self) -> np.ndarray:
        """uint8 HxW region ids, 0 = background (the output kind `masks`)."""
        return self._decode("masks", codecs.decode_png)

    @cached_property
    def crop(self) -> np.ndarray:
        return _to_rgb8(self._decode("crop", codecs.decode_png))

    @property
    def mesh(self) -> bytes:
        """PLY bytes (load with trimesh.load(io.BytesIO(data), file_type='ply'))."""
        return self.read("mesh")

    @cached_property
    def landmarks(self) -> Landmarks:
        """The 68 landmarks in the default fixed-vertex ("3d") convention."""
        return self.landmarks_in("3d")

    @cached_property
    def landmarks_2d_contour(self) -> Landmarks:
        """The 68 landmarks with the jaw contour (0-16) on the visible face outline, as 300W-LP
        annotates them (the "2d-contour" convention); 17-67 equal `landmarks`."""
        return self.landmarks_in("2d-contour")

    def landmarks_in(self, convention: str) -> Landmarks:
        """The 68 landmarks in a convention of `facesynth.outputs.LANDMARK_CONVENTIONS`."""
        if convention not in LANDMARK_CONVENTIONS:
            raise UserError(f"landmark convention {convention!r} is not one of {', '.join(LANDMARK_CONVENTIONS)}")
        key = LANDMARK_CONVENTIONS[convention].meta_key
        lm = self.meta.get(key)
        if not isinstance(lm, dict):
            why = " (written before facesynth had this convention)" if "landmarks_68" in self.meta else ""
            raise UserError(f"sample {self.id} has no {key} in its metadata{why}")
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


class DatasetReadError(UserError):
    """A file of a dataset is missing or damaged (names the sample and the file): exit 2, the
    dataset given is the input to fix (`facesynth verify --repair`, then render again)."""


def _name(ref: FileRef) -> str:
    return str(ref.path) if ref.offset is None else f"{ref.path} (tar member at byte {ref.offset})"


def _why(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return text.splitlines()[0][:160] if text else type(exc).__name__


def _to_rgb8(a: np.ndarray) -> np.ndarray:
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    a = a[:, :, :3]
    if a.dtype == np.uint16:
        a = np.round(a / 257.0).astype(np.uint8)
    return np.ascontiguousarray(a)


class Dataset(Sequence[Sample]):
    """Samples in index order; `ds[a:b]` and `filter` give a smaller Dataset over the same files."""

    def __init__(self, path: Path, kind: str, entries: list[Entry], recipe_text: str | None) -> None:
        self.path = path
        self.source_kind = kind
        self.recipe_text = recipe_text
        self._entries = entries
        self._samples: dict[int, Sample] = {}
        self._positions: dict[str, int] | None = None

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        # Cheap on any size: the entries already know ids and kinds, no metadata is parsed.
        kinds = sorted({k for e in self._entries for k in e.files})
        span = f", ids={self._entries[0].id}..{self._entries[-1].id}" if self._entries else ""
        return f"Dataset({str(self.path)!r}, source={self.source_kind}, samples={len(self)}{span}, kinds={kinds})"

    @overload
    def __getitem__(self, i: int) -> Sample: ...

    @overload
    def __getitem__(self, i: slice) -> Dataset: ...

    def __getitem__(self, i: int | slice) -> Sample | Dataset:
        if isinstance(i, slice):
            return self._subset(self._entries[i])
        if not isinstance(i, int | np.integer) or isinstance(i, bool):
            raise TypeError(f"Dataset indices are integers or slices, not {type(i).__name__}")
        n = len(self._entries)
        if not -n <= i < n:
            raise IndexError(f"sample position {i} out of range for {n} samples")
        i = int(i) % n
        if i not in self._samples:
            self._samples[i] = Sample(self._entries[i])
        return self._samples[i]

    def __iter__(self) -> Iterator[Sample]:
        return (self[i] for i in range(len(self)))

    def _subset(self, entries: list[Entry]) -> Dataset:
        return Dataset(self.path, self.source_kind, entries, self.recipe_text)

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
        """Samples matching every given condition (yaw range inclusive, in degrees).

        Unknown split or expression names raise `UserError`; expression aliases of the recipe
        ('fear', 'surprised', ...) select their preset.
        """
        splits = None if split is None else query.splits(split)
        expressions = None if expression is None else query.expressions(expression)
        subjects = None if subject is None else _subject_ids(subject)
        if yaw_deg is not None and not (len(yaw_deg) == 2 and yaw_deg[0] <= yaw_deg[1]):
            raise UserError(f"yaw_deg must be a (low, high) pair with low <= high, got {yaw_deg!r}")
        keep = []
        for pos, entry in enumerate(self._entries):
            meta = self[pos].meta
            yaw = (meta.get("head_pose") or {}).get("yaw_deg")
            if splits is not None and meta.get("split") not in splits:
                continue
            if expressions is not None and (meta.get("face_model") or {}).get("expression_name") not in expressions:
                continue
            if subjects is not None and meta.get("subject_id") not in subjects:
                continue
            if yaw_deg is not None and (yaw is None or not yaw_deg[0] <= yaw <= yaw_deg[1]):
                continue
            keep.append(entry)
        return self._subset(keep)

    def iter_arrays(self, kinds: Sequence[str] | None = None) -> Iterator[dict[str, Any]]:
        """Plain dicts of numpy arrays (no torch): id, index, meta and one key per output kind.

        Keys are the output kinds (rgb, depth, normals, masks, crop, posmap as a dict of channels,
        mesh as PLY bytes), plus landmarks_2d/_3d/_visible and landmarks_2d_contour/_visible (the
        68 points in the 2d-contour convention) when the metadata has them. `kinds`
        defaults to each sample's own; an unknown kind raises `UserError`, and so does a sample
        that lacks a kind asked for.
        """
        wanted = None if kinds is None else query.kinds(kinds)
        for sample in self:
            item: dict[str, Any] = {"id": sample.id, "index": sample.index, "meta": sample.meta}
            for kind in wanted if wanted is not None else sample.kinds:
                item[kind] = sample.decoded(kind)
            if "landmarks_68" in sample.meta:
                lm = sample.landmarks
                item.update(landmarks_2d=lm.xy, landmarks_3d=lm.xyz, landmarks_visible=lm.visible)
            if LANDMARK_CONVENTIONS["2d-contour"].meta_key in sample.meta:
                lm = sample.landmarks_2d_contour
                item.update(landmarks_2d_contour=lm.xy, landmarks_2d_contour_visible=lm.visible)
            yield item


def _subject_ids(subject: int | Iterable[int]) -> set[int]:
    values = [subject] if isinstance(subject, int | np.integer | str) else list(subject)
    if not all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in values):
        raise UserError(f"subject takes subject ids (integers), got {subject!r}")
    return {int(v) for v in values}


def open_dataset(path: str | os.PathLike[str], *, check_shards: str = "sha256") -> Dataset:
    """Open a dataset directory, a folder of exported `.tar` shards, or one shard.

    Shards are checked against dataset_info.json on opening: `check_shards="sha256"` (default) reads
    every byte; `"size"` checks sizes and the tar index only, which opens a large export in a
    fraction of the time but does not see a flipped byte (`facesynth verify` does)."""
    if check_shards not in ("sha256", "size"):
        raise UserError(f"check_shards must be 'sha256' or 'size', got {check_shards!r}")
    path = Path(path)
    kind, paths = find_source(path)
    if kind == "directory":
        recipe = (path / RECIPE_FILE).read_text(encoding="utf-8")
        return Dataset(path, kind, scan_directory(path), recipe)
    info = read_info(path if path.is_dir() else path.parent)
    # A damaged or missing shard is named here, not read as fewer samples.
    check_shard_files(paths, info, whole_export=path.is_dir(), deep=check_shards == "sha256")
    recipe = info["recipe"]["text"] if info is not None else None
    return Dataset(path, kind, scan_shards(paths), recipe)

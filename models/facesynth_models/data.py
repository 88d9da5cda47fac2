"""torch Datasets over `facesynth.open_dataset(...)` (a directory or exported WebDataset shards).

Every task reads the same decoded sample arrays (cached per sample) and turns them into tensors:
- depth: RGB image -> normalised depth D' = a (D - camera distance) + c on the face mask;
- posmap: face crop -> PRN position map / (1.1 S), with the coverage;
- posmap_pair: front crop + a side crop of the same subject and group -> the front's map;
- shape: RGB image -> posed head vertices ((v_cam - head pivot) / 100 mm);
- multiview: two views of one group (depth items) and the transform between their cameras;
- sequence: consecutive frames of one expression sequence (depth items).
Splits are the dataset's own `split` (held-out subjects). Augmentation randomness is a pure
function of (seed, epoch, position), so a resumed run sees the same batches.
"""

from __future__ import annotations

import io
import itertools
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from facesynth_models import meta as M
from facesynth_models.augment import Augment, color_and_dropout, rotate, rotate_points

TASKS = ("depth", "posmap", "posmap_pair", "shape", "multiview", "sequence")
PRN_SCALE = 1.1  # PRN divides position maps by 1.1 x size so the sigmoid covers the range


@dataclass(frozen=True)
class DepthNorm:
    """D' = a (D - camera distance) + c: a head spans about +-150 mm around the pivot."""

    a_per_mm: float = 1.0 / 200.0
    c: float = 0.5

    def normalise(self, depth_mm: np.ndarray, distance_mm: float) -> np.ndarray:
        return (depth_mm - distance_mm) * self.a_per_mm + self.c

    def denormalise(self, d: Any, distance_mm: Any) -> Any:
        return (d - self.c) / self.a_per_mm + distance_mm


DEPTH_NORM = DepthNorm()


def _image(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1))).float() / 255.0


class SampleCache:
    """Decoded arrays of each sample, read once (datasets here are small enough to keep)."""

    def __init__(self, ds: Any):
        self.ds = ds
        self._store: dict[int, dict[str, Any]] = {}

    def get(self, pos: int, kinds: tuple[str, ...]) -> dict[str, Any]:
        entry = self._store.setdefault(pos, {})
        s = self.ds[pos]
        for kind in kinds:
            if kind not in entry:
                entry[kind] = self._read(s, kind)
        return entry

    @staticmethod
    def _read(s: Any, kind: str) -> Any:
        if kind == "mesh":
            import trimesh  # only the shape task needs it

            mesh = trimesh.load(io.BytesIO(s.mesh), file_type="ply", process=False)
            return np.asarray(mesh.vertices, np.float64)
        if kind == "posmap":
            pm = s.posmap
            return np.stack([pm["prn.x"], pm["prn.y"], pm["prn.z"]], axis=-1), pm["coverage"] > 0.5
        return getattr(s, kind)


class FaceDataset(Dataset):
    """One task's items over the samples of one split (None = all)."""

    def __init__(self, ds: Any, task: str, split: str | None = None, augment: Augment | None = None,
                 seed: int = 0, vertex_stride: int = 1, cache: SampleCache | None = None):
        if task not in TASKS:
            raise ValueError(f"unknown task {task!r}; known: {', '.join(TASKS)}")
        self.task, self.split, self.augment, self.seed = task, split, augment, seed
        self.vertex_stride = vertex_stride
        self.cache = cache or SampleCache(ds)
        self.metas = [s.meta for s in ds]
        self.positions = [p for p, m in enumerate(self.metas) if split is None or M.split(m) == split]
        self.items = self._index()
        self.epoch = 0

    @property
    def target_positions(self) -> list[int]:
        """Positions whose labels are targets: for posmap_pair only the front views (a side view is
        an input there, never predicted); for the other tasks every position."""
        if self.task == "posmap_pair":
            return sorted({item[0] for item in self.items})
        return self.positions

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _index(self) -> list[tuple[int, ...]]:
        if self.task == "posmap_pair":
            return pair_front_side([(p, self.metas[p]) for p in self.positions])
        if self.task == "multiview":
            return view_pairs([(p, self.metas[p]) for p in self.positions])
        if self.task == "sequence":
            return frame_pairs([(p, self.metas[p]) for p in self.positions])
        return [(p,) for p in self.positions]

    def __len__(self) -> int:
        return len(self.items)

    def ids(self, i: int) -> list[str]:
        return [M.sample_id(self.metas[p]) for p in self.items[i]]

    def rng(self, i: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, self.epoch, i])

    def __getitem__(self, i: int) -> dict[str, Any]:
        rng = self.rng(i)
        p = self.items[i]
        if self.task == "depth":
            return self.depth_item(p[0], rng)
        if self.task == "posmap":
            return self.posmap_item(p[0], rng)
        if self.task == "posmap_pair":
            front, side = self.posmap_item(p[0], rng), self.posmap_item(p[1], rng, target=False)
            return {**front, "image": torch.cat([front["image"], side["image"]], dim=0)}
        if self.task == "shape":
            return self.shape_item(p[0], rng)
        # multiview / sequence: two depth items, no rotation (it would break the cross-view geometry)
        a, b = self.depth_item(p[0], rng, rotate_ok=False), self.depth_item(p[1], rng, rotate_ok=False)
        ma, mb = M.model_to_camera(self.metas[p[0]]), M.model_to_camera(self.metas[p[1]])
        return {"a": a, "b": b, "a_to_b": torch.as_tensor(mb @ np.linalg.inv(ma), dtype=torch.float32)}

    def _angle(self, rng: np.random.Generator, rotate_ok: bool = True) -> float:
        if self.augment is None or not rotate_ok:
            return 0.0
        return float(rng.uniform(-self.augment.rotation_deg, self.augment.rotation_deg))

    def _colour(self, image: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
        return image if self.augment is None else color_and_dropout(image, self.augment, rng)

    def depth_item(self, pos: int, rng: np.random.Generator, rotate_ok: bool = True) -> dict[str, Any]:
        d = self.cache.get(pos, ("rgb", "depth"))
        meta = self.metas[pos]
        dist = M.camera_distance_mm(meta)
        depth = d["depth"].astype(np.float32)
        mask = depth > 0
        target = np.where(mask, DEPTH_NORM.normalise(depth, dist), 0.0).astype(np.float32)
        image, t, m = _image(d["rgb"]), torch.from_numpy(target)[None], torch.from_numpy(mask)[None].float()
        angle = self._angle(rng, rotate_ok)
        if angle:
            image, t, m = rotate(image, angle, "bilinear"), rotate(t, angle, "nearest"), rotate(m, angle, "nearest")
        return {"image": self._colour(image, rng), "depth": t, "mask": m > 0.5,
                "distance_mm": torch.tensor(dist, dtype=torch.float32), "angle_deg": angle,
                "K": torch.as_tensor(M.K(meta), dtype=torch.float32)}

    def posmap_item(self, pos: int, rng: np.random.Generator, target: bool = True) -> dict[str, Any]:
        d = self.cache.get(pos, ("crop", "posmap"))
        prn, cov = d["posmap"]
        size = prn.shape[0]
        image = _image(d["crop"])
        pm = torch.from_numpy(prn.astype(np.float32)).permute(2, 0, 1)
        angle = self._angle(rng)
        if angle:
            image = rotate(image, angle, "bilinear")
            xy = rotate_points(pm[:2].permute(1, 2, 0).double(), angle, size, size)
            pm = torch.cat([xy.permute(2, 0, 1).float(), pm[2:]], dim=0)
        item = {"image": self._colour(image, rng), "angle_deg": angle}
        if target:
            item["posmap"] = pm / (PRN_SCALE * size)
            item["coverage"] = torch.from_numpy(cov)[None]
        return item

    def shape_item(self, pos: int, rng: np.random.Generator) -> dict[str, Any]:
        d = self.cache.get(pos, ("rgb", "mesh"))
        meta = self.metas[pos]
        v = shape_target(d["mesh"][:: self.vertex_stride], meta)
        nose = (np.asarray(meta["landmarks_68"]["3d"], np.float64)[30] - M.head_t_mm(meta)) / SHAPE_UNIT_MM
        return {"image": self._colour(_image(d["rgb"]), rng), "vertices": torch.as_tensor(v, dtype=torch.float32),
                "nose": torch.as_tensor(nose, dtype=torch.float32)}


SHAPE_UNIT_MM = 100.0


def shape_target(vertices_cam_mm: np.ndarray, meta: dict[str, Any]) -> np.ndarray:
    """Posed vertices in the regression frame: camera axes, origin at the head pivot, 100 mm units."""
    return (np.asarray(vertices_cam_mm, np.float64) - M.head_t_mm(meta)) / SHAPE_UNIT_MM


def pair_front_side(samples: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, int]]:
    """(front, side) position pairs: each non-front view with the front view of its subject and group."""
    by_key: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    for pos, meta in samples:
        by_key[(M.subject_id(meta), M.group(meta))][M.view(meta) or ""] = pos
    pairs = []
    for views in by_key.values():
        if "front" in views:
            pairs += [(views["front"], p) for name, p in sorted(views.items()) if name != "front"]
    return pairs


def view_pairs(samples: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, int]]:
    """Consecutive views of each multi-view group in the recipe's order of views (the sample
    index; view names would put "v10" before "v2"): (v0, v1), (v1, v2), ..."""
    groups: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for pos, meta in samples:
        groups[M.group(meta)].append((M.index(meta), pos))
    pairs = []
    for members in groups.values():
        members.sort()
        pairs += [(a[1], b[1]) for a, b in itertools.pairwise(members)]
    return pairs


def frame_pairs(samples: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, int]]:
    """Consecutive frames (t, t+1) of each expression sequence."""
    groups: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for pos, meta in samples:
        groups[M.group(meta)].append((M.frame(meta), pos))
    pairs = []
    for members in groups.values():
        members.sort()
        pairs += [(a[1], b[1]) for a, b in itertools.pairwise(members) if b[0] == a[0] + 1]
    return pairs

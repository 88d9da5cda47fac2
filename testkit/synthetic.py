"""Synthetic samples shaped like real ones, for tests, benchmarks and the crash-resume drill.

The pixels are an analytic ellipsoid "head" (exact depth, normals and mask), not a face; the
metadata has the keys and shapes of `geometry.metadata.build_metadata` that the store reads.
Also runnable as a writer loop: `python -m testkit.synthetic DIR --count N` (used by the kill test and the bench).
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path
from typing import Any

import numpy as np

from facesynth._version import __version__

EXPRESSIONS = ("neutral", "happy", "surprise", "angry")
SPLITS = ("train", "train", "train", "val", "test")
RECIPE_TEXT = "name: synthetic\nseed: 7\nsamples: {count}\n"


def _ellipsoid(width: int, height: int, yaw_deg: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Depth (mm), unit normals and a hit mask of an ellipsoid 600 mm in front of the camera."""
    f, cx, cy = width * 1.6, (width - 1) / 2, (height - 1) / 2
    u, v = np.meshgrid(np.arange(width), np.arange(height))
    rays = np.stack([(u - cx) / f, (v - cy) / f, np.ones_like(u, dtype=float)], axis=-1)
    centre, radii = np.array([np.tan(np.radians(yaw_deg)) * 20.0, 0.0, 600.0]), np.array([75.0, 100.0, 80.0])
    d, c = rays / radii, centre / radii
    a, b, cc = (d * d).sum(-1), -2 * (d * c).sum(-1), (c * c).sum() - 1.0
    disc = b * b - 4 * a * cc
    hit = disc > 0
    t = np.where(hit, (-b - np.sqrt(np.where(hit, disc, 0))) / (2 * a), 0.0)
    points = rays * t[..., None]
    n = (points - centre) / radii**2
    n /= np.linalg.norm(n, axis=-1, keepdims=True)
    depth = np.where(hit, points[..., 2], 0.0).astype(np.float32)
    normals = np.where(hit[..., None], n, 0.0).astype(np.float32)
    return depth, normals, hit


def _landmarks(width: int, height: int, yaw_deg: float, f: float) -> tuple[np.ndarray, np.ndarray]:
    """A face-like 68-point layout (jaw, brows, nose, eyes, mouth) on the ellipsoid's image.

    Points on the side turning away from the camera are marked hidden, as a depth test would.
    """

    def arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, n: int) -> np.ndarray:
        t = np.radians(np.linspace(a0, a1, n))
        return np.column_stack([cx + rx * np.cos(t), cy + ry * np.sin(t)])

    unit = np.concatenate(
        [
            arc(0, -0.1, 0.85, 0.95, 180, 0, 17),  # jaw, subject's right to left
            arc(-0.38, -0.45, 0.22, 0.08, 200, 340, 5),
            arc(0.38, -0.45, 0.22, 0.08, 200, 340, 5),  # brows
            np.column_stack([np.zeros(4), np.linspace(-0.3, 0.05, 4)]),
            arc(0, 0.12, 0.15, 0.05, 160, 20, 5),  # nose
            arc(-0.35, -0.25, 0.14, 0.06, 180, 540, 7)[:6],
            arc(0.35, -0.25, 0.14, 0.06, 180, 540, 7)[:6],  # eyes
            arc(0, 0.45, 0.3, 0.12, 180, 540, 13)[:12],
            arc(0, 0.45, 0.2, 0.05, 180, 540, 9)[:8],  # mouth
        ]
    )
    shift = np.sin(np.radians(yaw_deg)) * 0.6
    x = unit[:, 0] * np.cos(np.radians(yaw_deg)) + shift
    scale = 0.8 * 75.0 * f / 600.0  # the ellipsoid's half-width in pixels, a little inside it
    xy = np.column_stack([(width - 1) / 2 + x * scale, (height - 1) / 2 + unit[:, 1] * scale * 1.2])
    visible = np.sign(yaw_deg) * unit[:, 0] < 0.55 if abs(yaw_deg) > 25 else np.ones(68, bool)
    return xy, visible


def _mesh_ply(rng: np.random.Generator) -> bytes:
    import trimesh

    mesh = trimesh.creation.icosphere(subdivisions=1, radius=80.0)
    mesh.vertices += rng.normal(0, 1, mesh.vertices.shape)
    buf = io.BytesIO()
    mesh.export(buf, file_type="ply")
    return buf.getvalue()


def synthetic_sample(
    index: int,
    *,
    width: int = 128,
    height: int = 96,
    seed: int = 7,
    kinds: tuple[str, ...] | None = None,
    posmap_size: int = 64,
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(sample id, outputs by kind, metadata) for `index`, deterministic in (seed, index)."""
    rng = np.random.default_rng([seed, index])
    sid = f"{index:06d}"
    yaw, pitch, roll = (float(x) for x in rng.uniform([-60, -25, -15], [60, 25, 15]))
    depth, normals, hit = _ellipsoid(width, height, yaw)
    shade = np.clip(normals @ np.array([0.3, -0.4, -0.87]), 0, 1)
    rgb = np.where(hit[..., None], shade[..., None] * rng.uniform(0.5, 1.0, 3) * 255, 40).astype(np.uint8)
    masks = np.where(hit, 1 + (np.arange(height)[:, None] > height // 2), 0).astype(np.uint8)
    s = posmap_size
    grid = np.linspace(0, s - 1, s, dtype=np.float32)
    r2 = ((grid[None, :] - s / 2) / (s * 0.45)) ** 2 + ((grid[:, None] - s / 2) / (s * 0.48)) ** 2
    dome = np.sqrt(np.clip(1 - r2, 0, None))
    posmap = {
        "prn.x": np.tile(grid, (s, 1)),
        "prn.y": np.tile(grid[:, None], (1, s)),
        "prn.z": (dome * s / 4).astype(np.float32),
        "cam.x": (grid[None, :] - s / 2).repeat(s, 0).astype(np.float32),
        "cam.y": (grid[:, None] - s / 2).repeat(s, 1).astype(np.float32),
        "cam.z": (600 - 80 * dome).astype(np.float32),
        "coverage": (dome > 0).astype(np.float32),
    }
    outputs: dict[str, Any] = {
        "rgb": rgb,
        "depth": depth,
        "normals": normals,
        "masks": masks,
        "posmap": posmap,
        "crop": rng.integers(0, 255, (s, s, 3), dtype=np.uint8),
        "mesh": _mesh_ply(rng),
    }
    if kinds is not None:
        outputs = {k: v for k, v in outputs.items() if k in kinds}
    lm2d, visible = _landmarks(width, height, yaw, f=width * 1.6)
    lm3d = np.column_stack([(lm2d - [(width - 1) / 2, (height - 1) / 2]) * 600 / (width * 1.6), np.full(68, 600.0)])
    f = width * 1.6
    group = index // 2
    meta: dict[str, Any] = {
        "id": sid,
        "index": index,
        "subject_id": index // 4,
        "split": SPLITS[group % len(SPLITS)],
        "seed": seed,
        "facesynth_version": __version__,
        "blender_version": "5.0.1",
        "meta_version": 1,
        "group": group,
        "view": "front",
        "face_model": {
            "name": "ict-facekit",
            "source": "ict-facekit",
            "pack_sha256": "0" * 64,
            "identity": rng.normal(0, 1, 8).round(4).tolist(),
            "expression_name": EXPRESSIONS[index % len(EXPRESSIONS)],
            "expression": {"mouthSmile_L": 0.5, "mouthSmile_R": 0.5} if index % 4 == 1 else {},
            "skin_tone": round(float(rng.random()), 4),
        },
        "mesh": {"model_to_camera": np.eye(4).tolist()},
        "camera": {
            "K": [[f, 0, (width - 1) / 2], [0, f, (height - 1) / 2], [0, 0, 1]],
            "width": width,
            "height": height,
            "projection": "perspective",
            "lens_mm": 57.6,
            "sensor_width_mm": 36.0,
            "clip_mm": [10.0, 10000.0],
            "world_to_camera": np.eye(4).tolist(),
            "distance_mm": round(float(rng.uniform(450, 900)), 3),
        },
        "head_pose": {
            "R": np.eye(3).tolist(),
            "t_mm": [0.0, 0.0, 600.0],
            "yaw_deg": yaw,
            "pitch_deg": pitch,
            "roll_deg": roll,
            "convention": "R = R_yaw @ R_pitch @ R_roll, camera frame",
        },
        "lights": [
            {
                "kind": "area",
                "position_camera_mm": rng.normal(0, 500, 3).tolist(),
                "direction_camera": [0.0, 0.0, 1.0],
                "energy": float(rng.uniform(50, 400)),
                "color_temperature_k": float(rng.uniform(3000, 7000)),
            }
            for _ in range(1 + index % 3)
        ],
        "environment": {"source": "builtin:studio", "strength": 1.0, "rotation_deg": 0.0},
        "background": {"kind": "hdri", "source": None},
        "render": {"engine": "cycles", "samples": 16, "device": "cpu", "seed": index},
        "landmarks_68": {
            "2d": lm2d.tolist(),
            "3d": lm3d.tolist(),
            "visible": visible.tolist(),
        },
        "posmap": {"size": s},
    }
    return sid, outputs, meta


def main(argv: list[str] | None = None) -> None:
    from facesynth.io.store import DatasetWriter

    p = argparse.ArgumentParser(description="write synthetic samples through DatasetWriter (resumes)")
    p.add_argument("root", type=Path)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--width", type=int, default=128)
    p.add_argument("--height", type=int, default=96)
    p.add_argument("--shard", default="0/1", help="I/N: write the indices i with i %% N == I")
    args = p.parse_args(argv)
    shard, shards = (int(x) for x in args.shard.split("/"))
    writer = DatasetWriter(args.root, RECIPE_TEXT.format(count=args.count))
    # Parallel shards share the directory: only a single writer may clean temp files at once.
    grace = 0.0 if shards == 1 else 300.0
    for index in writer.pending(range(shard, args.count, shards), temp_grace_s=grace):
        sid, outputs, meta = synthetic_sample(index, width=args.width, height=args.height)
        writer.write_sample(index, sid, outputs, meta)


if __name__ == "__main__":
    main()

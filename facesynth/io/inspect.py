"""`facesynth inspect`: one sample's labels drawn over its image, side by side.

Panels: RGB with the 68 landmarks (visible: filled green dots, hidden: red crosses), the region
mask over the RGB, colour-mapped depth (mm), and the PRN position map as RGB (x, y, z scaled).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from facesynth.errors import UserError
from facesynth.io.dataset import Sample, open_dataset
from facesynth.io.plotting import plt, save_figure


def _posmap_rgb(channels: dict[str, np.ndarray]) -> np.ndarray:
    names = ("prn.x", "prn.y", "prn.z") if "prn.x" in channels else tuple(sorted(channels)[:3])
    planes = np.stack([channels[n] for n in names], axis=-1).astype(np.float64)
    cover = channels.get("coverage", np.ones(planes.shape[:2], np.float32)) > 0
    lo, hi = planes[cover].min(axis=0), planes[cover].max(axis=0)
    scaled = (planes - lo) / np.where(hi > lo, hi - lo, 1.0)
    return np.where(cover[..., None], np.clip(scaled, 0, 1), 0.0)


def render_inspection(sample: Sample, out_path: Path) -> Path:
    kinds = set(sample.kinds)
    panels = ["rgb", *[k for k in ("masks", "depth", "posmap") if k in kinds]]
    if "rgb" not in kinds:
        raise UserError(f"sample {sample.id} has no rgb output to draw on")
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3.6), squeeze=False)
    axes = axes[0]
    rgb = sample.rgb
    ax = axes[0]
    ax.imshow(rgb)
    ax.set_title(f"{sample.id}: RGB + 68 landmarks")
    if "landmarks_68" in sample.meta:
        lm = sample.landmarks
        vis = lm.visible
        ax.scatter(lm.xy[vis, 0], lm.xy[vis, 1], s=10, c="lime", edgecolors="black", linewidths=0.4, label="visible")
        ax.scatter(lm.xy[~vis, 0], lm.xy[~vis, 1], s=14, c="red", marker="x", linewidths=1.0, label="hidden")
        ax.legend(loc="lower right", fontsize=7, framealpha=0.7)
    for ax, kind in zip(axes[1:], panels[1:], strict=True):
        if kind == "masks":
            mask = sample.masks
            ax.imshow(rgb)
            overlay = np.ma.masked_where(mask == 0, mask)
            im = ax.imshow(overlay, cmap="tab20", alpha=0.55, interpolation="nearest", vmin=0, vmax=20)
            ax.set_title("region mask")
        elif kind == "depth":
            depth = sample.depth
            im = ax.imshow(np.ma.masked_where(depth <= 0, depth), cmap="viridis")
            ax.set_facecolor("black")
            fig.colorbar(im, ax=ax, fraction=0.046, pad=0.02, label="depth mm (black: none)")
            ax.set_title("depth")
        else:
            ax.imshow(_posmap_rgb(sample.posmap))
            ax.set_title("position map (x, y, z as RGB)")
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return save_figure(fig, out_path, dpi=110)


def inspect_sample(root: str | os.PathLike[str], sample_id: str, out: str | os.PathLike[str]) -> Path:
    return render_inspection(open_dataset(root).by_id(sample_id), Path(out))

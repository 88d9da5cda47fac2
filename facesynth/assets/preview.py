"""A picture of a face pack: front and side views coloured by region, with the 68 landmarks and
the pivot, and the UV layout of the face area. For docs and for checking an importer by eye."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from facesynth.assets import regions
from facesynth.assets.pack import FacePack
from facesynth.atomic import atomic_path


def _draw_view(ax, pack: FacePack, verts: np.ndarray, axes: tuple[int, int], depth_axis: int, sign: float) -> None:
    from matplotlib.collections import PolyCollection

    tris = verts[pack.triangles]
    order = np.argsort(sign * tris[:, :, depth_axis].mean(axis=1))  # painter's algorithm: far first
    colours = regions.palette()[pack.poly_region[pack.tri_polygon[order]]] / 255.0
    solid = regions.solid_lookup()[pack.poly_region[pack.tri_polygon[order]]]
    alpha = np.where(solid, 1.0, 0.25)
    ax.add_collection(
        PolyCollection(tris[order][:, :, axes], facecolors=np.c_[colours, alpha], edgecolors="none", antialiaseds=False)
    )
    lm = verts[pack.landmarks_68]
    ax.scatter(lm[:, axes[0]], lm[:, axes[1]], s=6, c="red", zorder=3)
    ax.scatter([pack.pivot_mm[axes[0]]], [pack.pivot_mm[axes[1]]], s=40, marker="+", c="black", zorder=3)
    ax.set_aspect("equal")
    ax.autoscale_view()
    ax.set_axis_off()


def write_preview(pack: FacePack, path: str | Path, verts: np.ndarray | None = None) -> Path:
    """Write a PNG: front view (+Z towards the viewer), side view, face-area UVs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    v = pack.neutral_mm if verts is None else verts
    fig, axs = plt.subplots(1, 3, figsize=(12, 4.4), dpi=80)
    _draw_view(axs[0], pack, v, (0, 1), 2, 1.0)
    axs[0].set_title("front")
    _draw_view(axs[1], pack, v, (2, 1), 0, -1.0)  # seen from the subject's right (-X)
    axs[1].set_title("side (landmarks red, pivot +)")
    face = pack.tri_uv[pack.face_area[pack.tri_polygon]]
    from matplotlib.collections import PolyCollection

    axs[2].add_collection(PolyCollection(face, facecolors="none", edgecolors="0.3", linewidths=0.1))
    axs[2].set_xlim(0, 1)
    axs[2].set_ylim(0, 1)
    axs[2].set_aspect("equal")
    axs[2].set_title("face-area UVs")
    handles = [plt.Rectangle((0, 0), 1, 1, color=np.array(r.color) / 255.0) for r in regions.REGIONS[1:]]
    fig.legend(handles, [r.name for r in regions.REGIONS[1:]], loc="lower center", ncol=10, fontsize=7)
    fig.suptitle(f"face pack {pack.name!r}: {pack.n_vertices} vertices, {pack.n_polygons} polygons")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    buf.seek(0)
    path = Path(path)
    with atomic_path(path) as tmp:
        # Full colour (no palette quantisation, which bands shaded and colour-mapped figures).
        Image.open(buf).convert("RGB").save(tmp, format="PNG", optimize=True)
    return path

"""`facesynth stats`: distributions of a dataset's metadata, as histograms and a summary.json.

Lenient by design: fields a sample lacks (older metadata, other face models) are skipped, and
the summary counts how many samples had each field.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.ticker import MaxNLocator

from facesynth.errors import UserError
from facesynth.io import codecs
from facesynth.io.dataset import Dataset, open_dataset
from facesynth.io.plotting import plt, save_figure


def _get(meta: dict[str, Any], *path: str) -> Any:
    node: Any = meta
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _skin_tone(meta: dict[str, Any]) -> float | None:
    for path in (("face_model", "skin_tone"), ("subject", "skin_tone"), ("skin_tone",)):
        value = _get(meta, *path)
        if isinstance(value, int | float):
            return float(value)
    return None


def _numbers(values: list[Any]) -> list[float]:
    return [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]


def _describe(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"count": 0}
    a = np.asarray(values)
    return {
        "count": int(a.size),
        "min": float(a.min()),
        "max": float(a.max()),
        "mean": float(a.mean()),
        "std": float(a.std()),
    }


def collect(dataset: Dataset) -> dict[str, Any]:
    """The numbers behind the report, one list per quantity."""
    metas = [s.meta for s in dataset]
    lights = [m.get("lights") for m in metas if isinstance(m.get("lights"), list)]
    return {
        "metas": metas,
        "yaw_deg": _numbers([_get(m, "head_pose", "yaw_deg") for m in metas]),
        "pitch_deg": _numbers([_get(m, "head_pose", "pitch_deg") for m in metas]),
        "roll_deg": _numbers([_get(m, "head_pose", "roll_deg") for m in metas]),
        "distance_mm": _numbers([_get(m, "camera", "distance_mm") for m in metas]),
        "skin_tone": _numbers([_skin_tone(m) for m in metas]),
        "expressions": Counter(str(e) for m in metas if (e := _get(m, "face_model", "expression_name")) is not None),
        "splits": Counter(str(m.get("split")) for m in metas if m.get("split") is not None),
        "light_counts": Counter(len(ls) for ls in lights),
        "light_energy": _numbers([light.get("energy") for ls in lights for light in ls if isinstance(light, dict)]),
        "subjects": len({m.get("subject_id") for m in metas if m.get("subject_id") is not None}),
    }


def summary(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "samples": len(data["metas"]),
        "subjects": data["subjects"],
        "splits": dict(sorted(data["splits"].items())),
        "expressions": dict(sorted(data["expressions"].items())),
        "light_counts": {str(k): v for k, v in sorted(data["light_counts"].items())},
        **{
            k: _describe(data[k])
            for k in ("yaw_deg", "pitch_deg", "roll_deg", "distance_mm", "light_energy", "skin_tone")
        },
    }


def _hist(ax: Any, values: list[float], title: str, xlabel: str, ylabel: str = "samples") -> None:
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if values:
        ax.hist(values, bins=min(30, max(5, len(values) // 3)), color="#4c72b0", edgecolor="white")
    else:
        ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)


def _bars(ax: Any, counts: dict[Any, int], title: str, xlabel: str) -> None:
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("samples")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    keys = sorted(counts, key=str)
    ax.bar([str(k) for k in keys], [counts[k] for k in keys], color="#55a868")
    ax.tick_params(axis="x", labelrotation=45 if len(keys) > 4 else 0)


def _figures(data: dict[str, Any], out: Path) -> list[Path]:
    written = []
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4), constrained_layout=True)
    for ax, key, name in zip(axes, ("yaw_deg", "pitch_deg", "roll_deg"), ("yaw", "pitch", "roll"), strict=True):
        _hist(ax, data[key], f"head {name}", "degrees")
    written.append(save_figure(fig, out / "stats_pose.png"))
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), constrained_layout=True)
    _hist(axes[0], data["distance_mm"], "camera distance", "mm")
    _hist(axes[1], data["skin_tone"], "skin tone", "0 = lightest, 1 = darkest")
    written.append(save_figure(fig, out / "stats_camera_skin.png"))
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), constrained_layout=True)
    _bars(axes[0], data["expressions"], "expressions", "")
    _bars(axes[1], data["light_counts"], "lights per sample", "lights")
    _hist(axes[2], data["light_energy"], "light energy", "W (sun: W/m²)", ylabel="lights")
    written.append(save_figure(fig, out / "stats_expressions_lights.png"))
    return written


def contact_sheet(dataset: Dataset, out_path: Path, max_samples: int = 48, columns: int = 8) -> Path:
    """Thumbnails of the first samples' RGB with their ids."""
    shown = [s for s in list(dataset)[:max_samples] if "rgb" in s.kinds]
    columns = max(1, min(columns, len(shown)))
    rows = max(1, -(-len(shown) // columns))
    aspect = shown[0].rgb.shape[0] / shown[0].rgb.shape[1] if shown else 1.0
    cell = 1.8  # inches per thumbnail width; height follows the images' aspect
    fig, axes = plt.subplots(rows, columns, figsize=(columns * cell, rows * (cell * aspect + 0.3)), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, sample in zip(axes.flat, shown, strict=False):
        ax.imshow(sample.rgb)
        ax.set_title(f"{sample.id} {sample.meta.get('split', '')}", fontsize=7)
    fig.tight_layout()
    return save_figure(fig, out_path)


def write_report(root: str | os.PathLike[str], out: str | os.PathLike[str]) -> dict[str, Any]:
    """Write stats_*.png, contact_sheet.png and summary.json into `out`; returns the summary."""
    dataset = open_dataset(root)
    if len(dataset) == 0:
        raise UserError(f"{root}: the dataset has no samples yet")
    out = Path(out)
    data = collect(dataset)
    result = summary(data)
    files = [*_figures(data, out), contact_sheet(dataset, out / "contact_sheet.png")]
    result["files"] = sorted(p.name for p in files)
    codecs.write_file(out / "summary.json", codecs.encode_json(result))
    return result

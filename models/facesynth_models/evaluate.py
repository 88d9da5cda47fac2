"""Score predictions against a facesynth dataset: per-sample errors, means, breakdowns, CED, report.

Prediction files (one per sample id, in a flat directory): `<id>.depth.npy` (H,W) float mm planar
depth; `<id>.posmap.npy` (S,S,3) float PRN position map (crop px, z shifted like the dataset's);
`<id>.vertices.npy` (N,3) float mm camera frame, the pack's vertex order (every k-th vertex with
`--vertex-stride k`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from facesynth_models import meta as M
from facesynth_models import metrics

KINDS = ("depth", "posmap", "vertices")
HEADLINE = {"depth": "abs_rel", "posmap": "nme_dense_bbox", "vertices": "nme_iod"}
CED_MAX = {"depth": 0.05, "posmap": 0.1, "vertices": 0.2}


def _groups(meta: dict[str, Any]) -> dict[str, str]:
    return {"yaw": metrics.yaw_bin(M.yaw_deg(meta)), "expression": M.expression_name(meta),
            "environment": M.environment(meta), "lights": str(M.light_count(meta))}


def score_depth(sample: Any, pred: np.ndarray) -> dict[str, float]:
    gt = sample.depth
    if pred.shape != gt.shape:
        raise ValueError(f"depth prediction has shape {pred.shape}, the sample's depth {gt.shape}")
    return metrics.depth_metrics(pred, gt, gt > 0)


def score_posmap(sample: Any, pred: np.ndarray, lm_texels: np.ndarray) -> dict[str, float]:
    """NMEs of a PRN position map, each / sqrt(w h) of the ground truth's x-y bounding box:
    dense 3D over the covered texels as predicted (PRN's convention: the crop frame is the
    prediction's frame) and after rigid alignment; the 68 landmark texels in 2D (x, y) as predicted
    (AFLW2000-3D's convention)."""
    pm = sample.posmap
    gt = np.stack([pm["prn.x"], pm["prn.y"], pm["prn.z"]], axis=-1)
    if pred.shape != gt.shape:
        raise ValueError(f"posmap prediction has shape {pred.shape}, the sample's {gt.shape}")
    cov = pm["coverage"] > 0.5
    lm_texels = lm_texels[np.isfinite(lm_texels).all(axis=1)]  # landmarks inside the face area
    rc = np.clip(np.round(lm_texels).astype(int), 0, gt.shape[0] - 1)
    lm_gt, lm_pred = gt[rc[:, 1], rc[:, 0], :2], pred[rc[:, 1], rc[:, 0], :2]
    norm = metrics.bbox_size(gt[cov])
    return {"nme_dense_bbox": metrics.nme(pred[cov], gt[cov], norm, align=False),
            "nme_dense_aligned_bbox": metrics.nme(pred[cov], gt[cov], norm, align=True),
            "nme_68_2d_bbox": metrics.nme(lm_pred, lm_gt, metrics.bbox_size(lm_gt), align=False)}


def score_vertices(sample: Any, pred: np.ndarray, gt: np.ndarray) -> dict[str, float]:
    if pred.shape != gt.shape:
        raise ValueError(f"vertices prediction has shape {pred.shape}, the sample's {gt.shape}")
    iod = metrics.outer_interocular(sample.landmarks.xyz)
    return {"nme_iod": metrics.nme(pred, gt, iod), "armse": metrics.armse(pred, gt, iod)}


def summarise(rows: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    """Means over samples, and the headline metric's mean per yaw bin / expression / HDRI / lights."""
    names = [k for k in rows[0] if isinstance(rows[0][k], float)]
    out: dict[str, Any] = {"count": len(rows), "mean": {n: float(np.mean([r[n] for r in rows])) for n in names}}
    head = HEADLINE[kind]
    for key in ("yaw", "expression", "environment", "lights"):
        by: dict[str, list[float]] = defaultdict(list)
        for r in rows:
            by[r["groups"][key]].append(r[head])
        out[f"by_{key}"] = {k: {"count": len(v), head: float(np.mean(v))} for k, v in sorted(by.items())}
    return out


class Scorer:
    """Scores one prediction kind on one dataset (keeps the pack's landmark texels for posmaps)."""

    def __init__(self, ds: Any, kind: str, vertex_stride: int = 1):
        if kind not in KINDS:
            raise ValueError(f"unknown prediction kind {kind!r}; known: {', '.join(KINDS)}")
        self.ds, self.kind, self.vertex_stride = ds, kind, vertex_stride
        self._texels: np.ndarray | None = None

    def _lm_texels(self, sample: Any, size: int) -> np.ndarray:
        if self._texels is None:
            import facesynth
            from facesynth_models.prn_mask import landmark_texels

            self._texels = landmark_texels(facesynth.load_pack(M.face_model_name(sample.meta)), size)
        return self._texels

    def score(self, sample: Any, pred: np.ndarray) -> dict[str, Any]:
        if self.kind == "depth":
            row: dict[str, Any] = score_depth(sample, pred)
        elif self.kind == "posmap":
            row = score_posmap(sample, pred, self._lm_texels(sample, pred.shape[0]))
        else:
            from facesynth_models.data import SampleCache

            gt = SampleCache._read(sample, "mesh")[:: self.vertex_stride]
            row = score_vertices(sample, pred, gt)
        return {"id": sample.id, **row, "groups": _groups(sample.meta)}

    def score_all(self, preds: dict[str, np.ndarray]) -> list[dict[str, Any]]:
        rows = []
        for sid, p in sorted(preds.items()):
            try:
                rows.append(self.score(self.ds.by_id(sid), p))
            except ValueError as exc:
                raise ValueError(f"sample {sid}: {exc}") from None
        return rows


def read_predictions(pred_dir: Path, kind: str) -> dict[str, np.ndarray]:
    files = sorted(pred_dir.glob(f"*.{kind}.npy"))
    return {f.name[: -len(f".{kind}.npy")]: np.load(f) for f in files}


def write_predictions(pred_dir: Path, kind: str, preds: dict[str, np.ndarray]) -> None:
    pred_dir.mkdir(parents=True, exist_ok=True)
    for sid, arr in preds.items():
        np.save(pred_dir / f"{sid}.{kind}.npy", np.asarray(arr, np.float32))


def write_report(out: Path, kind: str, results: dict[str, list[dict[str, Any]]], title: str) -> dict[str, Any]:
    """metrics.json, ced.png and report.md for one or more named result sets (e.g. model, baseline)."""
    from facesynth_models.plots import plot_ced

    out.mkdir(parents=True, exist_ok=True)
    head = HEADLINE[kind]
    summary = {name: summarise(rows, kind) for name, rows in results.items()}
    errors = {name: [r[head] for r in rows] for name, rows in results.items()}
    for name, errs in errors.items():  # the AUC up to a fixed error, so runs compare
        summary[name]["ced_auc"] = metrics.ced(errs, CED_MAX[kind]).auc()
    # the plot reaches the largest error, so curves beyond the AUC's range are still seen
    reach = max([CED_MAX[kind], *(e for errs in errors.values() for e in errs if np.isfinite(e))])
    curves = {name: metrics.ced(errs, reach) for name, errs in errors.items()}
    doc = {"kind": kind, "headline": head, "results": summary,
           "per_sample": {name: rows for name, rows in results.items()}}
    (out / "metrics.json").write_text(json.dumps(doc, indent=1, sort_keys=True))
    plot_ced(curves, out / "ced.png", f"{title}: CED of {head}", head)
    lines = [f"# {title}", "", f"Headline metric: `{head}` ({_convention(kind)}).", "",
             "| result | samples | " + " | ".join(summary[next(iter(summary))]["mean"]) + " | CED AUC |",
             "|---|---|" + "---|" * (len(summary[next(iter(summary))]["mean"]) + 1)]
    for name, s in summary.items():
        vals = " | ".join(f"{v:.4f}" for v in s["mean"].values())
        lines.append(f"| {name} | {s['count']} | {vals} | {s['ced_auc']:.3f} |")
    for key in ("yaw", "expression", "environment", "lights"):
        lines += ["", f"## {head} by {key}", "", f"| result | {key} | samples | {head} |", "|---|---|---|---|"]
        for name, s in summary.items():
            lines += [f"| {name} | {k} | {v['count']} | {v[head]:.4f} |" for k, v in s[f"by_{key}"].items()]
    lines += ["", "![CED](ced.png)", ""]
    (out / "report.md").write_text("\n".join(lines))
    return summary


def write_consistency(out: Path, c: dict[str, Any]) -> None:
    """Add a multiview or sequence run's consistency errors (the model's, with its "mean baseline"
    inside) to out/metrics.json and out/report.md."""
    doc = json.loads((out / "metrics.json").read_text())
    doc["consistency"] = c
    (out / "metrics.json").write_text(json.dumps(doc, indent=1, sort_keys=True))
    rows = {"model": c, "mean baseline": c.get("mean baseline")}
    if "cross_view_error_mm" in c:
        lines = ["", "## Cross-view consistency", "",
                 "Mean |z of view A's prediction moved into camera B by the known pose - B's prediction there| "
                 "(mm), over pixels that both views see; the ground truth's own error is the floor.", "",
                 "| result | view pairs | cross-view error (mm) |", "|---|---|---|"]
        lines += [f"| {name} | {r['pairs']} | {r['cross_view_error_mm']:.2f} |" for name, r in rows.items() if r]
        lines.append(f"| ground truth | {c['pairs']} | {c['ground_truth_cross_view_error_mm']:.2f} |")
    else:
        lines = ["", "## Temporal consistency", "",
                 "Mean |(pred(t+1) - pred(t)) - (gt(t+1) - gt(t))| (mm) over pixels in both frames' masks: the "
                 "frame-to-frame change that the true motion does not explain.", "",
                 "| result | expression | temporal error (mm) |", "|---|---|---|"]
        for name, r in rows.items():
            if r:
                lines += [f"| {name} | {e} | {v:.2f} |" for e, v in r["temporal_error_mm_by_expression"].items()]
                lines.append(f"| {name} | all ({r['pairs']} frame pairs) | {r['temporal_error_mm']:.2f} |")
    with open(out / "report.md", "a") as f:
        f.write("\n".join(lines) + "\n")


def _convention(kind: str) -> str:
    return {"depth": "mean |pred - gt| / gt over the ground-truth face mask, mm depths",
            "posmap": "3D error of the covered texels as predicted / sqrt(w h) of their x-y box",
            "vertices": "3D vertex error after rigid alignment / outer inter-ocular distance"}[kind]

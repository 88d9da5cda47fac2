"""Each model family end to end on a dataset that facesynth renders from the family's own reference
recipe (shrunk, see conftest.render_reference): the pairing or grouping found in the real metadata,
`facesynth-models train` for two or three epochs (the training loss falls), the run's own
evaluation, and `facesynth-models evaluate` on the run's predictions."""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

pytestmark = pytest.mark.render


def _cli() -> str:
    return str(Path(sys.executable).parent / "facesynth-models")


def _open(path: Path) -> tuple[Any, dict[str, dict]]:
    import facesynth

    ds = facesynth.open_dataset(path)
    return ds, {s.id: s.meta for s in ds}


def _train(tmp_path: Path, dataset: Path, task: str, **extra: Any) -> tuple[Path, dict]:
    """`facesynth-models train` (two epochs unless told); checks the log, that the training loss
    fell, and the files; returns the run directory and its evaluation summary."""
    cfg = {"task": task, "dataset": str(dataset), "out": "run", "seed": 0, "epochs": 2, "batch_size": 2,
           "threads": 1, "augment": False, **extra}
    (tmp_path / "run.yaml").write_text(json.dumps(cfg))
    proc = subprocess.run([_cli(), "train", str(tmp_path / "run.yaml")], capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = tmp_path / "run"
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert [e["epoch"] for e in log] == list(range(1, cfg["epochs"] + 1))
    assert all(math.isfinite(e["train_loss"]) and math.isfinite(e["val_loss"]) for e in log)
    assert log[-1]["train_loss"] < 0.98 * log[0]["train_loss"], log
    for f in ("loss.png", "best.pt", "eval/metrics.json", "eval/ced.png", "eval/report.md"):
        assert (run / f).stat().st_size > 0, f
    summary = json.loads((run / "eval" / "summary.json").read_text())
    for name in ("model", "mean baseline"):
        assert summary[name]["count"] > 0
        assert all(math.isfinite(v) for v in summary[name]["mean"].values()), summary[name]["mean"]
    return run, summary


def _evaluate(tmp_path: Path, run: Path, dataset: Path, kind: str, *extra: str) -> dict:
    """The run's test-split predictions (`predict_run`) scored by the `facesynth-models evaluate` command
    (its results: "predictions", and "mean baseline" with --baseline)."""
    from facesynth_models.cli import main
    from facesynth_models.predict import predict_run

    n, written = predict_run(run, dataset, tmp_path / "pred", "test")
    assert written == kind and n > 0
    # The command itself, in this process (a new one would import torch again).
    with pytest.raises(SystemExit) as done:
        main(["evaluate", str(dataset), "--pred", str(tmp_path / "pred"), "--kind", kind,
              "--out", str(tmp_path / "report"), *extra])
    assert done.value.code == 0
    assert (tmp_path / "report" / "report.md").stat().st_size > 0
    return json.loads((tmp_path / "report" / "metrics.json").read_text())["results"]


def _split_ids(metas: dict[str, dict], split: str, **where: Any) -> list[str]:
    return sorted(i for i, m in metas.items() if m["split"] == split and all(m[k] == v for k, v in where.items()))


def _prn(sample: Any) -> np.ndarray:
    pm = sample.posmap
    return np.stack([pm["prn.x"], pm["prn.y"], pm["prn.z"]], axis=-1)


def test_two_image_prn_end_to_end_on_posmap_front_side(front_side_dataset: Path, tmp_path: Path) -> None:
    from facesynth_models.data import PRN_SCALE, FaceDataset
    from facesynth_models.evaluate import Scorer

    ds, metas = _open(front_side_dataset)
    # What the pairing must find, from the metadata alone: each left / right view with the front
    # view of its subject's group.
    fronts = {(m["subject_id"], m["group"]): i for i, m in metas.items() if m["view"] == "front"}
    expected = sorted((fronts[(m["subject_id"], m["group"])], i) for i, m in metas.items() if m["view"] != "front")
    assert len(fronts) == 4 and len(expected) == 8
    assert {metas[s]["view"] for _, s in expected} == {"left", "right"}
    pairs = FaceDataset(ds, "posmap_pair")
    assert sorted(tuple(pairs.ids(i)) for i in range(len(pairs))) == expected
    for split in ("train", "val", "test"):
        assert len(FaceDataset(ds, "posmap_pair", split)) == 2 * len(_split_ids(metas, split, view="front")) > 0

    # One item: the front crop, then the side crop; the target is the front view's map.
    item = pairs[0]
    front, side = (ds.by_id(i) for i in pairs.ids(0))
    crops = [torch.from_numpy(np.ascontiguousarray(s.crop.transpose(2, 0, 1))).float() / 255 for s in (front, side)]
    assert torch.equal(item["image"], torch.cat(crops))
    assert np.allclose(item["posmap"].permute(1, 2, 0).numpy() * PRN_SCALE * 32, _prn(front), atol=1e-3)

    # One full batch of the 4 training pairs per epoch (BatchNorm needs more than 1-2 items).
    run, summary = _train(tmp_path, front_side_dataset, "posmap_pair", batch_size=4, epochs=3)
    test_fronts = _split_ids(metas, "test", view="front")
    assert summary["model"]["count"] == summary["mean baseline"]["count"] == len(test_fronts)
    # The baseline is the mean of the training FRONT maps (what the network predicts), not of all views.
    mean = np.mean([_prn(ds.by_id(i)) for i in _split_ids(metas, "train", view="front")], axis=0)
    rows = Scorer(ds, "posmap").score_all({i: mean for i in test_fronts})
    assert summary["mean baseline"]["mean"]["nme_dense_bbox"] == pytest.approx(
        np.mean([r["nme_dense_bbox"] for r in rows]), rel=1e-5)

    results = _evaluate(tmp_path, run, front_side_dataset, "posmap", "--baseline")
    scored = results["predictions"]
    assert results["mean baseline"]["mean"] == pytest.approx(summary["mean baseline"]["mean"], rel=1e-5)
    assert scored["count"] == len(test_fronts)
    assert scored["mean"]["nme_dense_bbox"] == pytest.approx(summary["model"]["mean"]["nme_dense_bbox"], rel=1e-4)


def test_multiview_consistency_end_to_end_on_multiview_pairs(multiview_dataset: Path, tmp_path: Path) -> None:
    from facesynth_models.data import FaceDataset

    ds, metas = _open(multiview_dataset)
    groups: dict[int, list[str]] = defaultdict(list)
    for i, m in metas.items():
        groups[m["group"]].append(i)
    assert len(groups) == 4 and all(len(g) == 3 for g in groups.values())
    for ids in groups.values():  # a group: one subject and expression, views v0..v2 in different poses
        ms = [metas[i] for i in ids]
        assert len({m["subject_id"] for m in ms}) == 1
        assert all(m["face_model"]["expression"] == ms[0]["face_model"]["expression"] for m in ms)
        assert sorted(m["view"] for m in ms) == ["v0", "v1", "v2"]
        assert len({json.dumps(m["mesh"]["model_to_camera"]) for m in ms}) == 3

    mv = FaceDataset(ds, "multiview")
    assert len(mv) == 2 * len(groups)
    for i in range(len(mv)):
        a, b = mv.ids(i)
        assert metas[a]["group"] == metas[b]["group"]
        assert int(metas[b]["view"][1:]) == int(metas[a]["view"][1:]) + 1
        # The relative pose moves view A's 3D landmarks (metadata, camera frame) onto view B's.
        a_to_b = mv[i]["a_to_b"].double().numpy()
        la, lb = (np.asarray(metas[x]["landmarks_68"]["3d"]) for x in (a, b))
        assert np.abs(la @ a_to_b[:3, :3].T + a_to_b[:3, 3] - lb).max() < 0.05  # mm (float32 pose)

    # Batch 1 at lr 3e-3: the zero-initialised head needs a few steps before the loss moves.
    run, summary = _train(tmp_path, multiview_dataset, "multiview", batch_size=1, lr=3e-3,
                          model={"width": 8, "levels": 2})
    test_groups = {metas[i]["group"] for i in _split_ids(metas, "test")}
    assert summary["model"]["count"] == 3 * len(test_groups)  # every view scored as a depth map
    c = summary["consistency"]
    assert c["pairs"] == 2 * len(test_groups)
    assert math.isfinite(c["cross_view_error_mm"]) and c["cross_view_error_mm"] > 0
    # The ground truth is consistent with itself through the metadata's pose (0 up to sampling).
    assert c["ground_truth_cross_view_error_mm"] < 1.0 < c["cross_view_error_mm"]
    assert c["mean baseline"]["pairs"] == c["pairs"] and math.isfinite(c["mean baseline"]["cross_view_error_mm"])
    assert json.loads((run / "eval" / "metrics.json").read_text())["consistency"] == c
    report = (run / "eval" / "report.md").read_text()
    assert "## Cross-view consistency" in report and f"{c['cross_view_error_mm']:.2f}" in report

    scored = _evaluate(tmp_path, run, multiview_dataset, "depth")["predictions"]
    assert scored["count"] == 3 * len(test_groups)
    assert scored["mean"]["abs_rel"] == pytest.approx(summary["model"]["mean"]["abs_rel"], rel=1e-4)


def test_temporal_consistency_end_to_end_on_expression_sequence(sequence_dataset: Path, tmp_path: Path) -> None:
    from facesynth_models.data import FaceDataset

    ds, metas = _open(sequence_dataset)
    seqs: dict[int, list[dict]] = defaultdict(list)
    for m in metas.values():
        seqs[m["group"]].append(m)
    assert len(seqs) == 4
    for ms in seqs.values():  # one expression ramping up from neutral; pose, camera and light fixed
        ms.sort(key=lambda m: m["frame"])
        assert [m["frame"] for m in ms] == [0, 1, 2, 3]
        assert all(m[k] == ms[0][k] for m in ms for k in ("head_pose", "camera", "lights", "subject_id"))
        assert len({m["face_model"]["expression_name"] for m in ms}) == 1
        amount = [float(np.abs(m["face_model"]["expression"]["weights"]).sum()) for m in ms]
        assert amount[0] == 0 and all(x < y for x, y in itertools.pairwise(amount))

    seq = FaceDataset(ds, "sequence")
    assert len(seq) == 3 * len(seqs)
    for i in range(len(seq)):
        a, b = (metas[x] for x in seq.ids(i))
        assert a["group"] == b["group"] and b["frame"] == a["frame"] + 1

    run, summary = _train(tmp_path, sequence_dataset, "sequence", batch_size=1, lr=3e-3,
                          model={"width": 8, "levels": 2})
    test_seqs = [ms for ms in seqs.values() if ms[0]["split"] == "test"]
    c = summary["consistency"]
    assert c["pairs"] == 3 * len(test_seqs) > 0
    by_expr = c["temporal_error_mm_by_expression"]
    assert set(by_expr) == {ms[0]["face_model"]["expression_name"] for ms in test_seqs}
    assert all(math.isfinite(v) and v > 0 for v in by_expr.values()) and math.isfinite(c["temporal_error_mm"])
    base = c["mean baseline"]["temporal_error_mm_by_expression"]
    assert set(base) == set(by_expr) and all(math.isfinite(v) and v > 0 for v in base.values())
    assert json.loads((run / "eval" / "metrics.json").read_text())["consistency"] == c
    report = (run / "eval" / "report.md").read_text()
    assert "## Temporal consistency" in report
    assert all(f"| model | {e} | {v:.2f} |" in report for e, v in by_expr.items())

    scored = _evaluate(tmp_path, run, sequence_dataset, "depth")["predictions"]
    assert scored["count"] == 4 * len(test_seqs)
    assert scored["mean"]["abs_rel"] == pytest.approx(summary["model"]["mean"]["abs_rel"], rel=1e-4)


def test_shape_regression_end_to_end_on_shape_regression(shape_dataset: Path, tmp_path: Path) -> None:
    from facesynth_models import tasks
    from facesynth_models.config import ModelConfig
    from facesynth_models.data import FaceDataset, shape_target

    stride = 40
    ds, metas = _open(shape_dataset)
    train = FaceDataset(ds, "shape", "train", vertex_stride=stride)
    shapes = np.stack([shape_target(train.cache.get(p, ("mesh",))["mesh"][::stride], train.metas[p])
                       for p in train.positions])
    assert shapes.shape[0] == len(_split_ids(metas, "train")) >= 3 and shapes.shape[1] > 500
    # The decoder starts as a PCA of the training shapes: its bias is the mean shape and its columns
    # span every training shape (>= 99 % of their variance about the mean).
    model = tasks.build_model("shape", ModelConfig(width=8, vertex_stride=stride), train)
    bias = model.decode.bias.detach().double().numpy()
    assert np.allclose(bias, shapes.mean(axis=0).ravel(), atol=1e-5)
    cols = model.decode.weight.detach().double().numpy()
    centred = shapes.reshape(len(shapes), -1) - bias
    fit = np.linalg.lstsq(cols, centred.T, rcond=None)[0]
    assert ((cols @ fit - centred.T) ** 2).sum() <= 0.01 * (centred**2).sum()

    run, summary = _train(tmp_path, shape_dataset, "shape", model={"width": 8, "vertex_stride": stride})
    test_ids = _split_ids(metas, "test")
    assert summary["model"]["count"] == len(test_ids) > 0
    armse = summary["model"]["mean"]["armse"]
    assert math.isfinite(armse) and 0 < armse < 1
    assert "armse" in (run / "eval" / "report.md").read_text()

    results = _evaluate(tmp_path, run, shape_dataset, "vertices", "--vertex-stride", str(stride), "--baseline")
    scored = results["predictions"]
    assert results["mean baseline"]["mean"] == pytest.approx(summary["mean baseline"]["mean"], rel=1e-5)
    assert scored["count"] == len(test_ids)
    assert scored["mean"]["armse"] == pytest.approx(armse, rel=1e-4)

"""`facesynth-models evaluate` scores someone else's prediction files against a real dataset."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from facesynth_models.config import UsageError
from facesynth_models.predict import evaluate_dir

import facesynth

pytestmark = pytest.mark.render


def _cli() -> str:
    return str(Path(sys.executable).parent / "facesynth-models")


def test_depth_predictions_scale_error_and_report(tiny_dataset: Path, tmp_path: Path) -> None:
    ds = facesynth.open_dataset(tiny_dataset)
    pred = tmp_path / "pred"
    pred.mkdir()
    test_ids = [s.id for s in ds if s.meta["split"] == "test"]
    for sid in test_ids:
        np.save(pred / f"{sid}.depth.npy", ds.by_id(sid).depth * 1.1)
    proc = subprocess.run([_cli(), "evaluate", str(tiny_dataset), "--pred", str(pred), "--kind", "depth",
                           "--out", str(tmp_path / "rep"), "--baseline"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((tmp_path / "rep" / "metrics.json").read_text())
    res = doc["results"]["predictions"]
    assert res["count"] == len(test_ids) and res["mean"]["abs_rel"] == pytest.approx(0.1, rel=1e-5)
    assert res["mean"]["delta1"] == 1.0
    assert doc["results"]["mean baseline"]["count"] == len(test_ids)
    assert set(res["by_yaw"]) <= {"0-30", "30-60", "60-90"} and sum(v["count"] for v in res["by_yaw"].values()) == \
        len(test_ids)
    assert set(res["by_expression"]) <= {"neutral", "happy", "surprise"}
    assert (tmp_path / "rep" / "ced.png").read_bytes()[:4] == b"\x89PNG"
    assert "abs_rel" in (tmp_path / "rep" / "report.md").read_text()


def test_perfect_posmap_predictions_score_zero(tiny_dataset: Path, tmp_path: Path) -> None:
    ds = facesynth.open_dataset(tiny_dataset)
    for s in list(ds)[:3]:
        pm = s.posmap
        np.save(tmp_path / f"{s.id}.posmap.npy", np.stack([pm["prn.x"], pm["prn.y"], pm["prn.z"]], axis=-1))
    summary = evaluate_dir(tiny_dataset, tmp_path, "posmap", tmp_path / "rep")
    means = summary["predictions"]["mean"]
    assert means["nme_dense_bbox"] == 0.0 and means["nme_68_2d_bbox"] == 0.0
    assert means["nme_dense_aligned_bbox"] == pytest.approx(0.0, abs=1e-6)


def test_bad_prediction_files_are_named(tiny_dataset: Path, tmp_path: Path) -> None:
    ds = facesynth.open_dataset(tiny_dataset)
    sid = ds[0].id
    np.save(tmp_path / f"{sid}.depth.npy", np.zeros((5, 5), np.float32))
    with pytest.raises(UsageError, match=f"sample {sid}: depth prediction has shape"):
        evaluate_dir(tiny_dataset, tmp_path, "depth", tmp_path / "rep")
    with pytest.raises(UsageError, match="unknown prediction kind"):
        evaluate_dir(tiny_dataset, tmp_path, "normals", tmp_path / "rep")
    np.save(tmp_path / "999999.depth.npy", np.zeros((64, 64), np.float32))
    proc = subprocess.run([_cli(), "evaluate", str(tiny_dataset), "--pred", str(tmp_path), "--out",
                           str(tmp_path / "rep")], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    assert "999999.depth.npy" in proc.stderr and "no sample '999999'" in proc.stderr
    assert "Traceback" not in proc.stderr

"""`facesynth-models validate` on a real rendered dataset: it passes, and three corruptions are
each caught and named by sample id (even when the files' sha256s are updated to match)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from facesynth_models.validate import check_integrity, validate

from facesynth.io import codecs

pytestmark = pytest.mark.render


def _cli() -> str:
    return str(Path(sys.executable).parent / "facesynth-models")


def _meta_path(root: Path, sid: str) -> Path:
    return next(root.glob(f"samples/*/{sid}.json"))


def _rewrite(root: Path, sid: str, kind: str, data: bytes) -> None:
    """Replace one output file and update its size and sha256 in the metadata (a consistent store)."""
    meta_path = _meta_path(root, sid)
    meta = json.loads(meta_path.read_text())
    entry = meta["outputs"][kind]
    (meta_path.parent / entry["file"]).write_bytes(data)
    entry.update(sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
    meta_path.write_text(json.dumps(meta, sort_keys=True, separators=(",", ":")))


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _ids(root: Path) -> list[str]:
    return sorted(p.stem for p in root.glob("samples/*/*.json"))


def test_clean_dataset_passes_integrity_and_learnability(tiny_dataset: Path, tmp_path: Path) -> None:
    # DepthNet only: no position-map network tried beats the mean position map by 10 % when trained
    # on these 8 samples (measured, docs/models.md: the small network's run scores -7 %); the check
    # needs about 32 training samples: the next test runs it on a larger rendered set.
    proc = subprocess.run([_cli(), "validate", str(tiny_dataset), "--out", str(tmp_path / "r"), "--epochs", "8",
                           "--learn", "depth"], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads((tmp_path / "r" / "validate.json").read_text())
    assert doc["passed"] and doc["integrity"]["broken"] == {}
    assert doc["integrity"]["checked"] == doc["integrity"]["rederived"] == 16
    assert set(doc["learnability"]) == {"depth"}
    depth = doc["learnability"]["depth"]
    assert depth["required_improvement"] == 0.1 and depth["improvement"] >= 0.1 and depth["passed"]
    assert "PASS" in (tmp_path / "r" / "report.md").read_text()


def test_position_map_learnability_passes_on_32_training_samples(learn_dataset: Path, tmp_path: Path) -> None:
    """The position-map check of `validate` in CI: the small PCA-decoder network trained on the 32
    training samples (16 subjects) must beat the mean position map on 8 held-out subjects by 10 %."""
    proc = subprocess.run([_cli(), "validate", str(learn_dataset), "--out", str(tmp_path / "r"),
                           "--learn", "posmap"], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads((tmp_path / "r" / "validate.json").read_text())
    assert doc["passed"] and doc["integrity"]["broken"] == {} and doc["integrity"]["checked"] == 64
    assert set(doc["learnability"]) == {"posmap"}
    posmap = doc["learnability"]["posmap"]
    assert posmap["metric"] == "nme_dense_bbox" and posmap["passed"]
    assert posmap["improvement"] >= posmap["required_improvement"] == 0.1
    assert "learnability posmap" in proc.stdout


def test_depth_scaled_by_1_1_is_flagged(tiny_dataset: Path, tmp_path: Path) -> None:
    root = _copy(tiny_dataset, tmp_path / "ds")
    sid = _ids(root)[3]
    depth_file = _meta_path(root, sid).parent / f"{sid}.depth.exr"
    depth = codecs.decode_exr(depth_file.read_bytes())["Z"]
    _rewrite(root, sid, "depth", codecs.encode_exr({"Z": (depth * 1.1).astype(np.float32)}))
    import facesynth

    report = check_integrity(facesynth.open_dataset(root))
    assert list(report.problems) == [sid]
    assert "depth differs" in report.problems[sid][0]


def test_landmarks_shifted_3px_are_flagged(tiny_dataset: Path, tmp_path: Path) -> None:
    root = _copy(tiny_dataset, tmp_path / "ds")
    sid = _ids(root)[5]
    meta_path = _meta_path(root, sid)
    meta = json.loads(meta_path.read_text())
    meta["landmarks_68"]["2d"] = [[x + 3.0, y] for x, y in meta["landmarks_68"]["2d"]]
    meta_path.write_text(json.dumps(meta, sort_keys=True, separators=(",", ":")))
    ok = validate(root, tmp_path / "r", learnability=False)
    assert not ok
    doc = json.loads((tmp_path / "r" / "validate.json").read_text())
    assert list(doc["integrity"]["broken"]) == [sid]
    assert any("landmarks" in r for r in doc["integrity"]["broken"][sid])
    assert sid in (tmp_path / "r" / "report.md").read_text()


def test_swapped_position_maps_are_flagged_and_cli_exits_1(tiny_dataset: Path, tmp_path: Path) -> None:
    root = _copy(tiny_dataset, tmp_path / "ds")
    a, b = _ids(root)[1], _ids(root)[6]
    data_a = (_meta_path(root, a).parent / f"{a}.posmap.exr").read_bytes()
    data_b = (_meta_path(root, b).parent / f"{b}.posmap.exr").read_bytes()
    _rewrite(root, a, "posmap", data_b)
    _rewrite(root, b, "posmap", data_a)
    proc = subprocess.run([_cli(), "validate", str(root), "--out", str(tmp_path / "r"), "--integrity-only"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    doc = json.loads((tmp_path / "r" / "validate.json").read_text())
    assert sorted(doc["integrity"]["broken"]) == sorted([a, b])
    assert all(any("position map" in r for r in doc["integrity"]["broken"][s]) for s in (a, b))
    assert f"broken sample {a}" in proc.stdout and f"broken sample {b}" in proc.stdout


def test_validate_bad_path_is_one_line_exit_2(tmp_path: Path) -> None:
    proc = subprocess.run([_cli(), "validate", str(tmp_path / "nope"), "--out", str(tmp_path / "r")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    assert "no such file or directory" in proc.stderr and "Traceback" not in proc.stderr

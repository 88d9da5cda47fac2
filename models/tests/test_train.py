"""Training on a real rendered dataset: resume after SIGKILL ends exactly like an uninterrupted run;
learning-rate halving and early stopping; JSON-lines log and loss PNG; bad configs exit 2."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

pytestmark = pytest.mark.render


def _cli() -> list[str]:
    return [str(Path(sys.executable).parent / "facesynth-models")]


def _config(path: Path, dataset: Path, out: str, **extra) -> Path:
    cfg = {"task": "depth", "dataset": str(dataset), "out": out, "seed": 3, "epochs": 6, "batch_size": 4,
           "threads": 1, "augment": True, "model": {"width": 4, "levels": 2}, **extra}
    path.write_text(json.dumps(cfg))  # JSON is YAML
    return path


def _log(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]


def _strip(entries: list[dict]) -> list[dict]:
    return [{k: v for k, v in e.items() if k != "time_s"} for e in entries]


def test_resume_after_sigkill_matches_uninterrupted_run(tiny_dataset: Path, tmp_path: Path) -> None:
    whole = _config(tmp_path / "whole.yaml", tiny_dataset, "whole")
    proc = subprocess.run([*_cli(), "train", str(whole)], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "parameters" in proc.stderr + proc.stdout

    killed = _config(tmp_path / "killed.yaml", tiny_dataset, "killed")
    run = tmp_path / "killed"
    p = subprocess.Popen([*_cli(), "train", str(killed)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and p.poll() is None:
        if (run / "log.jsonl").exists() and len((run / "log.jsonl").read_text().splitlines()) >= 2:
            break
        time.sleep(0.05)
    assert p.poll() is None, "the run ended before it could be killed"
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    assert len(_log(run)) >= 2  # killed after two finished epochs, wherever it was then
    proc = subprocess.run([*_cli(), "train", str(killed)], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "resuming" in proc.stderr + proc.stdout

    assert _strip(_log(run)) == _strip(_log(tmp_path / "whole"))
    a = torch.load(tmp_path / "whole" / "best.pt", weights_only=False)["model"]
    b = torch.load(run / "best.pt", weights_only=False)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    for f in ("loss.png", "eval/metrics.json", "eval/ced.png", "eval/report.md"):
        assert (run / f).stat().st_size > 0, f
    assert (run / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # `predict` writes the best weights' predictions; `evaluate` scores them as the run's own evaluation did.
    from facesynth_models.predict import evaluate_dir, predict_run

    n, kind = predict_run(run, tiny_dataset, tmp_path / "pred", "test")
    test_ids = [p.stem for p in tiny_dataset.glob("samples/*/*.json") if json.loads(p.read_text())["split"] == "test"]
    assert kind == "depth" and n == len(test_ids) > 0
    assert sorted(p.name for p in (tmp_path / "pred").iterdir()) == sorted(f"{i}.depth.npy" for i in test_ids)
    scored = evaluate_dir(tiny_dataset, tmp_path / "pred", "depth", tmp_path / "rep")["predictions"]["mean"]
    own = json.loads((run / "eval" / "summary.json").read_text())["model"]["mean"]
    assert scored["abs_rel"] == pytest.approx(own["abs_rel"], rel=1e-5)


def test_lr_halves_and_early_stopping(tiny_dataset: Path, tmp_path: Path) -> None:
    from facesynth_models.train import train

    # A learning rate too small to change anything: validation never improves after epoch 1.
    cfg = _config(tmp_path / "c.yaml", tiny_dataset, "run", epochs=20, lr=1e-12, lr_halve_every=1,
                  early_stop_patience=2, augment=False)
    train(cfg)
    log = _log(tmp_path / "run")
    assert [e["epoch"] for e in log] == [1, 2, 3]
    assert [e["lr"] for e in log] == pytest.approx([1e-12, 0.5e-12, 0.25e-12])


@pytest.mark.parametrize(("text", "expect"), [
    ("task: depth\ndataset: d\nout: o\nepochs: 0\n", "c.yaml:4: epochs: Input should be greater than or equal to 1"),
    ("task: depth\ndataset: d\nout: o\nmodel:\n  widht: 3\n", "c.yaml:5: model.widht: Extra inputs are not permitted"),
    ("task: nope\ndataset: d\nout: o\n", "c.yaml:1: task:"),
    ("task: [depth\n", "c.yaml:2: YAML error"),
])
def test_bad_config_names_field_and_line(tmp_path: Path, text: str, expect: str) -> None:
    from facesynth_models.config import UsageError, load_config

    (tmp_path / "c.yaml").write_text(text)
    with pytest.raises(UsageError) as err:
        load_config(tmp_path / "c.yaml")
    assert expect in str(err.value) and "\n" not in str(err.value)


def test_bad_config_and_missing_dataset_exit_2_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text("task: depth\ndataset: d\nout: o\nepochs: 0\n")
    (tmp_path / "m.yaml").write_text("task: depth\ndataset: missing\nout: o\n")
    for name, expect in (("c.yaml", "c.yaml:4: epochs"), ("m.yaml", "missing: no such file or directory")):
        proc = subprocess.run([*_cli(), "train", str(tmp_path / name)], capture_output=True, text=True, timeout=300)
        assert proc.returncode == 2, proc.stderr
        assert expect in proc.stderr and "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1

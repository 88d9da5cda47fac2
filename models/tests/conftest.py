"""A tiny dataset rendered once per session by facesynth itself (real Cycles, built-in head).

It lives under the checkout's .cache/ so a second local session resumes it (facesynth render
skips finished samples); CI renders it fresh. Tests that change files work on copies.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
os.environ.setdefault("FACESYNTH_HOME", str(REPO / ".cache" / "facesynth-test"))

TINY_RECIPE = """\
name: models_tiny
seed: 7
samples: 16
subjects: {face_model: builtin, count: 8}
expressions: {presets: [neutral, happy, surprise]}
camera: {distance_mm: [700, 900], focal_length_mm: 100, resolution: 64x64}
head_pose: {yaw_deg: [-40, 40], pitch_deg: [-15, 15], roll_deg: [-10, 10]}
lights: {count: 1, kinds: [area]}
background: {kind: noise}
render: {preset: draft, samples: 4, denoise: false}
posmap: {size: 32, crop_scale: 1.5}
split: {train: 0.5, val: 0.25, test: 0.25}
outputs: [rgb, depth, masks, landmarks, posmap]
"""


def facesynth_cli() -> str:
    return str(Path(sys.executable).parent / "facesynth")


@pytest.fixture(scope="session")
def tiny_dataset() -> Path:
    root = REPO / ".cache" / "models-tests"
    root.mkdir(parents=True, exist_ok=True)
    recipe = root / "models_tiny.yaml"
    recipe.write_text(TINY_RECIPE)
    from facesynth.geometry import META_VERSION

    # One directory per metadata version: facesynth refuses to resume a dataset of another one.
    out = root / f"models_tiny-v{META_VERSION}"
    proc = subprocess.run([facesynth_cli(), "render", str(recipe), "--out", str(out), "-q"],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out

"""A tiny dataset rendered once per session by facesynth itself (real Cycles, built-in head).

It lives under the checkout's .cache/ so a second local session resumes it (facesynth render
skips finished samples); CI renders it fresh. Tests that change files work on copies.
"""

from __future__ import annotations

import hashlib
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


# The position-map learnability check needs more than the tiny set's 8 training samples: a
# network learns head pose from 32 denoised 64x64 crops, not from 8 noisy ones (docs/models.md).
LEARN_RECIPE = (TINY_RECIPE.replace("name: models_tiny", "name: models_learn").replace("samples: 16", "samples: 64")
                .replace("count: 8", "count: 32").replace("denoise: false", "denoise: true"))


def _render_cached(name: str, text: str) -> Path:
    root = REPO / ".cache" / "models-tests"
    root.mkdir(parents=True, exist_ok=True)
    recipe = root / f"{name}.yaml"
    recipe.write_text(text)
    from facesynth.geometry import META_VERSION

    # One directory per metadata version: facesynth refuses to resume a dataset of another one.
    out = root / f"{name}-v{META_VERSION}"
    proc = subprocess.run([facesynth_cli(), "render", str(recipe), "--out", str(out), "-q"],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out


@pytest.fixture(scope="session")
def tiny_dataset() -> Path:
    return _render_cached("models_tiny", TINY_RECIPE)


@pytest.fixture(scope="session")
def learn_dataset() -> Path:
    return _render_cached("models_learn", LEARN_RECIPE)


# The end-to-end tests of each model family render their reference recipe itself, shrunk with
# `facesynth render --set` (the dataset's recipe.yaml then records exactly what was rendered).
SHRINK = ("camera.resolution=64x64", "render.preset=draft", "render.samples=4", "render.denoise=false",
          "split={train: 0.5, val: 0.25, test: 0.25}")


def render_reference(recipe: str, *overrides: str) -> Path:
    """recipes/<recipe>.yaml rendered at 64x64 (draft, 4 spp) with `overrides` (FIELD=VALUE) on top.

    Cached under .cache/models-tests/ by a hash of the recipe text and the overrides, so a changed
    reference recipe renders afresh and an unchanged one resumes."""
    from facesynth.geometry import META_VERSION

    src = REPO / "recipes" / f"{recipe}.yaml"
    sets = (*SHRINK, *overrides)
    key = hashlib.sha256("\n".join((src.read_text(), *sets)).encode()).hexdigest()[:10]
    out = REPO / ".cache" / "models-tests" / f"{recipe}-{key}-v{META_VERSION}"
    cmd = [facesynth_cli(), "render", str(src), "--out", str(out), "-q", *(a for s in sets for a in ("--set", s))]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out


@pytest.fixture(scope="session")
def front_side_dataset() -> Path:
    """posmap_front_side: 4 subjects x (front, left, right), 32x32 position maps."""
    return render_reference("posmap_front_side", "samples=12", "subjects.count=4", "posmap.size=32")


@pytest.fixture(scope="session")
def multiview_dataset() -> Path:
    """multiview_pairs: 4 subjects x 3 views (v0, v1, v2) instead of 10."""
    return render_reference("multiview_pairs", "samples=12", "subjects.count=4",
                            "views=[{name: v0}, {name: v1}, {name: v2}]")


@pytest.fixture(scope="session")
def sequence_dataset() -> Path:
    """expression_sequence: 4 subjects x one 4-frame sequence each (instead of 12 frames)."""
    return render_reference("expression_sequence", "samples=16", "subjects.count=4", "expressions.sequence.frames=4")


@pytest.fixture(scope="session")
def shape_dataset() -> Path:
    """shape_regression: 8 subjects, one sample each."""
    return render_reference("shape_regression", "samples=8", "subjects.count=8")

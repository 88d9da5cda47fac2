"""Malformed recipes are refused with exit code 2, no traceback, and a message naming the field/line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from facesynth.cli import main
from facesynth.recipe import RecipeError, load_recipe

BASE = "name: t\nsamples: 4\n"

# (case id, recipe text, a fragment the message must contain: the field path or the line)
MALFORMED: list[tuple[str, str, str]] = [
    ("empty", "", "empty"),
    ("only-comments", "# nothing\n", "no recipe"),
    ("top-level-list", "- a\n- b\n", ":1"),
    ("top-level-scalar", "42\n", ":1"),
    ("yaml-syntax-bracket", "name: t\nsamples: [4\n", ":3"),
    ("yaml-syntax-indent", "name: t\n samples: 4\n  x: 1\n", "YAML error"),
    ("yaml-tab", "name: t\nsamples:\t\t- 4\n\t- 5\n", "YAML error"),
    ("python-object-tag", "name: t\nsamples: !!python/object:os.system 3\n", "not allowed"),
    ("python-apply-tag", "name: !!python/object/apply:os.getcwd []\nsamples: 1\n", "not allowed"),
    ("duplicate-key", BASE + "name: u\n", "duplicate key 'name'"),
    ("missing-name", "samples: 4\n", "name: required"),
    ("missing-samples", "name: t\n", "samples: required"),
    ("samples-zero", "name: t\nsamples: 0\n", "samples:"),
    ("samples-string", "name: t\nsamples: many\n", "samples:"),
    ("samples-float", "name: t\nsamples: 2.5\n", "samples:"),
    ("bad-name", "name: 'a b/c'\nsamples: 4\n", "name:"),
    ("seed-negative", BASE + "seed: -1\n", "seed:"),
    ("unknown-top-key", BASE + "camra: {}\n", "did you mean 'camera'"),
    ("unknown-nested-key", BASE + "camera:\n  distanse_mm: 5\n",
     "camera.distanse_mm: unknown key; did you mean 'distance_mm'"),
    ("inverted-distance", BASE + "camera:\n  distance_mm: [1000, 700]\n",
     "camera.distance_mm: minimum 1000 is greater than maximum 700 (r.yaml:4)"),
    ("negative-distance", BASE + "camera:\n  distance_mm: [-5, 10]\n", "camera.distance_mm"),
    ("zero-distance", BASE + "camera:\n  distance_mm: 0\n", "camera.distance_mm"),
    ("distance-three-values", BASE + "camera:\n  distance_mm: [1, 2, 3]\n", "camera.distance_mm"),
    ("distance-bool", BASE + "camera:\n  distance_mm: true\n", "camera.distance_mm"),
    ("focal-negative", BASE + "camera:\n  focal_length_mm: -60\n", "camera.focal_length_mm"),
    ("sensor-string", BASE + "camera:\n  sensor_width_mm: wide\n", "camera.sensor_width_mm"),
    ("resolution-too-big", BASE + "camera:\n  resolution: 9000x100\n", "camera.resolution.width"),
    ("resolution-garbage", BASE + "camera:\n  resolution: big\n", "camera.resolution"),
    ("projection-unknown", BASE + "camera:\n  projection: fisheye\n", "camera.projection"),
    ("clip-inside-head", BASE + "camera:\n  clip_mm: [800, 5000]\n", "camera.clip_mm"),
    ("clip-too-short", BASE + "camera:\n  clip_mm: [10, 900]\n", "camera.clip_mm"),
    ("yaw-out-of-range", BASE + "head_pose:\n  yaw_deg: [-200, 0]\n", "head_pose.yaw_deg"),
    ("pitch-inverted", BASE + "head_pose:\n  pitch_deg: [10, -10]\n", "head_pose.pitch_deg: minimum 10"),
    ("grid-without-step", BASE + "head_pose:\n  mode: grid\n", "head_pose.yaw_deg: grid mode needs a step"),
    ("step-negative", BASE + "head_pose:\n  yaw_deg: {min: -10, max: 10, step: -5}\n", "head_pose.yaw_deg"),
    ("views-duplicate", BASE + "views:\n  - {name: a}\n  - {name: a}\n", "views: view names must be unique"),
    ("view-bad-name", BASE + "views:\n  - {name: 'front view'}\n", "views[0].name"),
    ("lights-count-inverted", BASE + "lights:\n  count: [3, 1]\n", "lights.count"),
    ("lights-count-fraction", BASE + "lights:\n  count: [1, 2.5]\n", "lights.count"),
    ("lights-kind-unknown", BASE + "lights:\n  kinds: [laser]\n", "lights.kinds[0]"),
    ("kelvin-too-low", BASE + "lights:\n  color_temperature_k: [100, 6500]\n", "lights.color_temperature_k"),
    ("hdri-unknown-builtin", BASE + "environment:\n  hdri: ['builtin:mars']\n", "environment.hdri"),
    ("hdri-missing-file", BASE + "environment:\n  hdri: [nowhere/sky.exr]\n", "environment.hdri[0]: no such file"),
    ("background-kind", BASE + "background:\n  kind: video\n", "background.kind"),
    ("background-image-no-source", BASE + "background:\n  kind: image\n", "background.source"),
    ("background-image-missing", BASE + "background:\n  kind: image\n  source: nope.png\n",
     "background.source: no such image file"),
    ("background-color-range", BASE + "background:\n  kind: solid\n  colors: [[2, 0, 0]]\n", "background.colors"),
    ("render-samples-zero", BASE + "render:\n  samples: 0\n", "render.samples"),
    ("render-device", BASE + "render:\n  device: tpu\n", "render.device"),
    ("render-preset", BASE + "render:\n  preset: ultra\n", "render.preset"),
    ("render-bits", BASE + "render:\n  rgb_bit_depth: 12\n", "render.rgb_bit_depth"),
    ("outputs-unknown", BASE + "outputs: [rgb, albedo]\n", "outputs[1]"),
    ("outputs-duplicate", BASE + "outputs: [rgb, rgb]\n", "outputs: outputs listed twice"),
    ("outputs-empty", BASE + "outputs: []\n", "outputs"),
    ("split-sum", BASE + "split: {train: 0.5, val: 0.1, test: 0.1}\n", "split: fractions must sum to 1"),
    ("split-negative", BASE + "split: {train: 1.2, val: -0.1, test: -0.1}\n", "split.train"),
    ("preset-unknown", BASE + "expressions:\n  presets: [happy, grumpy]\n", "expressions.presets"),
    ("intensity-range", BASE + "expressions:\n  intensity: [0, 5]\n", "expressions.intensity"),
    ("sequence-frames", BASE + "expressions:\n  sequence: {enabled: true, frames: 1}\n", "expressions.sequence.frames"),
    ("face-model-unknown", BASE + "subjects:\n  face_model: flame\n", "subjects.face_model: unknown face model"),
    ("face-model-bad-scale", BASE + "subjects:\n  face_model: {path: me.fbx, unit_scale_mm: -1}\n",
     "subjects.face_model.unit_scale_mm"),
    ("face-model-missing-file", BASE + "subjects:\n  face_model: {path: me.fbx, landmarks_68: "
     + str(list(range(68))) + "}\n", "subjects.face_model.path: no such character file"),
    ("character-without-landmarks", BASE + "subjects:\n  face_model: me.glb\noutputs: [rgb, landmarks]\n",
     "outputs: landmarks need landmarks"),
    ("obj-without-unit", BASE + "subjects:\n  face_model: {path: head.obj, landmarks_68: " + str(list(range(68)))
     + "}\n", "subjects.face_model.unit_scale_mm: an OBJ file has no unit"),
    ("landmarks-wrong-count", BASE + "subjects:\n  face_model: {path: me.glb, landmarks_68: [1, 2]}\n",
     "subjects.face_model.landmarks_68"),
    ("subjects-count-zero", BASE + "subjects:\n  count: 0\n", "subjects.count"),
    ("skin-tone-range", BASE + "subjects:\n  skin_tone: [0.5, 1.5]\n", "subjects.skin_tone"),
    ("section-is-list", BASE + "camera: [1, 2]\n", "camera"),
    ("version-2", BASE + "version: 2\n", "version"),
]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "r.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_there_are_at_least_40_cases() -> None:
    assert len(MALFORMED) >= 40


@pytest.mark.parametrize(("text", "fragment"), [(t, f) for _, t, f in MALFORMED], ids=[c for c, _, _ in MALFORMED])
def test_malformed_recipe_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch, text: str, fragment: str) -> None:
    _write(tmp_path, text)
    monkeypatch.chdir(tmp_path)  # so messages say r.yaml:LINE
    path = Path("r.yaml")
    with pytest.raises(RecipeError) as info:
        load_recipe(path)
    assert fragment in str(info.value) or any(fragment in p for p in info.value.problems)

    with pytest.raises(SystemExit) as exit_info:
        main(["validate", str(path)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.startswith("error: ")
    assert fragment in err


def test_directory_instead_of_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["plan", str(tmp_path)])
    assert info.value.code == 2
    assert "is a directory, not a recipe file" in capsys.readouterr().err


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["plan", str(tmp_path / "nope.yaml")])
    assert info.value.code == 2
    assert "no such recipe file" in capsys.readouterr().err


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_bytes(b"name: \xff\xfe\n")
    with pytest.raises(RecipeError, match="not UTF-8"):
        load_recipe(path)


def test_real_process_exit_code_and_no_traceback(tmp_path: Path) -> None:
    """The installed command, as a user runs it."""
    path = _write(tmp_path, BASE + "camera:\n  distance_mm: [1000, 700]\n")
    proc = subprocess.run([sys.executable, "-m", "facesynth.cli", "plan", str(path)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip() == (
        f"error: camera.distance_mm: minimum 1000 is greater than maximum 700 ({path}:4)")

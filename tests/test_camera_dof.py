"""Depth of field (camera.aperture_fstop): drawn from its own stream, focused on the eyes, blurs
the RGB only. A portrait lens at 700-1000 mm blurs the distant background; a pinhole does not."""

from __future__ import annotations

import numpy as np
import pytest

from facesynth.errors import UserError
from facesynth.geometry.labels import compute_labels
from facesynth.geometry.metadata import build_metadata
from facesynth.geometry.pose import focus_distance_mm, pose_sample
from facesynth.recipe import load_recipe
from facesynth.render.quick import KEY_LIGHT, quick_spec
from facesynth.sampling import plan


@pytest.fixture(scope="module")
def builtin_pack():
    from facesynth.assets.registry import load_pack

    return load_pack("builtin")


RECIPE = """name: dof
seed: 5
samples: 300
subjects: {count: 30}
"""


def _plan(tmp_path, *overrides: str):
    path = tmp_path / "r.yaml"
    path.write_text(RECIPE)
    return list(plan(load_recipe(path, list(overrides))))


def test_aperture_is_drawn_log_uniform_and_moves_no_other_draw(tmp_path) -> None:
    pinhole = _plan(tmp_path)
    dof = _plan(tmp_path, "camera.aperture_fstop=[2, 16]")
    stops = np.array([s.camera.fstop for s in dof])
    assert all(s.camera.fstop is None for s in pinhole)
    assert stops.min() >= 2.0 and stops.max() <= 16.0
    # log-uniform: each of the three doublings (2-4, 4-8, 8-16) holds about a third
    thirds = np.histogram(np.log2(stops), bins=[1, 2, 3, 4])[0] / len(stops)
    assert np.all(np.abs(thirds - 1 / 3) < 0.1), thirds
    for a, b in zip(pinhole, dof, strict=True):
        da, db = a.model_dump(), b.model_dump()
        db["camera"]["fstop"] = None
        assert da == db, a.id


def test_aperture_needs_a_perspective_camera(tmp_path) -> None:
    with pytest.raises(UserError, match=r"camera\.aperture_fstop") as err:
        _plan(tmp_path, "camera.aperture_fstop=[2, 16]", "camera.projection=orthographic")
    assert "\n" not in str(err.value)


def test_focus_is_the_eye_landmarks_depth(builtin_pack) -> None:
    spec = quick_spec(width=96, height=128, distance_mm=800.0, yaw_deg=30.0)
    v = builtin_pack.deform()
    posed = pose_sample(spec, builtin_pack)
    lm = posed.to_camera(v[np.asarray(builtin_pack.landmarks_68).reshape(-1)])
    focus = focus_distance_mm(posed, lm)
    assert lm[36:48, 2].min() <= focus <= lm[36:48, 2].max()
    assert focus < posed.t_mm[2] - 30.0, "the eyes are in front of the head pivot"
    assert focus_distance_mm(posed, np.zeros((0, 3))) == posed.t_mm[2]  # no landmarks: the pivot


@pytest.mark.render
def test_a_wide_aperture_blurs_the_background_and_leaves_labels_alone(builtin_pack) -> None:
    pytest.importorskip("bpy")
    from facesynth.render import RenderSession

    base = quick_spec(width=120, height=160, samples=8, denoise=True, distance_mm=900.0, focal_length_mm=60.0,
                      environment="builtin:city", lights=(KEY_LIGHT,))
    wide = base.model_copy(update={"camera": base.camera.model_copy(update={"fstop": 1.4})})
    v = builtin_pack.deform()
    posed = pose_sample(base, builtin_pack)
    labels = compute_labels(base, builtin_pack, v, posed)
    with RenderSession(builtin_pack, threads=2) as session:
        sharp = session.render(base, v, posed).rgb[..., :3].astype(float)
        blurred = session.render(wide, v, posed).rgb[..., :3].astype(float)
        again = session.render(base, v, posed).rgb[..., :3].astype(float)
    assert np.array_equal(sharp, again), "depth of field switches off again"
    background = labels.depth == 0
    background[:, :2] = background[:, -2:] = False

    def detail(img: np.ndarray) -> float:  # mean absolute horizontal gradient over the background
        g = np.abs(np.diff(img.mean(axis=2), axis=1))
        return float(g[background[:, 1:] & background[:, :-1]].mean())

    assert detail(blurred) < 0.5 * detail(sharp), (detail(blurred), detail(sharp))
    # the labels do not depend on the aperture; the metadata records it
    assert np.array_equal(compute_labels(wide, builtin_pack, v, posed).depth, labels.depth)
    meta = build_metadata(wide, builtin_pack, posed, labels, recipe_sha256="", facesynth_version="",
                          blender_version="")
    assert meta["camera"]["fstop"] == 1.4
    assert meta["camera"]["focus_distance_mm"] == pytest.approx(labels.landmarks.xyz_cam[36:48, 2].mean())
    assert build_metadata(base, builtin_pack, posed, labels, recipe_sha256="", facesynth_version="",
                          blender_version="")["camera"]["fstop"] is None

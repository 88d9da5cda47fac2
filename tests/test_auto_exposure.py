"""Face-priority auto exposure (camera.auto_exposure): the linear render is scaled so the face's
median luminance lands at the target before the RGB is clipped; off by default; the stops applied
are in the metadata; labels are untouched."""

from __future__ import annotations

import numpy as np
import pytest

from facesynth.assets import parsing as P
from facesynth.color import REC709_LUMA, srgb_to_linear
from facesynth.errors import UserError
from facesynth.geometry.labels import compute_labels
from facesynth.geometry.metadata import build_metadata
from facesynth.geometry.pose import pose_sample
from facesynth.recipe import load_recipe
from facesynth.render.exposure import (
    FACE_CLASSES,
    MAX_EV,
    MID_SKIN_ALBEDO,
    expose,
    face_target,
    metered_ev,
)
from facesynth.render.quick import KEY_LIGHT, quick_spec
from facesynth.sampling import plan

RECIPE = "name: ae\nseed: 3\nsamples: 20\nsubjects: {count: 5}\n"


def _face(value: float, size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """A grey frame, a square of skin at linear `value` in it, and its parsing."""
    img = np.full((size, size, 3), 0.05, np.float32)
    parsing = np.zeros((size, size), np.uint8)
    img[8:24, 8:24] = value
    parsing[8:24, 8:24] = P.SKIN
    return img, parsing


def test_the_meter_brings_the_face_median_to_the_target() -> None:
    img, parsing = _face(0.8)
    ev = metered_ev(img, parsing, 0.2)
    assert ev == pytest.approx(-2.0)
    out = expose(img, ev)
    assert np.median(out[parsing == P.SKIN] @ REC709_LUMA) == pytest.approx(0.2, rel=1e-5)
    assert out[0, 0, 0] == pytest.approx(0.05 / 4)  # the whole frame changes, as a camera's exposure


def test_highlights_hair_and_tiny_faces_do_not_swing_it() -> None:
    img, parsing = _face(0.1)
    img[8:11, 8:24] = 50.0  # a specular band on 3 of 16 rows
    assert metered_ev(img, parsing, 0.2) == pytest.approx(1.0)
    img[0:8] = 0.0  # black hair above the face is not read
    parsing[0:8] = P.HAIR
    assert metered_ev(img, parsing, 0.2) == pytest.approx(1.0)
    small, few = _face(0.8, size=12)  # 0 face pixels... then 16, below the minimum
    few[:] = 0
    few[0:4, 0:4] = P.SKIN
    assert metered_ev(small, few, 0.2) == 0.0
    dark, parsing = _face(0.0)
    assert metered_ev(dark, parsing, 0.2) == MAX_EV
    bright, parsing = _face(1e6)
    assert metered_ev(bright, parsing, 0.2) == -MAX_EV
    assert set(FACE_CLASSES) == {P.SKIN, P.NOSE, P.UPPER_LIP, P.LOWER_LIP}


def test_the_tone_knob_runs_from_a_face_meter_to_an_incident_meter() -> None:
    light, dark = (0.55, 0.41, 0.33), (0.10, 0.03, 0.013)  # albedo luminance 0.44 and 0.045
    y = [float(np.dot(a, REC709_LUMA)) for a in (light, dark)]
    assert face_target(0.2, 0.0, light) == face_target(0.2, 0.0, dark) == 0.2  # every face alike
    assert face_target(0.2, 1.0, light) == pytest.approx(0.2 * y[0] / MID_SKIN_ALBEDO)  # as its albedo
    assert face_target(0.2, 1.0, light) / face_target(0.2, 1.0, dark) == pytest.approx(y[0] / y[1])
    assert face_target(0.2, 0.5, light) / face_target(0.2, 0.5, dark) == pytest.approx((y[0] / y[1]) ** 0.5)
    mid = (MID_SKIN_ALBEDO,) * 3
    assert face_target(0.2, 0.0, mid) == pytest.approx(face_target(0.2, 1.0, mid))


def test_alpha_is_left_alone() -> None:
    rgba = np.concatenate([np.full((4, 4, 3), 0.5, np.float32), np.full((4, 4, 1), 0.25, np.float32)], axis=-1)
    out = expose(rgba, 1.0)
    assert np.allclose(out[..., :3], 1.0) and np.allclose(out[..., 3], 0.25)


def test_off_by_default_and_checked(tmp_path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(RECIPE)
    off = list(plan(load_recipe(path)))
    on = list(plan(load_recipe(path, ["camera.auto_exposure=0.2", "camera.auto_exposure_tone=0.5"])))
    assert all(s.camera.auto_exposure is None for s in off)
    for a, b in zip(off, on, strict=True):  # a camera setting, no draw moves
        da, db = a.model_dump(), b.model_dump()
        assert db["camera"].pop("auto_exposure") == 0.2 and db["camera"].pop("auto_exposure_tone") == 0.5
        da["camera"].pop("auto_exposure")
        assert da["camera"].pop("auto_exposure_tone") == 0.0
        assert da == db, a.id
    for key, bad in (("auto_exposure", "0"), ("auto_exposure", "1.5"), ("auto_exposure", "bright"),
                     ("auto_exposure_tone", "2"), ("auto_exposure_tone", "-0.1")):
        with pytest.raises(UserError, match=rf"camera\.{key}") as err:
            load_recipe(path, [f"camera.{key}={bad}"])
        assert "\n" not in str(err.value)


@pytest.fixture(scope="module")
def builtin_pack():
    from facesynth.assets.registry import load_pack

    return load_pack("builtin")


def test_metadata_records_the_target_and_the_stops(builtin_pack) -> None:
    spec = quick_spec()
    spec = spec.model_copy(update={"camera": spec.camera.model_copy(update={"auto_exposure": 0.2})})
    posed = pose_sample(spec, builtin_pack)
    labels = compute_labels(spec, builtin_pack, builtin_pack.deform(), posed)
    kw = dict(recipe_sha256="", facesynth_version="", blender_version="")
    meta = build_metadata(spec, builtin_pack, posed, labels, metered_ev=-1.23456789, **kw)
    assert meta["camera"]["auto_exposure"] == 0.2 and meta["camera"]["metered_ev"] == -1.2346
    assert meta["camera"]["auto_exposure_tone"] == 0.0
    plain = build_metadata(quick_spec(), builtin_pack, posed, labels, **kw)
    assert plain["camera"]["auto_exposure"] is None and plain["camera"]["metered_ev"] is None


def _face_median(rgb: np.ndarray, parsing: np.ndarray) -> float:
    face = np.isin(parsing, FACE_CLASSES)
    return float(np.median(srgb_to_linear(rgb[..., :3][face] / 255.0) @ REC709_LUMA))


@pytest.mark.render
def test_a_blown_out_face_is_metered_down_and_a_dark_one_up(builtin_pack) -> None:
    pytest.importorskip("bpy")
    from facesynth.render import RenderSession

    glare = KEY_LIGHT.model_copy(update={"energy": KEY_LIGHT.energy * 6})
    dim = KEY_LIGHT.model_copy(update={"energy": KEY_LIGHT.energy / 20})
    v = builtin_pack.deform()
    with RenderSession(builtin_pack) as session:
        for light, sign in ((glare, -1), (dim, +1)):
            plain = quick_spec(width=96, height=128, samples=8, denoise=True, lights=(light,),
                               environment="builtin:night")
            metered = plain.model_copy(update={"camera": plain.camera.model_copy(update={"auto_exposure": 0.2})})
            posed = pose_sample(plain, builtin_pack)
            parsing = compute_labels(plain, builtin_pack, v, posed).parsing
            before = session.render(plain, v, posed)
            after = session.render(metered, v, posed, parsing=parsing)
            assert before.metered_ev is None and np.sign(after.metered_ev) == sign, after.metered_ev
            assert abs(np.log2(_face_median(before.rgb, parsing) / 0.2)) > 1.5  # far off before
            assert _face_median(after.rgb, parsing) == pytest.approx(0.2, rel=0.08)  # 8-bit steps
            own = session.render(metered, v, posed)  # the session computes the parsing itself
            assert own.metered_ev == pytest.approx(after.metered_ev) and np.array_equal(own.rgb, after.rgb)


@pytest.mark.render
def test_an_incident_meter_keeps_light_skin_lighter_than_dark_skin(builtin_pack) -> None:
    pytest.importorskip("bpy")
    from facesynth.render import RenderSession
    from facesynth.render.materials import skin_albedo

    v = builtin_pack.deform()
    medians, albedos = [], []
    with RenderSession(builtin_pack) as session:
        for tone_of_skin in (0.1, 0.9):
            spec = quick_spec(width=96, height=128, samples=8, denoise=True, lights=(KEY_LIGHT,),
                              environment="builtin:night", skin_tone=tone_of_skin)
            spec = spec.model_copy(update={"camera": spec.camera.model_copy(
                update={"auto_exposure": 0.2, "auto_exposure_tone": 1.0})})
            posed = pose_sample(spec, builtin_pack)
            parsing = compute_labels(spec, builtin_pack, v, posed).parsing
            medians.append(_face_median(session.render(spec, v, posed, parsing=parsing).rgb, parsing))
            albedos.append(float(np.dot(skin_albedo(tone_of_skin), REC709_LUMA)))
    # each face lands at 0.2 x its albedo / the mid albedo: the light one brighter by their ratio
    for median, albedo in zip(medians, albedos, strict=True):
        assert median == pytest.approx(0.2 * albedo / MID_SKIN_ALBEDO, rel=0.1), (medians, albedos)
    assert medians[0] / medians[1] > 2.0

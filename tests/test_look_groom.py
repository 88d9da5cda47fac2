"""Groom (subjects.groom) and look clothing together on the real ICT head: one extra-geometry path
in the labels, so strands, accessories and the shirt all occlude and all appear in depth, mask,
parsing, landmark visibility and the metadata's depth.includes. No bpy."""

from __future__ import annotations

import numpy as np
import pytest
from test_groom import _groom, _spec

from facesynth.assets import parsing as P
from facesynth.assets import regions as R
from facesynth.geometry.groom import posed_groom
from facesynth.geometry.labels import compute_labels
from facesynth.geometry.look_parts import look_parts
from facesynth.geometry.pose import pose_sample
from facesynth.sampling.spec_look import ClothingSpec, LookSpec

pytestmark = pytest.mark.ict
SHIRT = LookSpec(clothing=ClothingSpec(style="crew", color=(0.2, 0.3, 0.4)))


def _both(pack, groom, look, yaw=0.0):
    spec = _spec(groom, yaw=yaw).model_copy(update={"look": look})
    v = pack.deform(np.asarray(spec.subject.identity), spec.expression_weights())
    posed = pose_sample(spec, pack)
    gr = posed_groom(spec, pack, v) if groom is not None else None
    return compute_labels(spec, pack, v, posed, parts=look_parts(spec, pack, v), groom=gr)


@pytest.fixture(scope="module")
def labels(ict_pack):
    g = _groom(beard_style="full", glasses_shape="rectangle", glasses_sun=True, headwear="beanie")
    return {"both": _both(ict_pack, g, SHIRT), "groom": _both(ict_pack, g, None),
            "shirt": _both(ict_pack, None, SHIRT), "bare": _both(ict_pack, None, None)}


def test_region_ids_keep_the_groom_and_move_clothing_to_17() -> None:
    assert tuple(range(11, 18)) == (R.HAIR, R.BROW_LEFT, R.BROW_RIGHT, R.BEARD, R.GLASSES, R.HEADWEAR, R.CLOTHING)
    assert R.region(R.CLOTHING).name == "clothing" and R.MAX_REGION_ID >= R.CLOTHING


def test_groom_pixels_carry_their_parsing_class_and_shirt_pixels_clothing(labels) -> None:
    lab = labels["both"]
    for region, cls in P.PART_REGION_CLASS.items():
        px = lab.mask == region
        assert px.sum() > 10, R.region(region).name  # every part is in this frame
        assert np.all(lab.parsing[px] == cls), R.region(region).name
    # head pixels keep the face pack's classes; no groom or shirt pixel is left as skin
    parts = np.isin(lab.mask, list(P.PART_REGION_CLASS))
    assert not np.isin(lab.parsing[parts], [P.SKIN, P.BACKGROUND]).any()
    assert {P.NOSE, P.UPPER_LIP, P.NECK} <= set(np.unique(lab.parsing[~parts]).tolist())


def test_depth_holds_groom_and_shirt_face_plane_holds_the_head_alone(labels) -> None:
    both, groom, shirt, bare = labels["both"], labels["groom"], labels["shirt"], labels["bare"]
    assert bare.depth_face is None and bare.depth_includes == ("head",)
    for lab in (both, groom, shirt):
        assert np.array_equal(lab.depth_face, bare.depth)
    assert both.depth_includes == ("head", *groom.groom_parts, "clothing")
    assert shirt.depth_includes == ("head", "clothing") and "clothing" not in groom.depth_includes
    # the groomed, shirted depth is the nearest of the groom-only and shirt-only depths
    near = np.where(groom.depth > 0, groom.depth, np.inf)
    near = np.minimum(near, np.where(shirt.depth > 0, shirt.depth, np.inf))
    want = np.where(np.isfinite(near), near, 0.0)
    agree = np.isclose(both.depth, want, atol=1e-3)
    assert agree.mean() > 0.999, f"{(~agree).sum()} pixels differ"
    assert np.all(both.depth[both.mask == R.CLOTHING] > 0)


def test_landmark_visibility_sees_groom_and_shirt(labels) -> None:
    both, shirt, groom = labels["both"], labels["shirt"], labels["groom"]
    eyes = slice(36, 48)
    assert shirt.landmarks.visible[eyes].all() and not both.landmarks.visible[eyes].any()  # sunglasses
    # a landmark is visible with both only if it is visible with each alone
    assert not (both.landmarks.visible & ~(shirt.landmarks.visible & groom.landmarks.visible)).any()

"""The eyes in Cycles: the lids shade the eyeball next to them, the upper lash line reads dark and
the lower one faint.

Both were measured with dlib's HOG detector (bench/realism_cost.py variants no_lid_shadow and
lash_before, docs/realism.md); these tests hold the behaviour, not the score. 96x128 px, 8 spp,
a 100 mm lens at 300 mm so an eye is ~25 px wide.
"""

from __future__ import annotations

import numpy as np
import pytest

from facesynth.assets import load_pack
from facesynth.assets.regions import EYE_OCCLUSION, EYELASHES, SCLERA, SKIN
from facesynth.geometry.pose import pose_sample
from facesynth.geometry.raster import rasterize
from facesynth.render.quick import KEY_LIGHT, quick_spec
from facesynth.sampling.spec import BackgroundSpec

pytest.importorskip("bpy")
pytestmark = pytest.mark.render

LUMA = np.array([0.2126, 0.7152, 0.0722])


@pytest.fixture(scope="module", params=["builtin", "ict-facekit"])
def pack_session(request):
    from facesynth.render import RenderSession

    pack = request.getfixturevalue("ict_pack") if request.param == "ict-facekit" else load_pack("builtin")
    with RenderSession(pack, threads=2) as session:
        yield pack, session


def _close_up(pack):
    spec = quick_spec(face_model=pack.name, lights=(KEY_LIGHT,), background=BackgroundSpec(kind="transparent"),
                      distance_mm=300.0, focal_length_mm=100.0, samples=8)
    posed = pose_sample(spec, pack)
    shown = pack.poly_region[pack.tri_polygon] != EYE_OCCLUSION
    ras = rasterize(posed.to_camera(pack.neutral_mm), pack.triangles[shown], posed.camera)
    region = np.zeros(ras.covered.shape, np.uint8)
    region[ras.covered] = pack.poly_region[pack.tri_polygon[shown]][ras.tri_id[ras.covered]]
    return spec, posed, region


def _luma(session, spec, pack, posed) -> np.ndarray:
    return session.render(spec, pack.neutral_mm, posed).rgb[..., :3].astype(float) @ LUMA


def _dilate(m: np.ndarray, n: int) -> np.ndarray:
    for _ in range(n):
        m = m | np.roll(m, 1, 0) | np.roll(m, -1, 0) | np.roll(m, 1, 1) | np.roll(m, -1, 1)
    return m


def test_lids_shadow_the_eyeball_next_to_them(pack_session) -> None:
    pack, session = pack_session
    spec, posed, region = _close_up(pack)
    sclera, skin = region == SCLERA, region == SKIN
    assert sclera.sum() >= 40
    shaded = _luma(session, spec, pack, posed)
    mat = session.materials.by_role["sclera"]
    tree = mat.node_tree
    bsdf = next(n for n in tree.nodes if n.type == "BSDF_PRINCIPLED")
    ao = next(n for n in tree.nodes if n.type == "AMBIENT_OCCLUSION")
    # the same eye without the lids' shadow: the AO node's input colour straight to the BSDF
    colour = ao.inputs["Color"].links[0].from_socket if ao.inputs["Color"].is_linked else None
    try:
        if colour is not None:
            tree.links.new(colour, bsdf.inputs["Base Color"])
        else:
            tree.links.remove(bsdf.inputs["Base Color"].links[0])
            bsdf.inputs["Base Color"].default_value = ao.inputs["Color"].default_value
        tree.links.remove(bsdf.inputs["Coat Weight"].links[0])
        plain = _luma(session, spec, pack, posed)
    finally:
        tree.links.new(ao.outputs["Color"], bsdf.inputs["Base Color"])
        tree.links.new(ao.outputs["AO"], bsdf.inputs["Coat Weight"])
    drop = plain - shaded
    next_to_lid = sclera & _dilate(skin | (region == EYELASHES), 1)
    assert next_to_lid.sum() >= 10
    assert drop[next_to_lid].mean() > 10, f"the eyeball by the lids darkened by {drop[next_to_lid].mean():.1f}"
    inner_skin = skin & ~_dilate(sclera, 3)
    assert abs(drop[inner_skin]).mean() < 1.0  # the skin did not change


def _lash_strips(pack, posed) -> tuple[np.ndarray, np.ndarray]:
    """Pixel masks of the upper and the lower eyelash strips (first surface hit)."""
    from facesynth.render.mesh import lower_lash_polygons

    shown = pack.poly_region[pack.tri_polygon] != EYE_OCCLUSION
    ras = rasterize(posed.to_camera(pack.neutral_mm), pack.triangles[shown], posed.camera)
    poly = np.full(ras.covered.shape, -1)
    poly[ras.covered] = pack.tri_polygon[shown][ras.tri_id[ras.covered]]
    lash = (poly >= 0) & (pack.poly_region[np.maximum(poly, 0)] == EYELASHES)
    lower = lash & lower_lash_polygons(pack)[np.maximum(poly, 0)]
    return lash & ~lower, lower


def test_the_upper_lash_line_is_dark_and_the_lower_faint(ict_pack) -> None:
    """ICT's lash strips over the lid margins: the upper strip's pixels are far darker than the lid
    skin next to them (a lash line, not a grey smear); the lower strip's are only a little darker
    (sparse, fine lower lashes, not a line of eyeliner)."""
    from facesynth.render import RenderSession

    spec, posed, region = _close_up(ict_pack)
    upper, lower = _lash_strips(ict_pack, posed)
    assert upper.sum() >= 20 and lower.sum() >= 20
    with RenderSession(ict_pack, threads=2) as session:
        luma = _luma(session, spec, ict_pack, posed)

    def ratio(strip: np.ndarray) -> float:
        skin = (region == SKIN) & _dilate(strip, 3) & ~_dilate(region == EYELASHES, 1)
        assert skin.sum() >= 20
        return float(np.median(luma[strip]) / np.median(luma[skin]))

    # upper: 0.44 with the dense strands; 0.60 with the thin 0.8-opaque strands they replaced
    assert ratio(upper) < 0.52, f"upper lash pixels at {ratio(upper):.2f} of the lid skin's luma"
    # lower: as dark as the upper strip (an eyeliner line) before LOWER_LASH_OPACITY
    assert ratio(lower) > 0.7, f"lower lash pixels at {ratio(lower):.2f} of the lid skin's luma"

"""The real face packs through Blender: the built-in head and ICT-FaceKit.

Blender's Depth pass must agree with the numpy rasteriser (the ground truth) on interior face
pixels, and the look must respond to the spec (skin tone, iris colour). 96x128 px, 4 spp.
"""

from __future__ import annotations

import numpy as np
import pytest

from facesynth.assets import FacePack, load_pack
from facesynth.assets.regions import EYE_OCCLUSION, IRIS, SCLERA, SKIN, solid_lookup
from facesynth.geometry.pose import pose_sample
from facesynth.geometry.raster import rasterize
from facesynth.render.quick import KEY_LIGHT, quick_spec
from facesynth.sampling.spec import BackgroundSpec

pytest.importorskip("bpy")
pytestmark = pytest.mark.render


@pytest.fixture(scope="module", params=["builtin", "ict-facekit"])
def pack_session(request):
    from facesynth.render import RenderSession

    pack = request.getfixturevalue("ict_pack") if request.param == "ict-facekit" else load_pack("builtin")
    with RenderSession(pack, threads=2) as session:
        yield pack, session


def _erode(m: np.ndarray, n: int) -> np.ndarray:
    for _ in range(n):
        m = m & np.roll(m, 1, 0) & np.roll(m, -1, 0) & np.roll(m, 1, 1) & np.roll(m, -1, 1)
    return m


def _spec(pack: FacePack, **kw):
    kw = {"distance_mm": 650.0, **kw}
    return quick_spec(face_model=pack.name, lights=(KEY_LIGHT,), background=BackgroundSpec(kind="transparent"),
                      **kw)


def test_depth_pass_agrees_with_rasteriser_on_face_interior(pack_session) -> None:
    pack, session = pack_session
    spec = _spec(pack, yaw_deg=25.0)
    identity = np.linspace(-1.0, 1.0, 10)  # a non-neutral subject: the array passed is rendered
    v = pack.deform(identity, {})
    posed = pose_sample(spec, pack)
    res = session.render(spec, v, posed, depth=True)
    solid = solid_lookup()[pack.poly_region[pack.tri_polygon]]
    ras = rasterize(posed.to_camera(v), pack.triangles[solid], posed.camera)
    # interior pixels of the skin region, away from silhouettes, eyelashes and eye shells
    skin_tris = pack.poly_region[pack.tri_polygon[solid]] == SKIN
    skin = np.zeros_like(ras.covered)
    skin[ras.covered] = skin_tris[ras.tri_id[ras.covered]]
    interior = _erode(skin, 2)
    assert interior.sum() > 400
    err = np.abs(res.depth_mm[interior] - ras.depth[interior])
    assert np.median(err) < 0.05
    assert np.percentile(err, 99) < 0.5, f"p99 {np.percentile(err, 99):.3f} mm, max {err.max():.3f} mm"
    shown = pack.poly_region[pack.tri_polygon] != EYE_OCCLUSION  # eyelashes render too
    ras_all = rasterize(posed.to_camera(v), pack.triangles[shown], posed.camera)
    far = _erode(~ras_all.covered, 2)
    assert far.sum() > 1000 and np.all(res.depth_mm[far] == 0)  # 0 = no surface, never 1e10


def _regions(pack: FacePack, posed) -> np.ndarray:
    """Region id per pixel centre of what Blender shows (the hidden eye shells left out)."""
    shown = pack.poly_region[pack.tri_polygon] != EYE_OCCLUSION
    ras = rasterize(posed.to_camera(pack.neutral_mm), pack.triangles[shown], posed.camera)
    region = np.zeros(ras.covered.shape, np.uint8)
    region[ras.covered] = pack.poly_region[pack.tri_polygon[shown]][ras.tri_id[ras.covered]]
    return region


def test_skin_tone_reaches_the_pixels(pack_session) -> None:
    pack, session = pack_session
    light = _spec(pack, skin_tone=0.05)
    dark = _spec(pack, skin_tone=0.95)
    posed = pose_sample(light, pack)
    skin = _erode(_regions(pack, posed) == SKIN, 1)
    a = session.render(light, pack.neutral_mm, posed).rgb[..., :3].astype(float)
    b = session.render(dark, pack.neutral_mm, posed).rgb[..., :3].astype(float)
    assert a[skin].mean() > b[skin].mean() + 40


def test_iris_colour_reaches_the_eyes(pack_session) -> None:
    pack, session = pack_session
    base = _spec(pack, distance_mm=260.0)  # the face fills the frame: eyes are ~10 px wide
    blue = base.model_copy(update={"subject": base.subject.model_copy(update={"iris_color": (0.05, 0.2, 0.6)})})
    brown = base.model_copy(update={"subject": base.subject.model_copy(update={"iris_color": (0.3, 0.12, 0.03)})})
    posed = pose_sample(base, pack)
    region = _regions(pack, posed)
    eyes = (region == IRIS) | (region == SCLERA)
    skin = _erode(region == SKIN, 2)
    assert eyes.sum() >= 20
    a = session.render(blue, pack.neutral_mm, posed).rgb[..., :3].astype(float)
    b = session.render(brown, pack.neutral_mm, posed).rgb[..., :3].astype(float)
    blueness = (a[..., 2] - a[..., 0]) - (b[..., 2] - b[..., 0])
    assert blueness[eyes].max() > 60  # the iris turned from brown to blue
    assert abs(blueness[skin].mean()) < 3  # and the skin did not

"""RenderSession on a real Blender: scene built once, no data-block growth, backgrounds, depth.

One session per module (Blender is process-global); renders are 96x128 at 4 spp.
"""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from PIL import Image

from facesynth.assets import FacePack
from facesynth.assets.regions import EYE_OCCLUSION, IRIS, SKIN, solid_lookup
from facesynth.geometry.pose import pose_sample
from facesynth.geometry.raster import rasterize
from facesynth.render.quick import KEY_LIGHT, quick_spec
from facesynth.sampling.spec import BackgroundSpec

pytest.importorskip("bpy")
pytestmark = pytest.mark.render


def _primitive_pack() -> FacePack:
    """A head-sized ellipsoid (skin), an 'iris' bump in front, and an eye-occlusion shell around
    the bump that the renderer must hide."""
    head = trimesh.creation.icosphere(subdivisions=3, radius=1.0)
    head.apply_scale([75.0, 100.0, 85.0])
    eye = trimesh.creation.icosphere(subdivisions=2, radius=12.0)
    eye.apply_translation([30.0, 20.0, 80.0])
    shell = trimesh.creation.icosphere(subdivisions=1, radius=25.0)
    shell.apply_translation([-30.0, 20.0, 80.0])
    parts = [(head, SKIN), (eye, IRIS), (shell, EYE_OCCLUSION)]
    verts, faces, region, off = [], [], [], 0
    for mesh, rid in parts:
        verts.append(mesh.vertices)
        faces.append(mesh.faces + off)
        region.append(np.full(len(mesh.faces), rid, np.uint8))
        off += len(mesh.vertices)
    v = np.concatenate(verts)
    f = np.concatenate(faces)
    uv = (v[f.ravel(), :2] / 200.0 + 0.5).astype(np.float32)
    return FacePack.from_arrays(
        name="primitive", neutral_mm=v, polygons=f, poly_uv=uv, poly_region=np.concatenate(region),
        landmarks_68=np.arange(68), pivot_mm=np.zeros(3), identity_basis=np.zeros((1, len(v), 3)),
    )


@pytest.fixture(scope="module")
def pack() -> FacePack:
    return _primitive_pack()


@pytest.fixture(scope="module")
def session(pack: FacePack):
    from facesynth.render import RenderSession

    with RenderSession(pack, threads=2) as s:
        yield s


def _render(session, pack, spec, **kw):
    return session.render(spec, pack.neutral_mm, pose_sample(spec, pack), **kw)


def _head_mask(pack: FacePack, spec) -> np.ndarray:
    """Pixel centres the rendered (non-hidden) triangles cover, from the numpy rasteriser."""
    posed = pose_sample(spec, pack)
    rendered = pack.poly_region[pack.tri_polygon] != EYE_OCCLUSION
    return rasterize(posed.to_camera(pack.neutral_mm), pack.triangles[rendered], posed.camera).covered


def test_face_differs_from_background_and_transparent_alpha(session, pack) -> None:
    spec = quick_spec(background=BackgroundSpec(kind="solid", color=(0.0, 0.2, 0.0)), lights=(KEY_LIGHT,))
    rgb = _render(session, pack, spec).rgb
    assert rgb.shape == (128, 96, 3) and rgb.dtype == np.uint8
    mask = _head_mask(pack, spec)
    bg = ~_dilate(mask)  # away from anti-aliased silhouette pixels
    # the solid plate shows exactly where the head is not: linear 0.2 green -> sRGB 124
    assert np.all(rgb[bg][:, 1] == 124) and np.all(rgb[bg][:, [0, 2]] == 0)
    assert np.abs(rgb[mask].astype(int) - [0, 124, 0]).sum(axis=1).mean() > 60

    spec_t = quick_spec(background=BackgroundSpec(kind="transparent"), lights=(KEY_LIGHT,))
    rgba = _render(session, pack, spec_t).rgb
    assert rgba.shape == (128, 96, 4)
    assert np.all(rgba[..., 3][~_dilate(mask)] == 0)
    assert np.all(rgba[..., 3][_erode(mask)] == 255)


def _erode(m: np.ndarray, n: int = 2) -> np.ndarray:
    for _ in range(n):
        m = m & np.roll(m, 1, 0) & np.roll(m, -1, 0) & np.roll(m, 1, 1) & np.roll(m, -1, 1)
    return m


def _dilate(m: np.ndarray, n: int = 2) -> np.ndarray:
    return ~_erode(~m, n)


def test_scene_built_once_and_no_datablock_growth(session, pack) -> None:
    kinds = ["hdri", "noise", "solid"]
    envs = ["builtin:studio", "builtin:city", "builtin:forest"]
    lights = [(KEY_LIGHT,), (KEY_LIGHT, KEY_LIGHT.model_copy(update={"kind": "point"})), ()]
    before = None
    renders0 = session.counters["renders"]
    for i in range(3):
        spec = quick_spec(index=i, yaw_deg=20.0 * i, background=BackgroundSpec(kind=kinds[i], noise_seed=i),
                          environment=envs[i], lights=lights[i], skin_tone=0.4 * i)
        _render(session, pack, spec)
        counts = session.datablock_counts()
        if i == 1:
            before = counts  # after the pool has grown to its largest light count
        if i == 2:
            assert counts == before
    assert session.counters["meshes_created"] == 1
    assert session.counters["materials_created"] == 2  # skin + iris; the hidden shell gets none
    assert session.counters["lights_created"] == 2
    assert session.counters["renders"] == renders0 + 3


def test_hidden_region_not_rendered_and_depth_matches_rasteriser(session, pack) -> None:
    spec = quick_spec(lights=(KEY_LIGHT,), background=BackgroundSpec(kind="transparent"))
    res = _render(session, pack, spec, depth=True)
    posed = pose_sample(spec, pack)
    covered = _head_mask(pack, spec)
    solid = solid_lookup()[pack.poly_region[pack.tri_polygon]]  # the hidden shell is not solid
    ras = rasterize(posed.to_camera(pack.neutral_mm), pack.triangles[solid], posed.camera)
    assert np.array_equal(covered, ras.covered)
    # where the shell would be, Blender sees the head behind it, not the shell
    interior = _erode(ras.covered, 2)
    assert interior.sum() > 500
    err = np.abs(res.depth_mm[interior] - ras.depth[interior])
    assert err.max() < 0.5, f"max {err.max():.3f} mm"
    # where the hidden shell would be (its front at model z = 105 mm), Blender sees the head
    u, v = np.round(posed.camera.project(posed.to_camera(np.array([[-30.0, 20.0, 105.0]]))[0])).astype(int)
    assert res.depth_mm[v, u] > 600.0 - 105.0 + 10.0
    assert np.all(res.depth_mm[~_dilate(ras.covered)] == 0)


def test_image_background_covers_without_stretching(session, pack, tmp_path) -> None:
    # 400x100 image: left quarter red, the rest blue, a 20 px wide green centre stripe. Covering a
    # 96x128 frame scales by 1.28 (height), keeps the centre 75 columns of the original: the red
    # quarter is cropped away, the green stripe stays 20*1.28 = 25.6 px wide and centred.
    img = np.zeros((100, 400, 3), np.uint8)
    img[:, :100] = (255, 0, 0)
    img[:, 100:] = (0, 0, 255)
    img[:, 190:210] = (0, 255, 0)
    path = tmp_path / "bg.png"
    Image.fromarray(img).save(path)
    spec = quick_spec(background=BackgroundSpec(kind="image", source=str(path)), distance_mm=3000.0)
    rgb = _render(session, pack, spec).rgb
    row = rgb[2]  # top row: above the small far head
    green = np.flatnonzero((row[:, 1] > 200) & (row[:, 2] < 60))
    assert 24 <= len(green) <= 27
    assert abs(green.mean() - 47.5) <= 1.0
    assert not np.any((row[:, 0] > 200) & (row[:, 2] < 60))  # red cropped away, not squeezed in


def test_only_changed_values_are_written_into_blender(session, pack) -> None:
    spec = quick_spec(lights=(KEY_LIGHT,), background=BackgroundSpec(kind="transparent"))
    first = _render(session, pack, spec).rgb
    repeat = _render(session, pack, spec).rgb
    assert session.counters["last_sample_writes"] == 0  # nothing re-synced: Cycles keeps its caches
    assert np.array_equal(first, repeat)  # same seed, same scene: same pixels
    turned = spec.model_copy(update={"head_pose": spec.head_pose.model_copy(update={"yaw_deg": 30.0})})
    _render(session, pack, turned)
    assert session.counters["last_sample_writes"] == 1  # only the head's transform


def test_every_light_kind_lights_the_head(session, pack) -> None:
    base = quick_spec(background=BackgroundSpec(kind="transparent"), environment="builtin:night")
    face = _erode(_head_mask(pack, base), 2)
    dark = _render(session, pack, base).rgb[..., :3][face].mean()
    for kind, energy in (("point", 40.0), ("area", 15.0), ("spot", 40.0), ("sun", 3.0)):
        light = KEY_LIGHT.model_copy(update={"kind": kind, "energy": energy})
        lit = _render(session, pack, base.model_copy(update={"lights": (light,)})).rgb[..., :3][face].mean()
        assert lit > dark + 15, kind


def test_subject_albedo_texture_replaces_procedural_skin(session, pack, tmp_path) -> None:
    from facesynth.errors import UserError

    red = tmp_path / "albedo.png"
    Image.fromarray(np.tile(np.array([200, 20, 20], np.uint8), (16, 16, 1))).save(red)
    base = quick_spec(lights=(KEY_LIGHT,), background=BackgroundSpec(kind="transparent"))
    face = _erode(_head_mask(pack, base), 2)
    textured = base.model_copy(update={"subject": base.subject.model_copy(
        update={"textures": (("albedo", str(red)),)})})
    rgb = _render(session, pack, textured).rgb[..., :3][face].astype(float)
    assert rgb[:, 0].mean() > 3 * rgb[:, 1].mean()  # red skin
    plain = _render(session, pack, base).rgb[..., :3][face].astype(float)
    assert plain[:, 0].mean() < 2 * plain[:, 1].mean()  # texture switched off again
    missing = base.model_copy(update={"subject": base.subject.model_copy(
        update={"textures": (("albedo", str(tmp_path / "nope.png")),)})})
    with pytest.raises(UserError, match=r"sample 000000: subject\.textures albedo: file not found"):
        _render(session, pack, missing)


def test_changed_render_settings_take_effect_with_persistent_data(session, pack) -> None:
    # Cycles' persistent data ignores changed scene settings unless the scene is re-tagged:
    # each setting must reach the pixels, and going back must reproduce the first image exactly.
    base = quick_spec(lights=(KEY_LIGHT,), background=BackgroundSpec(kind="solid"))

    def rgb(**render):
        spec = base.model_copy(update={"render": base.render.model_copy(update=render)})
        return _render(session, pack, spec).rgb

    first = rgb(seed=1)
    assert not np.array_equal(rgb(seed=2), first)
    assert not np.array_equal(rgb(seed=2, samples=16), rgb(seed=2))
    assert np.array_equal(rgb(seed=1), first)
    hdri = _render(session, pack, base.model_copy(update={"background": BackgroundSpec(kind="hdri")})).rgb
    assert not np.array_equal(hdri, first)  # film transparency switched off: the world shows


def test_light_tree_switch_reaches_cycles_both_ways(session, pack) -> None:
    # `auto` flips the light tree between samples with one and with three lamps; a flip that
    # persistent data swallowed would leave the second image of each pair different from the first.
    fill = KEY_LIGHT.model_copy(update={"azimuth_deg": -40.0, "energy": 5.0})
    rim = KEY_LIGHT.model_copy(update={"azimuth_deg": 160.0, "energy": 8.0})
    one = quick_spec(lights=(KEY_LIGHT,), background=BackgroundSpec(kind="solid"), samples=8)
    three = one.model_copy(update={"lights": (KEY_LIGHT, fill, rim)})

    def rgb(spec, light_tree):
        return _render(session, pack, spec.model_copy(
            update={"render": spec.render.model_copy(update={"light_tree": light_tree})})).rgb

    tree_on, tree_off = rgb(one, "on"), rgb(one, "off")
    assert not np.array_equal(tree_on, tree_off)
    assert np.array_equal(rgb(one, "auto"), tree_off)  # one lamp: auto = off
    assert np.array_equal(rgb(one, "on"), tree_on)
    three_on, three_off = rgb(three, "on"), rgb(three, "off")
    assert not np.array_equal(three_on, three_off)
    assert np.array_equal(rgb(three, "auto"), three_on)  # three lamps, no sun: auto = on
    assert np.array_equal(rgb(three, "off"), three_off)


def test_cycles_restarts_only_when_tree_off_lamp_kinds_change(session, pack) -> None:
    # see RenderSession._keep_pixels_reproducible; test_pipeline checks the pixels across shards
    point = KEY_LIGHT.model_copy(update={"kind": "point", "azimuth_deg": -40.0})
    base = quick_spec(background=BackgroundSpec(kind="solid"), lights=(point,))

    def resets_after(*light_sets):
        before = session.counters["cycles_resets"]
        for lights in light_sets:
            _render(session, pack, base.model_copy(update={"lights": lights}))
        return session.counters["cycles_resets"] - before

    assert resets_after((point,), (point,), (point.model_copy(update={"energy": 3.0}),)) <= 1  # same kinds
    assert resets_after((KEY_LIGHT, point)) == 1  # tree off (auto, two lamps), kinds changed
    assert resets_after((KEY_LIGHT, point, point)) == 0  # three lamps: the tree is on

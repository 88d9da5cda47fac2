"""Grooming (subjects.groom): recipe, per-subject draws, strand geometry on the real ICT head, and
the labels it changes (mask classes, depth with a face-only plane, landmark occlusion). No bpy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh

from facesynth.assets import regions as R
from facesynth.cli import main
from facesynth.geometry.groom import grow_groom, head_triangles, posed_groom, rest_vertices
from facesynth.geometry.head_shell import directions
from facesynth.geometry.labels import compute_labels
from facesynth.geometry.pose import pose_sample
from facesynth.recipe import load_recipe
from facesynth.render.quick import quick_spec
from facesynth.sampling import sample_spec
from facesynth.sampling.groom import GroomSpec

pytestmark = pytest.mark.ict

RECIPE = """name: groomed
seed: 11
samples: 12
subjects:
  face_model: ict-facekit
  count: 4
  groom: {enabled: true, beard: {probability: 0.5}}
"""


def _groom(**kw) -> GroomSpec:
    base = dict(hair_style="medium", hair_density=0.3, hair_length=1.0, hair_clump=0.5, hair_curl=0.2,
                hair_frizz=0.1, melanin=0.6, redness=0.2, grey=0.1, part_side=1, brow_density=0.8,
                brow_thickness_mm=9.0, eyelashes=True, beard_style=None, glasses_shape=None, glasses_sun=False,
                glasses_color=(0.1, 0.1, 0.1), headwear=None, headwear_color=(0.2, 0.0, 0.0), geometry_seed=3)
    return GroomSpec(**{**base, **kw})


def _spec(groom: GroomSpec | None, yaw: float = 0.0, expression: tuple = ()):
    spec = quick_spec(face_model="ict-facekit", width=240, height=320, yaw_deg=yaw, distance_mm=800.0,
                      focal_length_mm=60.0)
    subject = spec.subject.model_copy(update={"groom": groom})
    expr = spec.expression.model_copy(update={"weights": expression})
    return spec.model_copy(update={"subject": subject, "expression": expr})


def _labels(pack, spec):
    v = pack.deform(np.asarray(spec.subject.identity), spec.expression_weights())
    posed = pose_sample(spec, pack)
    return compute_labels(spec, pack, v, posed, groom=posed_groom(spec, pack, v)), posed


@pytest.fixture(scope="module")
def grown(ict_pack):
    g = _groom(beard_style="full", glasses_shape="rectangle", glasses_sun=True)
    return g, grow_groom(g, ict_pack, ict_pack.neutral_mm)


# -- recipe and sampling ------------------------------------------------------------------------

def test_groom_is_off_by_default_and_never_changes_identity(tmp_path: Path) -> None:
    plain = tmp_path / "plain.yaml"
    plain.write_text(RECIPE.replace("  groom: {enabled: true, beard: {probability: 0.5}}\n", ""))
    groomed = tmp_path / "groomed.yaml"
    groomed.write_text(RECIPE)
    a, b = load_recipe(plain), load_recipe(groomed)
    for i in range(4):
        sa, sb = sample_spec(a, i), sample_spec(b, i)
        assert sa.subject.groom is None and sb.subject.groom is not None
        assert sa.subject.identity == sb.subject.identity and sa.subject.skin_tone == sb.subject.skin_tone


def test_groom_depends_only_on_seed_and_subject(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(RECIPE)
    loaded = load_recipe(path)
    specs = [sample_spec(loaded, i) for i in range(12)]
    by_subject: dict[int, set[str]] = {}
    for s in specs:
        by_subject.setdefault(s.subject.subject_id, set()).add(s.subject.groom.model_dump_json())
    assert all(len(v) == 1 for v in by_subject.values()), "one groom per subject, whatever the sample"
    assert len({next(iter(v)) for v in by_subject.values()}) == 4, "subjects differ"
    path.write_text(RECIPE.replace("seed: 11", "seed: 12"))
    other = sample_spec(load_recipe(path), 0).subject.groom
    assert other != specs[0].subject.groom


@pytest.mark.parametrize(("field", "value", "fragment"), [
    ("hair: {styles: [mohawk]}", "", "unknown hair style 'mohawk'"),
    ("beard: {styles: [pirate]}", "", "unknown beard style 'pirate'"),
    ("glasses: {probability: 1.5}", "", "subjects.groom.glasses.probability"),
    ("hair: {density: [0.5, 2.0]}", "", "subjects.groom.hair.density"),
])
def test_bad_groom_settings_are_refused_with_exit_2(tmp_path: Path, capsys, field: str, value: str,
                                                    fragment: str) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(RECIPE.replace("beard: {probability: 0.5}", field))
    with pytest.raises(SystemExit) as info:
        main(["validate", str(path)])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "Traceback" not in err and fragment in err


# -- geometry -------------------------------------------------------------------------------------

def test_growing_is_deterministic(ict_pack, grown) -> None:
    g, first = grown
    again = grow_groom(g, ict_pack, ict_pack.neutral_mm)
    assert [s.name for s in first.strands] == [s.name for s in again.strands]
    for a, b in zip(first.strands, again.strands, strict=True):
        assert np.array_equal(a.points, b.points) and np.array_equal(a.root_vertices, b.root_vertices)


def test_every_strand_starts_on_the_skin_at_its_barycentric_root(ict_pack, grown) -> None:
    _, groom = grown
    v = ict_pack.neutral_mm
    for s in groom.strands:
        if s.name == "glasses_frame":
            continue
        root = np.einsum("nk,nkc->nc", s.root_weights, v[s.root_vertices])
        np.testing.assert_allclose(s.points[:, 0], root, atol=1e-6, err_msg=s.name)


def test_scalp_hair_stays_outside_the_head(ict_pack, grown) -> None:
    """Independent check with trimesh ray casting: along the ray from inside the skull through a
    hair point, the head's outermost surface is not beyond the point."""
    _, groom = grown
    hair = groom.strand_set("hair")
    pts = hair.points[:, 2:].reshape(-1, 3)[::97]
    tris = head_triangles(ict_pack)
    mesh = trimesh.Trimesh(ict_pack.neutral_mm, tris, process=False)
    lm = ict_pack.neutral_mm[ict_pack.landmarks_68]
    centre = np.array([0.0, lm[36:48, 1].mean() + 20.0, 0.0])
    dirs = pts - centre
    dist = np.linalg.norm(dirs, axis=1)
    loc, ray_idx, _ = mesh.ray.intersects_location(np.repeat(centre[None], len(pts), 0), dirs / dist[:, None])
    outermost = np.zeros(len(pts))
    np.maximum.at(outermost, ray_idx, np.linalg.norm(loc - centre, axis=1))
    inside = outermost > dist + 0.5
    assert inside.mean() < 0.01, f"{inside.sum()} of {len(pts)} hair points lie inside the head"


def test_styles_differ_in_length_and_bald_grows_none(ict_pack) -> None:
    v = ict_pack.neutral_mm
    low = {}
    for style in ("buzz", "short", "long"):
        hair = grow_groom(_groom(hair_style=style, hair_density=0.2), ict_pack, v).strand_set("hair")
        low[style] = float(np.percentile(hair.points[:, -1, 1], 5))
        length = np.linalg.norm(np.diff(hair.points, axis=1), axis=-1).sum(1)
        assert {"buzz": (2, 6), "short": (25, 70), "long": (180, 400)}[style][0] < np.median(length) < \
            {"buzz": (2, 6), "short": (25, 70), "long": (180, 400)}[style][1], style
    assert low["long"] < low["short"] - 100, "long hair hangs far below short hair"
    bald = grow_groom(_groom(hair_style="bald", eyelashes=False), ict_pack, v)
    assert [s.name for s in bald.strands] == ["eyebrows"], "brows always, nothing else asked for"


def test_brows_sit_on_the_brow_landmarks_one_per_side(ict_pack, grown) -> None:
    _, groom = grown
    brows = groom.strand_set("eyebrows")
    lm = ict_pack.neutral_mm[ict_pack.landmarks_68]
    roots = brows.points[:, 0]
    for region, ids in ((R.BROW_RIGHT, slice(17, 22)), (R.BROW_LEFT, slice(22, 27))):
        mine = roots[brows.region == region]
        assert len(mine) > 150
        lo, hi = lm[ids].min(0), lm[ids].max(0)
        assert lo[0] - 6 < np.median(mine[:, 0]) < hi[0] + 6
        assert lo[1] - 14 < np.median(mine[:, 1]) < hi[1] + 2


def test_strands_follow_the_expression(ict_pack, grown) -> None:
    """Raised brows carry the brow strands with them; the scalp barely moves."""
    g, _ = grown
    spec = _spec(g, expression=(("browInnerUp", 1.0), ("browOuterUp_L", 1.0), ("browOuterUp_R", 1.0)))
    rest = posed_groom(_spec(g), ict_pack, rest_vertices(spec, ict_pack))
    v = ict_pack.deform(np.asarray(spec.subject.identity), spec.expression_weights())
    moved = posed_groom(spec, ict_pack, v)
    lift = (moved.strand_set("eyebrows").points - rest.strand_set("eyebrows").points)[..., 1].mean()
    assert lift > 2.0, f"brows rose {lift:.2f} mm"
    brows = moved.strand_set("eyebrows")
    root = np.einsum("nk,nkc->nc", brows.root_weights, v[brows.root_vertices])
    np.testing.assert_allclose(brows.points[:, 0], root, atol=1e-6)


# -- labels ---------------------------------------------------------------------------------------

def test_mask_has_groom_classes_and_face_depth_is_the_bare_head(ict_pack) -> None:
    g = _groom(beard_style="full", glasses_shape="round", glasses_sun=False)
    labels, _ = _labels(ict_pack, _spec(g))
    bare, _ = _labels(ict_pack, _spec(None))
    assert np.array_equal(labels.depth_face, bare.depth) and bare.depth_face is None
    counts = np.bincount(labels.mask.ravel(), minlength=R.MAX_REGION_ID + 1)
    for region in (R.HAIR, R.BROW_LEFT, R.BROW_RIGHT, R.BEARD, R.GLASSES):
        assert counts[region] > 10, R.region(region).name
    # image left is the subject's right at yaw 0
    _ys, xs = np.nonzero(labels.mask == R.BROW_RIGHT)
    _yl, xl = np.nonzero(labels.mask == R.BROW_LEFT)
    assert xs.mean() < labels.mask.shape[1] / 2 < xl.mean()
    # the groom only adds surfaces in front: depth never exceeds the bare head's where both exist
    both = (labels.depth > 0) & (bare.depth > 0)
    assert np.all(labels.depth[both] <= bare.depth[both] + 1e-3)
    groomed = np.isin(labels.mask, [R.HAIR, R.BEARD, R.GLASSES])
    assert np.all((labels.depth[groomed] < bare.depth[groomed]) | (bare.depth[groomed] == 0))
    assert set(labels.groom_parts) == {"hair", "eyebrows", "beard", "glasses_frame"}


def test_sunglasses_hide_the_eye_landmarks_clear_lenses_do_not(ict_pack) -> None:
    eyes = slice(36, 48)
    clear, _ = _labels(ict_pack, _spec(_groom(hair_style="short", glasses_shape="round", glasses_sun=False)))
    sun, _ = _labels(ict_pack, _spec(_groom(hair_style="short", glasses_shape="round", glasses_sun=True)))
    assert clear.landmarks.visible[eyes].all()
    assert not sun.landmarks.visible[eyes].any()
    assert (sun.mask == R.GLASSES).sum() > 3 * (clear.mask == R.GLASSES).sum(), "dark lenses are labelled"


def test_long_hair_hides_the_far_jaw_at_yaw(ict_pack) -> None:
    g = _groom(hair_style="long", hair_density=1.0)
    hair, _ = _labels(ict_pack, _spec(g, yaw=40.0))
    bare, _ = _labels(ict_pack, _spec(_groom(hair_style="bald"), yaw=40.0))
    assert hair.landmarks.visible.sum() < bare.landmarks.visible.sum()
    hidden = np.flatnonzero(bare.landmarks.visible & ~hair.landmarks.visible)
    uv = np.round(hair.landmarks.uv[hidden]).astype(int)
    # every landmark that hair hides lies under a groom pixel or right beside one
    near = [np.isin(hair.mask[max(y - 1, 0):y + 2, max(x - 1, 0):x + 2], [R.HAIR, R.BROW_LEFT, R.BROW_RIGHT]).any()
            for x, y in uv]
    assert all(near)


def test_groom_geometry_is_in_the_head_region_of_the_shell(ict_pack, grown) -> None:
    """Scalp roots lie above the hairline: none on the face below the brows."""
    _, groom = grown
    lm = ict_pack.neutral_mm[ict_pack.landmarks_68]
    roots = groom.strand_set("hair").points[:, 0]
    centre = np.array([0.0, lm[36:48, 1].mean() + 20.0, 0.0])
    _el, az, _ = directions(roots, centre)
    front = np.abs(az) < np.radians(30)
    assert front.any() and roots[front, 1].min() > lm[19, 1] + 30


def test_culling_hidden_ribbons_changes_no_label(ict_pack) -> None:
    """The label pass skips ribbons the head hides; rasterising head and groom together in one
    pass gives the very same depth, winning triangles and mask."""
    from facesynth.geometry.groom_labels import groom_triangles
    from facesynth.geometry.labels import hidden_behind, solid_triangles
    from facesynth.geometry.raster import rasterize, screen_vertices

    spec = _spec(_groom(hair_style="long", beard_style="short", glasses_shape="round", glasses_sun=True), yaw=35.0)
    labels, posed = _labels(ict_pack, spec)
    gt = groom_triangles(posed_groom(spec, ict_pack, rest_vertices(spec, ict_pack)), posed)
    head_tris = np.asarray(ict_pack.triangles)[solid_triangles(ict_pack)]
    verts = np.vstack([labels.vertices_cam, gt.vertices])
    ref = rasterize(verts, np.vstack([head_tris, gt.triangles + len(labels.vertices_cam)]), posed.camera)
    assert np.array_equal(ref.depth, labels.depth)
    assert np.array_equal(ref.tri_id, labels.raster.tri_id)
    xy, z, tris, _ = screen_vertices(gt.vertices, gt.triangles, posed.camera)
    culled = hidden_behind(labels.depth_face, xy, z, tris)
    assert culled.mean() > 0.2, "the back of the hair is culled"


def test_braids_hang_as_two_plaits_below_the_ears(ict_pack) -> None:
    """Every strand starts at its root and ends in one of two narrow plaits, one per side, hanging
    from behind the ears to below the jaw."""
    v = ict_pack.neutral_mm
    g = _groom(hair_style="braids", hair_density=0.3, eyelashes=False)
    hair = grow_groom(g, ict_pack, v).strand_set("hair")
    root = np.einsum("nk,nkc->nc", hair.root_weights, v[hair.root_vertices])
    np.testing.assert_allclose(hair.points[:, 0], root, atol=1e-6)
    lm = v[ict_pack.landmarks_68]
    centre_x = float(lm[27, 0])
    for side in (1, -1):
        ends = hair.points[(hair.points[:, 0, 0] - centre_x) * side > 0][:, -6]  # just above the tuft
        assert len(ends) > 500
        assert side * (np.median(ends[:, 0]) - centre_x) > 40, "each plait hangs on its own side"
        assert np.median(ends[:, 1]) < lm[8, 1] + 20, "the plaits reach below the jaw line"
        spread = np.percentile(np.linalg.norm(ends - np.median(ends, axis=0), axis=1), 90)
        assert spread < 25, f"a plait is narrow (90 % of strands within {spread:.0f} mm of its middle)"
    # the three bundles cross: along the plait, a strand moves from one side of it to the other
    left = hair.points[hair.points[:, 0, 0] > centre_x][:, 12:-4]
    lateral = left[..., 2] - np.median(left[..., 2], axis=0)
    assert np.mean(np.ptp(lateral, axis=1) > 8) > 0.5


@pytest.mark.parametrize("shape", ["round", "rectangle", "aviator", "cat_eye"])
def test_eyeglasses_have_real_frame_proportions(ict_pack, shape) -> None:
    """A real frame: bridge 14-22 mm between the lenses, front 120-150 mm across, lenses centred a
    few mm outside the pupils and the rim's top under the brows (frames were 10 mm / 111-121 mm)."""
    from facesynth.geometry.accessories import eyeglasses

    v = ict_pack.neutral_mm
    lm = v[ict_pack.landmarks_68]
    frame, lenses = eyeglasses(v, head_triangles(ict_pack), lm, shape, sun=False)
    rims = frame.points[:2]  # the two closed rims come first, then the bridge and the temples
    mid = lm[27:31, 0].mean()
    right, left = rims[0], rims[1]
    bridge = left[:, 0].min() - right[:, 0].max()
    front = left[:, 0].max() - right[:, 0].min() + 2 * frame.radius.max()
    assert 14.0 <= bridge <= 22.0 and 120.0 <= front <= 150.0, (bridge, front)
    for rim, eye in ((right, lm[36:42]), (left, lm[42:48])):
        centre_x = (rim[:, 0].min() + rim[:, 0].max()) / 2
        assert 0.0 < abs(centre_x - mid) - abs(eye[:, 0].mean() - mid) < 8.0
    assert rims[:, :, 1].max() < lm[17:27, 1].mean(), "the rims' top stays under the brows"
    assert lenses.vertices[:, 2].min() > lm[36:48, 2].max(), "lenses in front of the eyes"

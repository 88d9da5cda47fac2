"""FacePack, its file format, the region table and the OBJ reader, on small hand-made meshes."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np
import pytest

from facesynth.assets import regions
from facesynth.assets.obj import parse_obj, parse_obj_vertices
from facesynth.assets.pack import FacePack, read_pack_file
from facesynth.assets.registry import load_pack
from facesynth.errors import UserError

V = 9
# A quad, a triangle and a planar pentagon (all in the z = 0 plane for the area check).
PLANAR = np.array(
    [[0, 0, 0], [2, 0, 0], [2, 1, 0], [0, 1, 0], [3, 0, 0], [4, 0, 0], [3, 1, 0], [5, 0, 0], [6, 1, 0]],
    dtype=float,
)
POLYGONS = [[0, 1, 2, 3], [4, 5, 6], [5, 7, 8, 6, 4]]
EXPRESSIONS = ["mouthSmile_L", "mouthSmile_R", "jawLeft", "eyeBlinkLeft"]


def make_pack(**overrides) -> FacePack:
    rng = np.random.default_rng(7)
    n_corners = sum(len(p) for p in POLYGONS)
    args = dict(
        name="tiny",
        neutral_mm=PLANAR * 10.0,
        polygons=POLYGONS,
        poly_uv=rng.random((n_corners, 2)),
        poly_region=[regions.SKIN, regions.TEETH, regions.EYELASHES],
        landmarks_68=np.arange(68) % V,
        pivot_mm=[1.0, 2.0, -3.0],
        identity_basis=rng.normal(size=(3, V, 3)) * 5,
        expression_names=EXPRESSIONS,
        expression_basis=rng.normal(size=(len(EXPRESSIONS), V, 3)) * 2,
        provenance={"source": "test"},
    )
    args.update(overrides)
    return FacePack.from_arrays(**args)


def polygon_area(points: np.ndarray) -> float:
    x, y = points[:, 0], points[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def test_triangulation_covers_each_polygon_and_carries_its_uvs():
    pack = make_pack()
    assert pack.triangles.shape == (2 + 1 + 3, 3)
    assert pack.tri_polygon.tolist() == [0, 0, 1, 2, 2, 2]
    tri_pts = pack.neutral_mm[pack.triangles]
    for f, poly in enumerate(POLYGONS):
        tris = tri_pts[pack.tri_polygon == f]
        assert sum(polygon_area(t) for t in tris) == pytest.approx(polygon_area(pack.neutral_mm[poly]))
    # Each triangle corner has the UV of the polygon corner with the same vertex.
    for t, f in enumerate(pack.tri_polygon):
        start = pack.poly_offsets[f]
        corner_uv = dict(zip(pack.poly_vertices[start : pack.poly_offsets[f + 1]], pack.poly_uv[start:], strict=False))
        for k in range(3):
            np.testing.assert_array_equal(pack.tri_uv[t, k], corner_uv[pack.triangles[t, k]])
    assert pack.face_area.tolist() == [True, False, False]  # default: the skin polygons


def test_landmarks_may_be_absent_and_survive_a_round_trip(tmp_path: Path):
    pack = make_pack(landmarks_68=np.zeros(0, np.int32), identity_basis=None)
    assert not pack.has_landmarks and make_pack().has_landmarks and pack.n_identity == 0
    loaded = read_pack_file(pack.save(tmp_path / "no-landmarks.npz"))
    assert loaded.landmarks_68.shape == (0,) and loaded.n_identity == 0
    np.testing.assert_allclose(loaded.deform([3.0], {"jawLeft": 1.0}), pack.deform([], {"jawLeft": 1.0}), atol=1e-3)


def test_pack_is_frozen_and_arrays_read_only():
    pack = make_pack()
    with pytest.raises(dataclasses.FrozenInstanceError):
        pack.name = "other"  # type: ignore[misc]
    for field in ("neutral_mm", "identity_basis", "expression_basis", "triangles", "poly_region"):
        with pytest.raises(ValueError):
            getattr(pack, field)[0] = 0


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"neutral_mm": np.zeros((V, 2))}, "neutral_mm"),
        ({"poly_uv": np.zeros((5, 2))}, "poly_uv"),
        ({"poly_region": [1, 1]}, "poly_region"),
        ({"poly_region": [1, 1, 200]}, "poly_region"),
        ({"landmarks_68": np.arange(67)}, "landmarks_68"),
        ({"landmarks_68": np.full(68, V)}, "landmarks_68"),
        ({"polygons": [[0, 1]]}, "polygon 0"),
        ({"polygons": [[0, 1, 99]]}, "poly_vertices"),
        ({"expression_names": ["a", "b"]}, "expression_basis"),
        ({"identity_basis": np.zeros((2, V + 1, 3))}, "identity_basis"),
        ({"pivot_mm": [0, 0]}, "pivot_mm"),
        ({"expression_names": ["a", "A", "b", "c"]}, "expression_names"),
        ({"neutral_mm": np.full((V, 3), np.nan)}, "neutral_mm"),
    ],
)
def test_bad_arrays_name_the_field(override, field):
    with pytest.raises(UserError, match=field) as info:
        make_pack(**override)
    assert "tiny" in str(info.value) and "\n" not in str(info.value)


def test_expression_names_resolve_through_aliases():
    pack = make_pack()
    assert pack.resolve_expression("mouthSmileLeft") == "mouthSmile_L"
    assert pack.resolve_expression("MOUTHSMILE_r") == "mouthSmile_R"
    assert pack.resolve_expression("eyeBlink_L") == "eyeBlinkLeft"  # ARKit spelling in the pack
    assert pack.resolve_expression("jawLeft") == "jawLeft"  # a direction, not a side
    assert pack.resolve_expression("browDown_L") is None
    assert pack.expression_targets("mouthSmile") == ("mouthSmile_L", "mouthSmile_R")
    assert pack.missing_expressions(["browDown_L", "jawleft", "nope"]) == ("browDown_L", "nope")


def test_deform_is_neutral_plus_weighted_bases():
    pack = make_pack()
    ident = [0.5, -1.0, 2.0, 7.0]  # one more than the pack has: ignored
    weights = {"mouthSmileLeft": 0.25, "jawLeft": -0.5, "unknownShape": 3.0, "mouthSmile": 1.0}
    got = pack.deform(ident, weights)
    ib, eb = pack.identity_basis.astype(np.float64), pack.expression_basis.astype(np.float64)
    want = pack.neutral_mm + np.einsum("k,kvc->vc", ident[:3], ib)
    want += 1.25 * eb[0] + 1.0 * eb[1] - 0.5 * eb[2]
    assert got.dtype == np.float32 and got.shape == (V, 3)
    np.testing.assert_allclose(got, want, atol=1e-4)
    np.testing.assert_allclose(pack.deform([1.0]), pack.neutral_mm + ib[0], atol=1e-5)  # missing = 0
    np.testing.assert_array_equal(pack.deform(), pack.neutral_mm)
    # (name, weight) pairs, as SampleSpec stores them, give the same result as a mapping.
    pairs = (("jawLeft", -0.5), ("mouthSmileLeft", 0.25))
    np.testing.assert_array_equal(pack.deform(ident, pairs), pack.deform(ident, dict(pairs)))
    with pytest.raises(UserError, match="jawLeft"):
        pack.deform([], {"jawLeft": float("nan")})
    with pytest.raises(UserError, match="identity"):
        pack.deform([np.inf])


def test_save_load_round_trip_is_exact_enough_and_reproducible(tmp_path: Path):
    pack = make_pack()
    a = pack.save(tmp_path / "a.npz")
    b = make_pack().save(tmp_path / "b.npz")
    assert a.read_bytes() == b.read_bytes()  # same pack -> same bytes -> same sha256 anywhere
    loaded = read_pack_file(a)
    assert loaded.sha256 == hashlib.sha256(a.read_bytes()).hexdigest()
    step = np.abs(pack.identity_basis).max() / 32767
    assert np.abs(loaded.identity_basis - pack.identity_basis).max() <= step / 2 + 1e-6
    assert np.abs(loaded.expression_basis - pack.expression_basis).max() <= np.abs(pack.expression_basis).max() / 32767
    for field in ("neutral_mm", "poly_offsets", "poly_vertices", "poly_uv", "triangles", "tri_uv", "poly_region",
                  "face_area", "landmarks_68", "pivot_mm"):  # fmt: skip
        np.testing.assert_array_equal(getattr(loaded, field), getattr(pack, field), err_msg=field)
    assert loaded.expression_names == pack.expression_names
    assert loaded.provenance == {"source": "test"}
    assert loaded.unit_scale_mm == pack.unit_scale_mm and loaded.up_axis == "+Y" and loaded.forward_axis == "+Z"
    assert not list(tmp_path.glob(".tmp-*"))  # written atomically, no leftovers
    assert load_pack(a) is load_pack(str(a))  # one shared copy per unchanged file


def test_truncated_or_foreign_pack_file_is_a_user_error(tmp_path: Path):
    good = make_pack().save(tmp_path / "good.npz").read_bytes()
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good[: len(good) // 2])
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip at all")
    foreign = tmp_path / "foreign.npz"
    with open(foreign, "wb") as fh:
        np.savez(fh, x=np.zeros(3))
    for path in (truncated, garbage, foreign):
        with pytest.raises(UserError, match=path.name) as info:
            load_pack(path)
        assert "\n" not in str(info.value)


def test_named_packs_and_unknown_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FACESYNTH_HOME", str(tmp_path / "empty-home"))
    with pytest.raises(UserError, match="facesynth assets import ict-facekit --from"):
        load_pack("ict-facekit")
    with pytest.raises(UserError, match="unknown face pack 'flame2'"):
        load_pack("flame2")


def test_builtin_pack_is_built_once_and_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    pytest.importorskip("facesynth.assets.builtin_head", reason="the built-in head is written in parallel")
    monkeypatch.setenv("FACESYNTH_HOME", str(tmp_path))
    first = load_pack("builtin")
    cached = list((tmp_path / "packs").glob("builtin-*.npz"))
    assert len(cached) == 1 and first.sha256 == hashlib.sha256(cached[0].read_bytes()).hexdigest()
    mtime = cached[0].stat().st_mtime_ns
    assert load_pack("builtin").sha256 == first.sha256 and cached[0].stat().st_mtime_ns == mtime


def test_region_table():
    ids = [r.id for r in regions.REGIONS]
    assert ids == list(range(len(ids))) and regions.names()[0] == "background"
    assert len({r.name for r in regions.REGIONS}) == len(ids)
    assert len({r.color for r in regions.REGIONS}) == len(ids)  # masks stay readable
    see_through = {r.name for r in regions.REGIONS if not r.solid}
    assert see_through == {"background", "eyelashes", "eye_occlusion"}
    assert regions.solid_lookup()[[regions.SKIN, regions.TEETH, regions.EYELASHES]].tolist() == [True, True, False]
    assert len(regions.pil_palette()) == 768 and regions.palette()[regions.IRIS].tolist() == list(
        regions.region("iris").color
    )
    assert regions.region("hair").id == regions.HAIR  # the groom's regions are in the one table
    with pytest.raises(UserError, match="horns"):
        regions.region("horns")


OBJ_TEXT = b"""# a comment\r
mtllib x.mtl\r
v 0 0 0\r
v 1 0 0 0.5 0.5 0.5\r
v 1 1 0\r
v 0 1 0\r
vt 0 0\r
vt 1 0 0\r
vt 1 1\r
vt 0 1\r
vn 0 0 1\r
g part\r
usemtl M\r
f 1/1/1 2/2/1 3/3/1 4/4/1\r
v 2 0.5 0\r
vt 1 0.5\r
f -4/-4/1 -1/-1/1 -3/-3/1\r
"""


def test_obj_reader_against_the_format():
    mesh = parse_obj(OBJ_TEXT, "tiny.obj")
    np.testing.assert_array_equal(mesh.vertices, [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [2, 0.5, 0]])
    np.testing.assert_array_equal(mesh.uvs[-1], [1, 0.5])
    assert mesh.poly_offsets.tolist() == [0, 4, 7]
    assert mesh.poly_vertices.tolist() == [0, 1, 2, 3, 1, 4, 2]  # negative = from the end so far
    assert mesh.poly_uv_index is not None and mesh.poly_uv_index.tolist() == [0, 1, 2, 3, 1, 4, 2]
    np.testing.assert_array_equal(parse_obj_vertices(OBJ_TEXT, "tiny.obj"), mesh.vertices)
    no_uv = parse_obj(b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1//1 2//1 3//1\n", "n.obj")
    assert no_uv.poly_uv_index is None and no_uv.poly_vertices.tolist() == [0, 1, 2]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (b"f 1 2 3\n", "no vertices"),
        (b"v 0 0 0\nv 1 0 0\nv 0 1 0\n", "no faces"),
        (b"v 0 0\nv 1 0 0\n", "'v' records"),
        (b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 9\n", "vertex 9"),
        (b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2\n", "fewer than 3"),
        (b"v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nf 1/1 2/1 3\n", "mix corner formats"),
    ],
)
def test_malformed_obj_names_the_file(text: bytes, problem: str):
    with pytest.raises(UserError, match=problem) as info:
        parse_obj(text, "broken.obj")
    assert "broken.obj" in str(info.value)


def test_preview_draws_the_regions(tmp_path: Path):
    from PIL import Image

    from facesynth.assets.preview import write_preview

    out = write_preview(make_pack(), tmp_path / "tiny.png")
    rgb = np.asarray(Image.open(out).convert("RGB")).reshape(-1, 3)
    colours = {tuple(c) for c in np.unique(rgb, axis=0)}
    assert regions.region("skin").color in colours and regions.region("teeth").color in colours


def test_sided_preset_weights_drive_an_unsided_shape_at_half_weight() -> None:
    """Character rigs often have one `browInnerUp`; presets write browInnerUp_L and _R."""
    import numpy as np

    from facesynth.assets.pack import FacePack

    verts = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0]], dtype=np.float32)
    basis = np.zeros((1, 4, 3), dtype=np.float32)
    basis[0, 3, 2] = 2.0
    pack = FacePack.from_arrays(name="rig", neutral_mm=verts, polygons=[[0, 1, 3, 2]],
                                poly_uv=np.zeros((4, 2), np.float32), poly_region=np.array([1], np.uint8),
                                landmarks_68=np.zeros(0, np.int32), pivot_mm=(0, 0, 0),
                                expression_names=("browInnerUp",), expression_basis=basis)
    both = pack.deform((), {"browInnerUp_L": 1.0, "browInnerUp_R": 1.0})
    one = pack.deform((), {"browInnerUpLeft": 1.0})
    direct = pack.deform((), {"browInnerUp": 1.0})
    assert both[3, 2] == direct[3, 2] == 2.0
    assert one[3, 2] == 1.0
    assert pack.missing_expressions(["browInnerUp_L", "jawOpen"]) == ("jawOpen",)

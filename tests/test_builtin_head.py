"""The built-in procedural head: a closed, human-sized, parametric head with iBUG landmarks."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

import numpy as np
import pytest
import trimesh
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from facesynth.assets import regions as rg
from facesynth.assets.builtin_head import build_builtin_pack
from facesynth.assets.builtin_head.shape import EXPRESSION_NAMES
from facesynth.assets.pack import FacePack
from facesynth.assets.registry import load_pack

# iBUG 68 left/right mirror pairs (0-indexed); points on the midline pair with themselves.
MIRROR = {i: 16 - i for i in range(17)}
MIRROR |= {17 + i: 26 - i for i in range(10)}
MIRROR |= {27: 27, 28: 28, 29: 29, 30: 30, 31: 35, 32: 34, 33: 33, 34: 32, 35: 31}
MIRROR |= {36: 45, 37: 44, 38: 43, 39: 42, 40: 47, 41: 46}
MIRROR |= {v: k for k, v in list(MIRROR.items()) if 36 <= k <= 41}
MIRROR |= {48: 54, 49: 53, 50: 52, 51: 51, 55: 59, 56: 58, 57: 57, 60: 64, 61: 63, 62: 62, 65: 67, 66: 66}
MIRROR |= {v: k for k, v in list(MIRROR.items()) if k >= 48}

REQUIRED_EXPRESSIONS = (
    "jawOpen", "mouthSmile_L", "mouthSmile_R", "mouthFrown_L", "mouthFrown_R", "browInnerUp_L",
    "browInnerUp_R", "browDown_L", "browDown_R", "eyeBlink_L", "eyeBlink_R", "eyeWide_L", "eyeWide_R",
    "noseSneer_L", "noseSneer_R", "mouthPucker", "cheekPuff_L", "cheekPuff_R",
)  # fmt: skip


@pytest.fixture(scope="module")
def pack() -> FacePack:
    return build_builtin_pack()


def skin_and_eyes(pack: FacePack, vertices: np.ndarray | None = None) -> list[trimesh.Trimesh]:
    """The pack's connected bodies, largest first (the skin shell, then the eyeballs)."""
    v = pack.neutral_mm if vertices is None else vertices
    mesh = trimesh.Trimesh(v, pack.triangles, process=True)
    return sorted(mesh.split(only_watertight=False), key=lambda m: -len(m.vertices))


def lm(pack: FacePack, vertices: np.ndarray) -> np.ndarray:
    return vertices[pack.landmarks_68].astype(np.float64)


def pose(pack: FacePack, name: str, weight: float = 1.0) -> np.ndarray:
    return pack.deform((), {name: weight})


# --- mesh -------------------------------------------------------------------------------------


def test_pack_is_a_large_closed_head_with_two_eyeballs(pack: FacePack) -> None:
    assert pack.name == "builtin"
    assert pack.n_vertices >= 5000
    bodies = skin_and_eyes(pack)
    assert len(bodies) == 3, "skin shell + two separate eyeballs"
    skin, eye_a, eye_b = bodies
    assert skin.is_watertight and skin.is_winding_consistent and skin.volume > 0
    for eye in (eye_a, eye_b):
        assert eye.is_watertight and eye.volume > 0
        assert eye.bounding_box.extents == pytest.approx([24.0, 24.0, 24.0], abs=0.5)
    # Even with the mouth wide open the skin stays closed and keeps every triangle non-degenerate.
    open_skin = skin_and_eyes(pack, pose(pack, "jawOpen"))[0]
    assert open_skin.is_watertight and open_skin.volume > 0
    assert skin.area_faces.min() > 1e-4


def test_adult_size_and_model_frame(pack: FacePack) -> None:
    skin = skin_and_eyes(pack)[0]
    v = skin.vertices
    chin, nose_tip = lm(pack, pack.neutral_mm)[8], lm(pack, pack.neutral_mm)[30]
    head = v[v[:, 1] > -20.0]  # above the neck and ears' lower end
    assert 140.0 <= np.ptp(head[:, 0]) <= 175.0  # width incl. ears
    assert 215.0 <= v[:, 1].max() - chin[1] <= 245.0  # chin to crown
    assert nose_tip[2] == pytest.approx(v[:, 2].max(), abs=0.5)  # +Z is out of the face
    assert v[:, 1].max() > nose_tip[1] > chin[1]  # +Y is up
    assert skin.contains([pack.pivot_mm])[0]
    eye_z = pack.neutral_mm[pack.landmarks_68[36:48], 2].mean()
    assert pack.pivot_mm[2] < eye_z - 30.0  # behind the eyes


def test_eyeballs_show_through_the_lids_and_blink_covers_them(pack: FacePack) -> None:
    iris = np.unique(pack.triangles[pack.poly_region[pack.tri_polygon] == rg.IRIS])
    sclera = np.unique(pack.triangles[pack.poly_region[pack.tri_polygon] == rg.SCLERA])
    assert len(iris) and len(sclera)
    v = pack.neutral_mm
    fronts = np.array([iris[np.argmax(v[iris, 2] * (np.sign(v[iris, 0]) == s))] for s in (-1, 1)])
    skin = skin_and_eyes(pack)[0]
    assert not skin.contains(v[fronts]).any(), "the irises are visible through the eye slits"
    closed = pose(pack, "eyeBlink_L")
    closed_skin = skin_and_eyes(pack, closed)[0]
    right_front, left_front = closed[fronts]
    assert closed_skin.contains([left_front])[0], "the left lid covers the left iris"
    assert not closed_skin.contains([right_front])[0], "the right eye stays open"


def test_regions_and_uv_layout(pack: FacePack) -> None:
    present = set(np.unique(pack.poly_region).tolist())
    for region in (rg.SKIN, rg.HEAD_NECK, rg.SCLERA, rg.IRIS, rg.TEETH, rg.MOUTH_SOCKET, rg.EYE_SOCKET):
        assert region in present, rg.region(region).name
    assert present <= set(rg.REGION_BY_ID)
    assert np.all((pack.poly_uv >= 0) & (pack.poly_uv <= 1))
    assert np.array_equal(pack.face_area, pack.poly_region == rg.SKIN)
    corner_face = np.repeat(pack.face_area, np.diff(pack.poly_offsets))
    face_uv = pack.poly_uv[corner_face]
    assert face_uv.min(axis=0) == pytest.approx([0.2, 0.4], abs=0.06)
    assert face_uv.max(axis=0) == pytest.approx([0.8, 0.8], abs=0.06)
    # Every landmark's polygons sit inside the face's UV box (position maps can hold them).
    tri_uv = pack.tri_uv.reshape(-1, 2)[np.isin(pack.triangles.reshape(-1), pack.landmarks_68)]
    assert np.all((tri_uv > 0.15) & (tri_uv < 0.85))
    # The face's UV triangles do not fold over (consistent orientation = a proper unwrap).
    tri_face = pack.face_area[pack.tri_polygon]
    a, b, c = (pack.tri_uv[tri_face][:, k] for k in range(3))
    signed = (b - a)[:, 0] * (c - a)[:, 1] - (b - a)[:, 1] * (c - a)[:, 0]
    assert np.mean(signed > 0) > 0.999


# --- landmarks --------------------------------------------------------------------------------


def test_landmarks_sit_on_the_right_features(pack: FacePack) -> None:
    p = lm(pack, pack.neutral_mm)
    assert int(np.argmax(p[:, 2])) == 30, "the nose tip is the most forward landmark"
    for k, m in MIRROR.items():
        assert np.allclose(p[k], p[m] * [-1, 1, 1], atol=1.0), (k, m)
    assert np.all(np.diff(p[0:17, 0]) > 0), "jaw runs from the subject's right (-X) to left"
    assert int(np.argmin(p[0:17, 1])) == 8, "point 8 is the chin"
    assert np.all(np.diff(p[17:22, 0]) > 0) and np.all(np.diff(p[22:27, 0]) > 0)
    assert np.all(np.diff(p[27:31, 1]) < 0), "nose bridge runs down to the tip"
    eyes_y, nose_y, mouth_y = p[36:48, 1].mean(), p[31:36, 1].mean(), p[48:68, 1].mean()
    assert p[17:27, 1].min() > eyes_y > nose_y > mouth_y > p[8, 1]
    assert p[36, 0] < p[39, 0] < 0 < p[42, 0] < p[45, 0]
    assert p[37, 1] > p[41, 1] and p[44, 1] > p[46, 1], "upper lids above lower lids"
    assert p[48, 0] < p[51, 0] < p[54, 0] and p[51, 1] > p[62, 1] >= p[66, 1] > p[57, 1]


# --- expressions ------------------------------------------------------------------------------


def test_required_arkit_expressions_exist(pack: FacePack) -> None:
    assert set(REQUIRED_EXPRESSIONS) <= set(pack.expression_names)
    assert pack.missing_expressions(["cheekPuff", "browInnerUp", "eyeBlinkLeft"]) == ()


def test_jaw_open_drops_the_chin_and_opens_the_mouth(pack: FacePack) -> None:
    rest, moved = lm(pack, pack.neutral_mm), lm(pack, pose(pack, "jawOpen"))
    assert rest[8, 1] - moved[8, 1] > 15.0
    assert (moved[62, 1] - moved[66, 1]) - (rest[62, 1] - rest[66, 1]) > 12.0
    assert np.abs(moved[17:48] - rest[17:48]).max() < 0.05, "brows, nose and eyes stay"


def test_blink_closes_only_its_own_eye(pack: FacePack) -> None:
    def gaps(p: np.ndarray) -> np.ndarray:  # right eye 37-41, 38-40; left eye 43-47, 44-46
        return p[[37, 38, 43, 44], 1] - p[[41, 40, 47, 46], 1]

    rest = gaps(lm(pack, pack.neutral_mm))
    blink_l, wide_l = gaps(lm(pack, pose(pack, "eyeBlink_L"))), gaps(lm(pack, pose(pack, "eyeWide_L")))
    assert np.all(rest > 5.0)
    assert np.all(blink_l[2:] < 1.5), "upper lid meets the lower lid"
    assert np.allclose(blink_l[:2], rest[:2], atol=0.01), "the right eye does not move"
    assert np.all(wide_l[2:] > rest[2:] + 1.5)
    right = gaps(lm(pack, pose(pack, "eyeBlink_R")))
    assert np.all(right[:2] < 1.5) and np.allclose(right[2:], rest[2:], atol=0.01)


# (expression, landmark, axis, minimum signed motion in mm at weight 1)
MOTIONS = [
    ("mouthSmile_L", 54, 1, 4.0),
    ("mouthSmile_R", 48, 1, 4.0),
    ("mouthFrown_L", 54, 1, -3.0),
    ("mouthStretch_L", 54, 0, 3.0),
    ("mouthLowerDown_L", 56, 1, -2.0),
    ("browInnerUp_L", 22, 1, 3.5),
    ("browInnerUp_R", 21, 1, 3.5),
    ("browOuterUp_L", 26, 1, 3.0),
    ("browDown_L", 23, 1, -3.0),
    ("noseSneer_L", 35, 1, 2.0),
    ("mouthPucker", 51, 2, 3.0),
    ("jawForward", 8, 2, 3.0),
    ("mouthShrugLower", 57, 1, 2.0),
    ("mouthRollLower", 57, 2, -2.0),
    ("mouthRollUpper", 51, 2, -2.0),
    ("mouthFunnel", 51, 2, 3.0),
    ("mouthClose", 66, 1, 2.0),
    ("mouthPress_L", 65, 2, -1.0),
    ("mouthDimple_L", 54, 2, -2.0),
]


@pytest.mark.parametrize(("name", "landmark", "axis", "amount"), MOTIONS)
def test_expression_moves_its_feature(pack: FacePack, name: str, landmark: int, axis: int, amount: float) -> None:
    delta = lm(pack, pose(pack, name))[landmark, axis] - lm(pack, pack.neutral_mm)[landmark, axis]
    assert delta * np.sign(amount) >= abs(amount), f"{name} moved landmark {landmark} by {delta:.2f} mm"


@pytest.mark.parametrize(
    ("name", "side", "axis", "sign"),
    [("eyeLookUp_L", 1, 1, 1), ("eyeLookDown_R", -1, 1, -1), ("eyeLookIn_L", 1, 0, -1), ("eyeLookOut_L", 1, 0, 1),
     ("eyeLookIn_R", -1, 0, 1), ("eyeLookOut_R", -1, 0, -1)],
)  # fmt: skip
def test_gaze_turns_one_eyeball_about_its_centre(pack: FacePack, name: str, side: int, axis: int, sign: int) -> None:
    v0, v1 = pack.neutral_mm.astype(np.float64), pose(pack, name).astype(np.float64)
    iris = np.unique(pack.triangles[pack.poly_region[pack.tri_polygon] == rg.IRIS])
    pole = iris[np.argmax(v0[iris, 2] * (np.sign(v0[iris, 0]) == side))]
    assert sign * (v1[pole, axis] - v0[pole, axis]) > 4.0, "the pupil turns the right way"
    moved = np.flatnonzero(np.linalg.norm(v1 - v0, axis=1) > 1e-4)
    eyeball = np.unique(
        pack.triangles[np.isin(pack.tri_polygon, np.flatnonzero(np.isin(pack.poly_region, (rg.IRIS, rg.SCLERA))))]
    )
    assert set(moved) <= set(eyeball), "only the eyeball moves"
    ball = eyeball[np.sign(v0[eyeball, 0]) == side]
    assert np.allclose(v1[ball].mean(axis=0), v0[ball].mean(axis=0), atol=1e-3), "it turns about its centre"


def test_pucker_narrows_the_mouth_and_puff_inflates_the_cheek(pack: FacePack) -> None:
    rest, pucker = lm(pack, pack.neutral_mm), lm(pack, pose(pack, "mouthPucker"))
    assert (pucker[54, 0] - pucker[48, 0]) < (rest[54, 0] - rest[48, 0]) - 5.0
    v0, v1 = pack.neutral_mm, pose(pack, "cheekPuff_L")
    cheek = np.argmin(np.linalg.norm(v0 - [42.0, -62.0, 70.0], axis=1) + 1e3 * (v0[:, 2] < 0))
    assert np.linalg.norm(v1[cheek] - v0[cheek]) > 5.0 and v1[cheek, 0] > v0[cheek, 0]


@pytest.mark.parametrize("name", EXPRESSION_NAMES)
def test_every_expression_moves_only_the_face(pack: FacePack, name: str) -> None:
    index = pack.expression_names.index(name)
    d = np.linalg.norm(pack.expression_basis[index], axis=1)
    v = pack.neutral_mm
    assert d.max() > 2.0, f"{name} barely moves"
    moving = d > 0.25
    assert np.all(v[moving, 2] > -25.0), f"{name} moves the back of the head"
    assert np.all((v[moving, 1] > -190.0) & (v[moving, 1] < 60.0)), f"{name} moves the scalp or neck base"
    if name.endswith(("_L", "_R")):
        own = 1.0 if name.endswith("_L") else -1.0
        on_side = np.sum(d * (own * v[:, 0] > 5.0))
        other = np.sum(d * (own * v[:, 0] < -5.0))
        assert other < 0.15 * on_side, f"{name} moves the wrong side"


# --- identity ---------------------------------------------------------------------------------


def _dist(a: int, b: int, axis: int | None = None) -> Callable[[np.ndarray, np.ndarray], float]:
    def measure(p: np.ndarray, v: np.ndarray) -> float:
        return float(abs(p[a, axis] - p[b, axis]) if axis is not None else np.linalg.norm(p[a] - p[b]))

    return measure


def _eye_gap(p: np.ndarray, v: np.ndarray) -> float:
    return float(np.mean(p[[43, 44], 1] - p[[47, 46], 1]))


def _eye_distance(p: np.ndarray, v: np.ndarray) -> float:
    return float(p[42:48, 0].mean() - p[36:42, 0].mean())


def _near(point: tuple[float, float, float], axis: int) -> Callable[[np.ndarray, np.ndarray], float]:
    def measure(p: np.ndarray, v: np.ndarray) -> float:
        return float(v[_REST_INDEX[point], axis])

    return measure


_REST_INDEX: dict[tuple[float, float, float], int] = {}

# identity mode -> (measurement, expected sign of its change at coefficient +1)
IDENTITY_MEASURES = {
    "face_width": (_dist(0, 16, 0), 1),
    "face_length": (_dist(27, 8, 1), 1),
    "jaw_width": (_dist(4, 12, 0), 1),
    "chin": (lambda p, v: float(p[8, 2]), 1),
    "nose_length": (_dist(27, 30, 1), 1),
    "nose_width": (_dist(31, 35, 0), 1),
    "nose_projection": (lambda p, v: float(p[30, 2]), 1),
    "eye_spacing": (_eye_distance, 1),
    "brow_height": (lambda p, v: float(p[17:27, 1].mean() - p[36:48, 1].mean()), 1),
    "lip_thickness": (lambda p, v: float(p[[51, 57], 2].mean()), 1),
    "cheekbones": (_near((47.0, -27.0, 80.0), 2), 1),
    "mouth_width": (_dist(48, 54, 0), 1),
    "head_length": (lambda p, v: float(-v[:, 2].min()), 1),
    "forehead_slope": (_near((0.0, 60.0, 90.0), 2), -1),
    "eye_size": (_eye_gap, 1),
    "nose_bridge": (lambda p, v: float(p[27, 2]), 1),
}


def test_identity_modes_change_their_measurement(pack: FacePack) -> None:
    names = pack.provenance["identity_names"]
    assert len(names) == pack.n_identity >= 10
    assert set(IDENTITY_MEASURES) == set(names)
    v0 = pack.neutral_mm.astype(np.float64)
    skin = np.flatnonzero(v0[:, 2] > 0)
    for point in ((47.0, -27.0, 80.0), (0.0, 60.0, 90.0)):
        _REST_INDEX[point] = int(skin[np.argmin(np.linalg.norm(v0[skin] - point, axis=1))])
    for k, name in enumerate(names):
        measure, sign = IDENTITY_MEASURES[name]
        coeffs = np.zeros(pack.n_identity)
        changes = []
        for c in (1.0, -1.0):
            coeffs[k] = c
            v = pack.deform(coeffs).astype(np.float64)
            changes.append(measure(lm(pack, v), v) - measure(lm(pack, v0), v0))
        assert 1.0 <= sign * changes[0] <= 15.0, f"{name}: +1 SD changed its measure by {changes[0]:.2f} mm"
        assert sign * changes[1] <= -1.0, f"{name}: -1 SD changed its measure by {changes[1]:.2f} mm"
        # one plausible standard deviation: nothing moves by more than a centimetre and a half
        assert np.linalg.norm(pack.identity_basis[k], axis=1).max() < 15.0, name


# --- determinism and caching ---------------------------------------------------------------------


def test_building_twice_gives_byte_identical_arrays(pack: FacePack) -> None:
    again = build_builtin_pack()
    for field in ("neutral_mm", "poly_offsets", "poly_vertices", "poly_uv", "poly_region", "face_area",
                  "landmarks_68", "identity_basis", "expression_basis", "pivot_mm"):  # fmt: skip
        a, b = getattr(pack, field), getattr(again, field)
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), field
    assert pack.expression_names == again.expression_names


def test_load_pack_builtin_round_trips_through_the_cache(pack: FacePack) -> None:
    loaded = load_pack("builtin")
    assert loaded.name == "builtin" and loaded.sha256
    assert np.array_equal(loaded.landmarks_68, pack.landmarks_68)
    assert np.array_equal(loaded.poly_vertices, pack.poly_vertices)
    weights = {"jawOpen": 0.7, "mouthSmile_L": 0.5, "eyeBlink_R": 1.0}
    ident = np.linspace(-1.0, 1.0, pack.n_identity)
    assert np.abs(loaded.deform(ident, weights) - pack.deform(ident, weights)).max() < 0.01


# --- a real render ------------------------------------------------------------------------------


@pytest.mark.render
def test_contact_sheet_tool_renders_a_head_with_an_opening_mouth(pack: FacePack, repo_root, tmp_path) -> None:
    pytest.importorskip("bpy")
    spec = importlib.util.spec_from_file_location("builtin_head_sheet", repo_root / "tools/builtin_head_sheet.py")
    assert spec and spec.loader
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    from PIL import Image

    obj = tool.build_scene(pack, 96, 128, 4)
    images = {}
    for name, weights in (("rest", {}), ("open", {"jawOpen": 1.0})):
        tool.render(obj, pack.deform((), weights), 0.0, tmp_path / f"{name}.png")
        images[name] = np.asarray(Image.open(tmp_path / f"{name}.png").convert("L"), dtype=np.float64)
    rest, opened = images["rest"], images["open"]
    background = rest[:8, :8].mean()
    assert abs(rest[40:60, 38:58].mean() - background) > 20, "a face fills the middle of the frame"
    # the open mouth is a dark hole below the nose
    assert opened[70:95, 36:60].min() < rest[70:95, 36:60].min() - 40


# --- any plausible face stays a face ------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    identity=st.lists(st.floats(-2.5, 2.5), min_size=16, max_size=16),
    weights=st.dictionaries(st.sampled_from(REQUIRED_EXPRESSIONS), st.floats(0.0, 1.0), max_size=6),
)
@example(identity=[0.0, 2.0] + [0.0] * 14, weights={"jawOpen": 1.0})  # once found at 260.8 mm
@example(identity=[2.5] * 16, weights={"jawOpen": 1.0})
def test_random_identities_and_expressions_keep_the_face_in_order(
    pack: FacePack, identity: list[float], weights: dict[str, float]
) -> None:
    v = pack.deform(identity, weights).astype(np.float64)
    assert np.all(np.isfinite(v))
    p = lm(pack, v)
    brows, eyes, nose, mouth = p[17:27, 1].mean(), p[36:48, 1].mean(), p[31:36, 1].mean(), p[48:68, 1].mean()
    assert brows > eyes > nose > mouth > p[8, 1]
    assert p[51, 1] > p[57, 1] and p[62, 1] > p[66, 1] - 0.5, "upper lip stays above the lower lip"
    assert p[30, 2] > p[27, 2] and p[30, 2] > p[33, 2], "the nose keeps its tip"
    # crown to chin: a tall identity (+2.5 sd) with the jaw fully open measures ~261 mm, so the bound
    # leaves room for that and still catches a face that falls apart
    assert 200.0 < v[:, 1].max() - p[8, 1] < 275.0
    assert 125.0 < np.ptp(v[v[:, 1] > -20.0, 0]) < 190.0


def _identity_cases() -> list[np.ndarray]:
    cases = [1.5 * np.random.default_rng(7).standard_normal((8, 16))[1]]  # the sheet's 2nd head
    for k, c in ((0, -2.5), (7, 2.5)):  # a narrow face, wide-set eyes
        e = np.zeros(16)
        e[k] = c
        cases.append(e)
    return cases


@pytest.mark.parametrize("identity", _identity_cases(), ids=lambda c: ",".join(f"{x:.1f}" for x in c[:16:3]))
def test_eyeballs_show_only_through_the_slits(pack: FacePack, identity: np.ndarray) -> None:
    v = pack.deform(identity).astype(np.float64)
    skin, *_ = skin_and_eyes(pack, v)
    ball_poly = np.flatnonzero(np.isin(pack.poly_region, (rg.IRIS, rg.SCLERA)))
    ball = np.unique(pack.triangles[np.isin(pack.tri_polygon, ball_poly)])
    ball = ball[v[ball, 2] > v[ball, 2].mean() - 3.0]  # the front of the eyeballs (the back is deep inside)
    out = ball[~skin.contains(v[ball])]
    assert len(out) > 20, "both eyes are open"
    p = lm(pack, v)
    for side, eye in ((-1.0, p[36:42]), (1.0, p[42:48])):
        bare = v[out[np.sign(v[out, 0]) == side]]
        lo, hi = eye.min(axis=0) - 1.5, eye.max(axis=0) + 1.5
        inside = np.all((bare[:, :2] >= lo[:2]) & (bare[:, :2] <= hi[:2]), axis=1)
        assert inside.all(), f"eyeball bare outside the slit at {bare[~inside][:3].round(1).tolist()}"

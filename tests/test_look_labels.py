"""Face-parsing classes and the shirt on the real ICT head: exact labels from the numpy rasteriser."""

from __future__ import annotations

import numpy as np
import pytest
from test_geometry_support import camera_spec, load_ict_pack, sample_spec

from facesynth.appearance.clothing import STYLES, build_clothing
from facesynth.assets import parsing as P
from facesynth.assets import regions
from facesynth.geometry.labels import compute_labels
from facesynth.geometry.look_parts import look_parts
from facesynth.geometry.pose import pose_sample
from facesynth.sampling.spec_look import ClothingSpec, LookSpec

pytestmark = pytest.mark.ict
OPENING_MM = 15.0


@pytest.fixture(scope="module")
def pack(ict_archive):
    return load_ict_pack(str(ict_archive))


def _spec(yaw=0.0, style=None, weights=(), identity=(), width=240, height=320, distance=700.0):
    spec = sample_spec(yaw=yaw, weights=weights, identity=identity, outputs=("depth", "masks", "landmarks"),
                       camera=camera_spec(width=width, height=height, distance_mm=distance, focal_length_mm=60.0))
    if style:
        spec = spec.model_copy(update={"look": LookSpec(clothing=ClothingSpec(style=style, color=(0.2, 0.3, 0.4)))})
    return spec


def _labels(pack, spec):
    v = pack.deform(np.asarray(spec.subject.identity), spec.expression_weights())
    posed = pose_sample(spec, pack)
    return compute_labels(spec, pack, v, posed, parts=look_parts(spec, pack, v)), v, posed


def test_table_is_one_dense_list_with_ignore():
    ids = [c.id for c in P.CLASSES]
    assert ids == [*range(19), 255] and len({c.color for c in P.CLASSES}) == len(ids)
    assert P.CLASS_BY_NAME["clothing"].id == P.CLOTHING and P.palette()[P.LEFT_EYE].tolist() == [80, 200, 255]


def test_frontal_parsing_puts_each_class_where_the_landmarks_are(pack):
    lab, _, _ = _labels(pack, _spec())
    parsing, lm = lab.parsing, lab.landmarks.uv
    present = set(np.unique(parsing).tolist())
    assert {P.SKIN, P.NOSE, P.LEFT_EYE, P.RIGHT_EYE, P.LEFT_BROW, P.RIGHT_BROW, P.UPPER_LIP, P.LOWER_LIP,
            P.NECK, P.LEFT_EAR, P.RIGHT_EAR} <= present

    def cls_at(i):
        x, y = np.round(lm[i]).astype(int)
        return parsing[y, x]

    assert cls_at(29) == P.NOSE and cls_at(30) == P.NOSE  # bridge and tip of the nose
    assert cls_at(51) == P.UPPER_LIP and cls_at(57) == P.LOWER_LIP
    assert cls_at(19) == P.RIGHT_BROW and cls_at(24) == P.LEFT_BROW  # iBUG 17-21 = subject's right
    xs = {c: np.nonzero(parsing == c)[1].mean() for c in (P.LEFT_EYE, P.RIGHT_EYE)}
    assert xs[P.LEFT_EYE] > lm[30, 0] > xs[P.RIGHT_EYE]  # subject's left appears on the image right
    assert (lab.mask[parsing == P.LEFT_EYE] != regions.SKIN).all()  # eyes come from the eye regions


def test_open_mouth_shows_interior_between_the_lips(pack):
    closed = _labels(pack, _spec())[0].parsing
    opened, _, _ = _labels(pack, _spec(weights=(("jawOpen", 1.0),)))
    parsing = opened.parsing
    assert (parsing == P.MOUTH_INTERIOR).sum() > 20 * max(1, (closed == P.MOUTH_INTERIOR).sum())
    rows = {c: np.nonzero(parsing == c)[0].mean() for c in (P.UPPER_LIP, P.MOUTH_INTERIOR, P.LOWER_LIP)}
    assert rows[P.UPPER_LIP] < rows[P.MOUTH_INTERIOR] < rows[P.LOWER_LIP]


def test_shirt_is_in_every_label_and_ends_the_bust(pack):
    bare, _, _ = _labels(pack, _spec())
    lab, _, _ = _labels(pack, _spec(style="crew"))
    cloth = lab.parsing == P.CLOTHING
    assert cloth.any() and (lab.mask[cloth] == regions.CLOTHING).all() and (lab.depth[cloth] > 0).all()
    assert not (bare.mask == regions.CLOTHING).any()
    w = cloth.shape[1]
    assert cloth[-1, w // 4: 3 * w // 4].all()  # the bottom of the frame is shirt, not a cut bust
    assert (bare.depth[-1] == 0).any()  # ... where the bare bust left background
    assert lab.landmarks.visible[17:].all()  # the collar hides no facial landmark


@pytest.mark.parametrize("style", sorted(STYLES))
@pytest.mark.parametrize("yaw", [0.0, 90.0, 180.0])
def test_no_skin_pokes_through_the_shirt(pack, style, yaw):
    """No visible head pixel lies more than OPENING_MM below the collar seam (a camera above the
    collar sees a little way down into the opening; skin poking through the shirt would show up to
    hundreds of mm lower), for several identities, an open jaw, three sides and every style."""
    rng = np.random.default_rng(3)
    for identity in (tuple(rng.standard_normal(30) * 1.5), tuple(rng.standard_normal(30) * -1.5)):
        spec = _spec(yaw=yaw, style=style, identity=identity, weights=(("jawOpen", 0.6),), width=160, height=200)
        lab, v, posed = _labels(pack, spec)
        shirt = build_clothing(pack, v, style)
        rot, origin = P.face_frame(pack, v[np.asarray(pack.landmarks_68).reshape(-1)])
        head = (lab.parsing != P.CLOTHING) & (lab.parsing != P.BACKGROUND)
        n_head = len(lab.solid_triangles)
        v_cam = posed.to_camera(np.concatenate([v, shirt.vertices]))
        tris = np.concatenate([np.asarray(pack.triangles)[lab.solid_triangles], shirt.triangles + len(v)])
        assert (lab.raster.tri_id[head] < n_head).all()
        pts_cam = lab.raster.interpolate(v_cam, tris)[head]
        pts_model = (np.linalg.inv(posed.model_to_camera) @ np.c_[pts_cam, np.ones(len(pts_cam))].T).T[:, :3]
        height = ((pts_model - origin) @ rot.T)[:, 1]
        assert height.min() > shirt.collar_y_mm - OPENING_MM, (style, yaw, height.min(), shirt.collar_y_mm)


def test_docs_table_lists_every_class_with_its_colour(repo_root):
    page = (repo_root / "docs" / "look.md").read_text()
    for c in P.CLASSES:
        assert f"| {c.id} | `{c.name}` | ({c.color[0]}, {c.color[1]}, {c.color[2]}) |" in page

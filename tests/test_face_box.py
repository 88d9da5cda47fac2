"""Face boxes and pupil centres in the metadata (issue 17 item 4): the 70-point convention."""

from __future__ import annotations

import numpy as np
import pytest
from test_geometry_support import camera_spec, sample_spec

from facesynth.assets import load_pack
from facesynth.geometry.face_box import visible_face_area
from facesynth.geometry.labels import compute_labels
from facesynth.geometry.metadata import build_metadata
from facesynth.geometry.pose import pose_sample


def _sample(pack, weights=(), yaw=0.0):
    spec = sample_spec(yaw=yaw, weights=weights, outputs=("depth", "masks", "landmarks"), face_model=pack.name,
                       camera=camera_spec(width=200, height=260))
    posed = pose_sample(spec, pack)
    labels = compute_labels(spec, pack, pack.deform(spec.subject.identity, spec.expression_weights()), posed)
    return labels, build_metadata(spec, pack, posed, labels, recipe_sha256="", facesynth_version="",
                                  blender_version="")


@pytest.fixture(scope="module", params=["builtin", "ict-facekit"])
def pack(request):
    return request.getfixturevalue("ict_pack") if request.param == "ict-facekit" else load_pack("builtin")


def test_pupils_sit_in_the_eyes_and_hide_behind_closed_lids(pack) -> None:
    _, meta = _sample(pack)
    lm = np.array(meta["landmarks_68"]["2d"])
    pupils = np.array(meta["pupils"]["2d"])
    assert meta["pupils"]["visible"] == [True, True]
    # Subject's right eye (iBUG 36-41) first, then the left (42-47): the pupil inside each contour.
    for pupil, eye in zip(pupils, (lm[36:42], lm[42:48]), strict=True):
        assert eye[:, 0].min() < pupil[0] < eye[:, 0].max()
        assert np.linalg.norm(pupil - eye.mean(axis=0)) < 0.25 * np.ptp(eye[:, 0])
    _, closed = _sample(pack, weights=(("eyeBlink_L", 1.0), ("eyeBlink_R", 1.0)))
    assert closed["pupils"]["visible"] == [False, False]


def test_face_boxes(pack) -> None:
    labels, meta = _sample(pack, yaw=30.0)
    box = meta["face_box"]
    lm = np.array(meta["landmarks_68"]["2d"])
    assert box["from_landmarks"] == [*lm.min(axis=0).tolist(), *lm.max(axis=0).tolist()]
    rows, cols = np.nonzero(visible_face_area(labels.raster, labels.solid_triangles, pack))
    x0, y0, x1, y1 = box["from_visible_face_area"]
    assert (x0, y0, x1, y1) == (cols.min() - 0.5, rows.min() - 0.5, cols.max() + 0.5, rows.max() + 0.5)
    # The visible face area is skin where the mask says so, and it holds the nose tip (iBUG 30).
    assert (labels.mask[rows, cols] == 1).mean() > 0.95
    nose = np.round(lm[30]).astype(int)
    assert x0 < nose[0] < x1 and y0 < nose[1] < y1

"""The default realism preset (recipes/realism.yaml) judged by dlib, trained on real photographs.

A few small renders through the real producer and store: dlib's HOG detector finds every face,
its 68-point predictor lands near our landmarks, and its face-recognition embedding puts renders
of one subject (different pose, lights, expression) closer together than renders of different
subjects. The full figures (200 renders, 50 subjects) are bench/dlib_acceptance.py's, in
docs/realism.md and bench/RESULTS.md."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from facesynth.assets import parsing as P
from facesynth.color import REC709_LUMA, srgb_to_linear
from facesynth.io import codecs
from facesynth.render.exposure import FACE_CLASSES, face_target
from facesynth.render.skin_look import skin_colours
from facesynth.sampling.spec_look import SkinSpec

pytest.importorskip("bpy")
pytestmark = [pytest.mark.render, pytest.mark.ict]

# 2 subjects x 2 renders (subject = sample % 2), small and draft: what a test can afford
TINY = ["samples=4", "subjects.count=2", "camera.resolution=240x320", "render.preset=draft", "render.threads=2"]


def _model(name: str) -> str:
    spec = importlib.util.find_spec("face_recognition_models")  # its __init__ needs pkg_resources
    assert spec is not None and spec.submodule_search_locations, "pip install face-recognition-models"
    return str(Path(spec.submodule_search_locations[0]) / "models" / name)


@pytest.fixture(scope="module")
def renders(ict_pack, repo_root, tmp_path_factory):
    from facesynth import open_dataset
    from facesynth.farm.local import render_dataset

    out = tmp_path_factory.mktemp("realism") / "ds"
    render_dataset(repo_root / "recipes" / "realism.yaml", out, progress=False, overrides=TINY)
    return list(open_dataset(out))


def test_the_default_preset_is_groomed_and_dressed(renders):
    for s in renders:
        groom, look = s.meta["groom"], s.meta["look"]
        assert groom is not None and groom["eyelashes"] and groom["brow_density"] > 0, s.id  # brows always
        assert look["skin"] is not None and look["clothing"] is not None and look["image"] is not None, s.id
        assert abs(s.meta["head_pose"]["yaw_deg"]) <= 45
        parsing = codecs.decode_png(s.read("parsing"))
        assert (parsing == P.LEFT_BROW).any() or (parsing == P.RIGHT_BROW).any(), s.id
        assert (parsing == P.CLOTHING).any(), s.id
        # the camera meters on the face: its median luminance in the clean render is the target
        cam = s.meta["camera"]
        assert cam["auto_exposure"] == 0.2 and cam["auto_exposure_tone"] == 0.5, s.id
        assert isinstance(cam["metered_ev"], float), s.id
        target = face_target(0.2, 0.5, skin_colours(SkinSpec(**look["skin"]))["base"])
        face = np.isin(parsing, FACE_CLASSES)
        clean = srgb_to_linear(codecs.decode_png(s.read("rgb_clean"))[..., :3][face] / 255.0)
        assert np.median(clean @ REC709_LUMA) == pytest.approx(target, rel=0.1), s.id
    assert any(s.meta["groom"]["hair_style"] != "bald" for s in renders)
    assert any((codecs.decode_png(s.read("parsing")) == P.HAIR).any() for s in renders)


def test_dlib_detects_predicts_and_tells_subjects_apart(renders):
    import dlib  # the dev extra installs dlib-bin and face-recognition-models: never a silent skip

    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(_model("shape_predictor_68_face_landmarks.dat"))
    embedder = dlib.face_recognition_model_v1(_model("dlib_face_recognition_resnet_model_v1.dat"))
    nme, emb = [], []
    for s in renders:
        img = np.ascontiguousarray(s.rgb[..., :3])  # with the preset's camera effects
        # dlib's predictor learnt 300-W's annotations: the jaw on the visible outline (2D contour);
        # points 17-67 are the same in both conventions
        truth = s.landmarks_2d_contour.xy
        faces = list(detector(img, 1))
        assert len(faces) == 1, f"sample {s.id}: {len(faces)} faces (yaw {s.meta['head_pose']['yaw_deg']:.0f})"
        shape = predictor(img, faces[0])
        pred = np.array([[p.x, p.y] for p in shape.parts()], dtype=float)
        nme.append(np.linalg.norm(pred - truth, axis=1).mean() / np.linalg.norm(truth[36] - truth[45]))
        emb.append(np.asarray(embedder.compute_face_descriptor(img, shape)))
    assert np.median(nme) < 0.08 and max(nme) < 0.12, nme
    subject = [s.meta["subject_id"] for s in renders]
    assert sorted(subject) == [0, 0, 1, 1]
    d = np.linalg.norm(np.array(emb)[:, None] - np.array(emb)[None], axis=-1)
    same = [d[i, j] for i in range(4) for j in range(i + 1, 4) if subject[i] == subject[j]]
    other = [d[i, j] for i in range(4) for j in range(i + 1, 4) if subject[i] != subject[j]]
    assert max(same) < min(other), (same, other)  # verification AUC 1 on these four

"""The numpy half of the character importer: raw arrays -> FacePack, tested without Blender."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from facesynth.assets import regions as R
from facesynth.assets.character import RawCharacter, build_pack, material_regions, weld
from facesynth.errors import UserError

SRC = Path("/nonexistent/character.fbx")  # build_pack never reads the file: Blender did


def _raw(split_seam: bool = False) -> RawCharacter:
    """Two skin quads side by side and one eye quad above them, in metres; one key moves a skin
    vertex (and so the left quad), one the eye. With `split_seam`, the shared edge of the skin
    quads is stored twice, as glTF does at a UV seam."""
    v = [[0, 0, 0], [0.1, 0, 0], [0.1, 0.1, 0], [0, 0.1, 0], [0.2, 0, 0], [0.2, 0.1, 0],
         [0.05, 0.15, 0.02], [0.15, 0.15, 0.02], [0.15, 0.2, 0.02], [0.05, 0.2, 0.02]]  # fmt: skip
    polys = [[0, 1, 2, 3], [1, 4, 5, 2], [6, 7, 8, 9]]
    if split_seam:
        v += [v[1], v[2]]
        polys[1] = [10, 4, 5, 11]
    n = len(v)
    deltas = np.zeros((2, n, 3), np.float32)
    deltas[0, 0] = (0, -0.01, 0)  # "smile": vertex 0, only in the left skin quad
    deltas[1, 6:10] = (0, 0, -0.005)  # "blink": the eye quad
    return RawCharacter(
        mesh_name="Body", mesh_names=("Body",), vertices=np.asarray(v, float),
        poly_offsets=np.array([0, 4, 8, 12]), poly_vertices=np.asarray(polys, np.int32).reshape(-1),
        poly_uv=np.zeros((12, 2), np.float32), poly_material=np.array([0, 0, 1], np.int32),
        material_names=("Std_Skin_Head", "Std_Eye_L"), key_names=("smile", "blink"), key_deltas=deltas,
        uv_layer="UVMap", blender_version="test", source={"file_sha256": "0" * 64},
    )  # fmt: skip


def test_material_region_words() -> None:
    names = ["Std_Skin_Head", "Std_Eye_L", "Std_Cornea_R", "Std_Eye_Occlusion_L", "EyeLashes", "CC_Base_Teeth",
             "Std_Tongue", "Std_Skin_Body", "Beard", "Tearline.001", "irisBlue", "material"]  # fmt: skip
    want = [R.SKIN, R.SCLERA, R.EYE_OCCLUSION, R.EYE_OCCLUSION, R.EYELASHES, R.TEETH,
            R.GUMS_TONGUE, R.HEAD_NECK, R.SKIN, R.EYE_OCCLUSION, R.IRIS, R.SKIN]  # fmt: skip
    assert material_regions(names).tolist() == want


def test_build_pack_scales_maps_and_classifies() -> None:
    pack = build_pack(_raw(), SRC, expression_names={"smile": "mouthSmile_L", "blink": "eyeBlink_L"},
                      unit_scale_mm=1000.0, landmarks_68=None)
    np.testing.assert_allclose(pack.neutral_mm[2], [100, 100, 0])
    assert pack.expression_names == ("mouthSmile_L", "eyeBlink_L")
    np.testing.assert_allclose(pack.expression_basis[0, 0], [0, -10, 0], atol=1e-5)
    assert pack.poly_region.tolist() == [R.SKIN, R.SKIN, R.SCLERA]
    assert pack.face_area.tolist() == [True, False, False]  # skin that an expression moves
    # No landmarks: the eyes are the sclera's box centre; the pivot z is midway to the back.
    np.testing.assert_allclose(pack.pivot_mm, [100, 175, 10])
    assert not pack.has_landmarks and pack.provenance["file_sha256"] == "0" * 64


def test_bad_inputs_name_the_file_and_the_value() -> None:
    raw = _raw()
    with pytest.raises(UserError, match=r"names shape key 'smiel' \(did you mean 'smile'\?\)"):
        build_pack(raw, SRC, expression_names={"smiel": "mouthSmile_L"}, unit_scale_mm=1000.0, landmarks_68=None)
    with pytest.raises(UserError, match=r"landmarks_68\[0\] = 99 is not a vertex index"):
        build_pack(raw, SRC, expression_names={}, unit_scale_mm=1000.0, landmarks_68=[99] + [0] * 67)
    with pytest.raises(UserError, match="pivot_mm must be 3 finite numbers"):
        build_pack(raw, SRC, expression_names={}, unit_scale_mm=1000.0, landmarks_68=None, pivot_mm=[0, 0])
    with pytest.warns(UserWarning, match="check the unit"):
        build_pack(raw, SRC, expression_names={}, unit_scale_mm=1.0, landmarks_68=None)


def test_weld_restores_the_authors_topology() -> None:
    split, whole = _raw(split_seam=True), _raw()
    welded = weld(split)
    assert len(split.vertices) == 12 and len(welded.vertices) == 10
    np.testing.assert_array_equal(welded.vertices, whole.vertices)
    np.testing.assert_array_equal(welded.poly_vertices, whole.poly_vertices)
    np.testing.assert_array_equal(welded.key_deltas, whole.key_deltas)


def test_the_numpy_half_imports_no_blender_and_no_render_package() -> None:
    code = ("import sys, facesynth.assets.character\n"
            "print(sorted(m for m in ('bpy', 'facesynth.render') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stderr

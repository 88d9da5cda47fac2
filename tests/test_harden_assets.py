"""Hardening of asset files (issue 18, classes 5 and 6): references that leave a character's folder,
and corrupt OBJ geometry, are refused before Blender reads anything; unknown blendshape names in a
recipe are an error naming the field."""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path

import pytest

from facesynth.assets.obj import check_obj
from facesynth.assets.references import contained, references
from facesynth.errors import UserError
from facesynth.recipe import RecipeError, parse_recipe
from facesynth.render import characters as C

TRIANGLE = struct.pack("<9f", 0, 0, 0, 1, 0, 0, 0, 1, 0)


def _gltf(uri: str) -> dict:
    """A one-triangle glTF whose single buffer lives at `uri`."""
    return {
        "asset": {"version": "2.0"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}}]}],
        "buffers": [{"uri": uri, "byteLength": len(TRIANGLE)}],
        "bufferViews": [{"buffer": 0, "byteLength": len(TRIANGLE)}],
        "accessors": [{"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3",
                       "min": [0, 0, 0], "max": [1, 1, 0]}],
    }


@pytest.fixture()
def layout(tmp_path: Path) -> tuple[Path, Path]:
    """tmp/char/ (the character's folder) and tmp/secret.bin (a file outside it)."""
    folder = tmp_path / "char"
    folder.mkdir()
    secret = tmp_path / "secret.bin"
    secret.write_bytes(TRIANGLE)
    return folder, secret


@pytest.mark.parametrize("kind", ["absolute", "dotdot", "percent", "file-uri", "backslash"])
def test_gltf_buffer_outside_the_folder_is_refused(layout: tuple[Path, Path], kind: str) -> None:
    folder, secret = layout
    uri = {
        "absolute": str(secret),
        "dotdot": "../secret.bin",
        "percent": "%2E%2E/secret.bin",
        "file-uri": secret.as_uri(),
        "backslash": "..\\secret.bin",
    }[kind]
    path = folder / "head.gltf"
    path.write_text(json.dumps(_gltf(uri)))
    with pytest.raises(UserError, match="outside the file's folder"):
        C.extract_character(path)


def test_glb_buffer_outside_the_folder_is_refused(layout: tuple[Path, Path]) -> None:
    folder, _ = layout
    doc = json.dumps(_gltf("../secret.bin")).encode()
    doc += b" " * (-len(doc) % 4)
    glb = struct.pack("<4sII", b"glTF", 2, 12 + 8 + len(doc)) + struct.pack("<II", len(doc), 0x4E4F534A) + doc
    path = folder / "head.glb"
    path.write_bytes(glb)
    with pytest.raises(UserError, match="outside the file's folder"):
        C.extract_character(path)


def test_symlink_out_of_the_folder_is_refused(layout: tuple[Path, Path]) -> None:
    folder, secret = layout
    (folder / "head.bin").symlink_to(secret)
    path = folder / "head.gltf"
    path.write_text(json.dumps(_gltf("head.bin")))
    with pytest.raises(UserError, match="symbolic link"):
        C.extract_character(path)


def test_references_inside_the_folder_and_embedded_data_are_accepted(layout: tuple[Path, Path]) -> None:
    folder, _ = layout
    (folder / "bin").mkdir()
    (folder / "bin" / "head.bin").write_bytes(TRIANGLE)
    doc = _gltf("bin/head.bin")
    doc["buffers"].append({"uri": "data:application/octet-stream;base64," + base64.b64encode(TRIANGLE).decode(),
                           "byteLength": len(TRIANGLE)})
    path = folder / "head.gltf"
    path.write_text(json.dumps(doc))
    assert references(path) == {"bin/head.bin": (folder / "bin" / "head.bin").resolve()}
    assert contained(path, "data:,abc") is None


def test_obj_material_library_and_its_textures_must_stay_inside(layout: tuple[Path, Path]) -> None:
    folder, secret = layout
    obj = folder / "head.obj"
    obj.write_text("mtllib ../secret.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    with pytest.raises(UserError, match="outside"):
        C.import_character(obj, expression_map={}, unit_scale_mm=10, landmarks_68=None)
    (folder / "head.mtl").write_text(f"newmtl skin\nmap_Kd -bm 1 {secret}\n")
    obj.write_text("mtllib head.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    with pytest.raises(UserError, match=r"head\.mtl: file reference .*secret\.bin.* outside"):
        C.import_character(obj, expression_map={}, unit_scale_mm=10, landmarks_68=None)


GOOD_OBJ = ("# a quad\nmtllib none.mtl\no head\nv 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nvt 0 0\nvt 1 1\ns off\n"
            "f 1/1 2/2 3/1 4/2\n")


@pytest.mark.parametrize(("text", "line", "why"), [
    (GOOD_OBJ + "this is not obj\n", 12, "unknown statement"),
    (GOOD_OBJ.replace("v 1 1 0", "v 1 nan 0"), 6, "not finite"),
    (GOOD_OBJ.replace("v 1 1 0", "v 1 inf 0"), 6, "not finite"),
    (GOOD_OBJ.replace("v 1 1 0", "v 1 one 0"), 6, "needs numbers"),
    (GOOD_OBJ + "f 1 2 9\n", 12, "refers to v 9"),
    (GOOD_OBJ + "f 1 2 -9\n", 12, "refers before"),
    (GOOD_OBJ + "f 1/7 2/1 3/1\n", 12, "refers to vt 7"),
    (GOOD_OBJ + "f 0 1 2\n", 12, "start at 1"),
    (GOOD_OBJ + "f 1 2\n", 12, "too few corners"),
    (GOOD_OBJ + "f 1 2 x\n", 12, "non-integer"),
])
def test_corrupt_obj_is_refused_with_the_line_number(tmp_path: Path, text: str, line: int, why: str) -> None:
    with pytest.raises(UserError, match=rf"line {line}: .*{why}"):
        check_obj(text.encode(), "head.obj")
    # ... and a character import refuses it before Blender would import it with a warning
    path = tmp_path / "head.obj"
    path.write_text(text)
    runs = C.blender_run_count()
    with pytest.raises(UserError, match=rf"line {line}"):
        C.import_character(path, expression_map={}, unit_scale_mm=10, landmarks_68=None)
    assert C.blender_run_count() == runs


def test_valid_obj_passes_the_strict_check() -> None:
    check_obj(GOOD_OBJ.encode() + b"f -4 -3 -2\nl 1 2\n", "head.obj")
    check_obj(b"v 0 0 0 1 0.5 0.5\\\n\nv 1 0 0\nv 0 1 0\nvn 0 0 1\nf 1//1 2//1 3//1\n", "x.obj")


def test_unknown_random_mix_shapes_name_the_field() -> None:
    text = ("name: t\nsamples: 1\nexpressions:\n  random_mix:\n    enabled: true\n"
            "    shapes: [jawOpen, eyeBlinkLeft, cheekPuff, smileyFace]\n")
    with pytest.raises(RecipeError, match=r"expressions\.random_mix\.shapes: unknown blendshape.*smileyFace.*:6\)"):
        parse_recipe(text, "r.yaml")
    ok = parse_recipe(text.replace(", smileyFace", ""), "r.yaml")
    assert ok.expressions.random_mix.shapes == ["jawOpen", "eyeBlinkLeft", "cheekPuff"]


def test_dense_vertex_ids_past_the_pack_are_refused_before_any_output(tmp_path: Path) -> None:
    """Found by validate and before render creates its output folder, not at the first sample."""
    from facesynth.assets.preflight import asset_problems
    from facesynth.farm.local import render_dataset
    from facesynth.recipe import load_recipe

    recipe = tmp_path / "r.yaml"
    recipe.write_text("name: t\nseed: 1\nsamples: 1\nsubjects: {face_model: builtin}\ncamera: {resolution: 32x40}\n"
                      "dense_landmarks: {vertex_ids: [1, 2, 999999]}\noutputs: [rgb, dense_landmarks]\n")
    problems = asset_problems(load_recipe(recipe))
    assert len(problems) == 1 and problems[0].startswith("dense_landmarks.vertex_ids[2] = 999999")
    with pytest.raises(UserError, match=r"dense_landmarks.vertex_ids\[2\] = 999999 .* \(it has \d+\)"):
        render_dataset(recipe, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()

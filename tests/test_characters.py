"""User characters: files written by Blender's own FBX / glTF / OBJ exporters, read back as FacePacks.

One module-scoped fixture runs Blender once (in a child process, so this test process's Blender
scene, if any, is untouched) to build a head-sized subdivided cube with a UV map, two materials,
a Basis and three shape keys that move disjoint vertex groups, skinned to a scaled and turned
armature, plus two small extra meshes; it saves the exported geometry in Blender world
coordinates as the expected values.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tarfile
import textwrap
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial import cKDTree

pytest.importorskip("bpy", reason="character import needs Blender's Python module (bpy)")

from facesynth.assets import regions as R
from facesynth.assets.ict import head_pivot_mm
from facesynth.assets.pack import FacePack, read_pack_file
from facesynth.errors import UserError
from facesynth.render import characters as C

pytestmark = pytest.mark.render

KEYS = {"Smile_Key": "mouthSmileLeft", "Blink_Key": "eyeBlink_L", "Jaw_Key": "jawOpen"}
EXPECTED_NAMES = ("mouthSmile_L", "eyeBlink_L", "jawOpen")
TOL_MM = 1e-3

BUILD_SCRIPT = textwrap.dedent(
    """
    import math, sys
    from pathlib import Path
    import bpy, numpy as np
    from mathutils import Vector

    out = Path(sys.argv[1])
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.mesh.primitive_cube_add(size=0.2)
    head = bpy.context.active_object
    head.name = "Head"
    bpy.ops.object.mode_set(mode="EDIT")
    bpy.ops.mesh.subdivide(number_cuts=3)
    bpy.ops.object.mode_set(mode="OBJECT")
    bpy.ops.object.shade_smooth()
    head.location = (0.01, -0.02, 1.6)
    head.rotation_euler = (0.0, 0.0, math.radians(15))
    head.scale = (1.05, 1.05, 1.05)
    me = head.data
    skin, teeth = bpy.data.materials.new("Std_Skin_Head"), bpy.data.materials.new("Std_Upper_Teeth")
    me.materials.append(skin)
    me.materials.append(teeth)
    for p in me.polygons:
        p.material_index = 1 if p.center.z < -0.099 else 0

    co = np.array([v.co[:] for v in me.vertices])
    groups = {
        "Smile_Key": (co[:, 0] > 0.099, (0.01, 0.0, 0.0)),
        "Blink_Key": ((co[:, 2] > 0.099) & (co[:, 0] <= 0.099), (0.0, 0.0, 0.005)),
        "Jaw_Key": ((co[:, 1] < -0.099) & (co[:, 0] <= 0.099) & (co[:, 2] <= 0.099), (0.0, -0.008, 0.0)),
    }
    head.shape_key_add(name="Basis")
    for name, (mask, d) in groups.items():
        kb = head.shape_key_add(name=name, from_mix=False)
        for i in np.flatnonzero(mask):
            kb.data[i].co = kb.data[i].co + Vector(d)
    for kb in me.shape_keys.key_blocks:
        kb.value = 0.0  # the exported neutral is the basis

    # Skinned to a scaled, turned rig, as Character Creator exports are: the parent's transform
    # must end up in the imported vertices.
    bpy.ops.object.armature_add(location=(0.0, 0.1, 0.9))
    rig = bpy.context.active_object
    rig.name, rig.scale, rig.rotation_euler = "Rig", (0.5, 0.5, 0.5), (0.0, 0.0, math.radians(20))
    head.vertex_groups.new(name="Bone").add(list(range(len(me.vertices))), 1.0, "REPLACE")
    bpy.ops.object.select_all(action="DESELECT")
    head.select_set(True)
    rig.select_set(True)
    bpy.context.view_layer.objects.active = rig
    bpy.ops.object.parent_set(type="ARMATURE")
    assert head.parent == rig

    bpy.ops.mesh.primitive_plane_add(size=0.02, location=(0.0, -0.2, 1.6))
    bpy.context.active_object.name = "Cornea_Shell"
    bpy.ops.mesh.primitive_cube_add(size=0.05, location=(0.3, 0.0, 1.6))
    bpy.context.active_object.name = "Mirrored"
    bpy.context.active_object.scale = (-1.0, 1.0, 1.0)  # flips winding unless the importer undoes it

    bpy.context.view_layer.update()
    mw = np.array(head.matrix_world)
    to_world = lambda p: p @ mw[:3, :3].T + mw[:3, 3]
    keys = np.stack([to_world(np.array([d.co[:] for d in me.shape_keys.key_blocks[n].data])) for n in groups])
    uv = np.array([d.uv[:] for d in me.uv_layers[0].data])
    np.savez(
        out / "expected.npz",
        basis=to_world(co), keys=keys, key_names=np.array(list(groups)),
        loop_vertex=np.array([lp.vertex_index for lp in me.loops]), loop_uv=uv,
        poly_start=np.array([p.loop_start for p in me.polygons]),
        poly_total=np.array([p.loop_total for p in me.polygons]),
    )
    bpy.ops.export_scene.fbx(filepath=str(out / "head.fbx"), bake_anim=False)
    bpy.ops.export_scene.gltf(filepath=str(out / "head.glb"), export_format="GLB")
    bpy.ops.export_scene.gltf(filepath=str(out / "head.gltf"), export_format="GLTF_SEPARATE")
    bpy.ops.wm.obj_export(filepath=str(out / "head.obj"), export_uv=False, global_scale=100.0)  # cm

    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.object.empty_add()
    bpy.ops.export_scene.fbx(filepath=str(out / "no_mesh.fbx"), bake_anim=False)
    """
)


def to_model(world_m: np.ndarray, unit_scale_mm: float) -> np.ndarray:
    """Blender world (Z up, facing -Y) -> facesynth model frame (Y up, facing +Z), in mm."""
    x, y, z = np.moveaxis(np.asarray(world_m, dtype=np.float64), -1, 0)
    return np.stack([x, z, -y], axis=-1) * unit_scale_mm


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The exported files, plus a fresh facesynth cache so the first imports really run Blender."""
    out = tmp_path_factory.mktemp("characters")
    subprocess.run([sys.executable, "-c", BUILD_SCRIPT, str(out)], check=True, capture_output=True, timeout=300)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FACESYNTH_HOME", str(out / "cache"))
        yield out


@pytest.fixture(scope="module")
def expected(files: Path) -> dict[str, np.ndarray]:
    with np.load(files / "expected.npz") as z:
        return {k: z[k] for k in z.files}


@pytest.fixture(scope="module")
def packs(files: Path) -> dict[str, FacePack]:
    return {
        "fbx": C.import_character(files / "head.fbx", expression_map=KEYS, unit_scale_mm=1000, landmarks_68=None),
        "glb": C.import_character(files / "head.glb", expression_map=KEYS, unit_scale_mm=1000, landmarks_68=None),
        # OBJ keeps no shape keys and here no UVs; its numbers are cm.
        "obj": C.import_character(files / "head.obj", expression_map={}, unit_scale_mm=10, landmarks_68=None),
    }


def correspondence(pack: FacePack, expected_mm: np.ndarray) -> np.ndarray:
    """Index of the imported vertex at each exported vertex (glTF reorders them); checks it is 1:1."""
    dist, idx = cKDTree(pack.neutral_mm).query(expected_mm)
    assert dist.max() < TOL_MM
    assert len(np.unique(idx)) == len(expected_mm)
    return idx


# --- geometry ----------------------------------------------------------------------------------------


def test_fbx_keeps_vertices_polygons_and_uvs(packs: dict[str, FacePack], expected: dict[str, np.ndarray]) -> None:
    pack = packs["fbx"]
    want = to_model(expected["basis"], 1000)
    assert pack.n_vertices == len(want) == 98
    np.testing.assert_allclose(pack.neutral_mm, want, atol=TOL_MM)
    # Same quads, same corners, same per-corner UVs as Blender had before export.
    assert pack.n_polygons == len(expected["poly_start"]) == 96
    assert np.all(np.diff(pack.poly_offsets) == 4)
    runs = zip(expected["poly_start"], expected["poly_total"], strict=True)
    order = np.concatenate([np.arange(s, s + n) for s, n in runs])
    np.testing.assert_array_equal(pack.poly_vertices, expected["loop_vertex"][order])
    np.testing.assert_allclose(pack.poly_uv, expected["loop_uv"][order], atol=1e-6)
    assert (pack.up_axis, pack.forward_axis, pack.unit_scale_mm) == ("+Y", "+Z", 1000.0)


def test_provenance_names_the_file_and_its_sha256(files: Path, packs: dict[str, FacePack]) -> None:
    prov = packs["fbx"].provenance
    assert prov["file"] == "head.fbx" and prov["format"] == "fbx" and prov["mesh"] == "Head"
    assert prov["file_sha256"] == hashlib.sha256((files / "head.fbx").read_bytes()).hexdigest()
    assert prov["expression_map"] == dict(zip(KEYS, EXPECTED_NAMES, strict=True))
    assert prov["materials"] == ["Std_Skin_Head", "Std_Upper_Teeth"]
    assert packs["obj"].provenance["companion_sha256"] == {
        "head.mtl": hashlib.sha256((files / "head.mtl").read_bytes()).hexdigest()
    }


def test_glb_is_welded_back_to_the_authors_topology(
    packs: dict[str, FacePack], expected: dict[str, np.ndarray]
) -> None:
    pack = packs["glb"]
    want = to_model(expected["basis"], 1000)
    # glTF splits vertices at UV seams; welding gives back one vertex per exported vertex.
    assert pack.n_vertices == len(want)
    idx = correspondence(pack, want)
    np.testing.assert_allclose(pack.neutral_mm[idx], want, atol=TOL_MM)
    assert pack.n_polygons == 2 * 96  # glTF stores triangles
    # Every (vertex, UV) pair of the source exists in the import, and nothing else.
    src_pairs = {(int(v), *np.round(uv, 5)) for v, uv in zip(expected["loop_vertex"], expected["loop_uv"], strict=True)}
    back = np.empty(len(idx), dtype=np.int64)
    back[idx] = np.arange(len(idx))
    got_pairs = {(int(back[v]), *np.round(uv, 5)) for v, uv in zip(pack.poly_vertices, pack.poly_uv, strict=True)}
    assert got_pairs == src_pairs


def test_obj_neutral_uses_the_unit_scale_and_zero_uvs_without_a_uv_layer(
    packs: dict[str, FacePack], expected: dict[str, np.ndarray]
) -> None:
    pack = packs["obj"]
    want = to_model(expected["basis"], 1000)  # cm numbers x 10 = the same mm
    assert pack.n_vertices == 98 and pack.n_polygons == 96
    np.testing.assert_allclose(pack.neutral_mm, want, atol=TOL_MM)
    assert pack.expression_names == ()
    assert not pack.poly_uv.any()
    assert pack.provenance["uv_layer"] == ""


def test_model_frame_is_y_up_z_forward(packs: dict[str, FacePack]) -> None:
    """The top of the head (Blender +Z) is model +Y; the side facing Blender -Y is model +Z."""
    v = packs["fbx"].neutral_mm
    assert v[:, 1].min() > 1400  # standing height 1.6 m, along model +Y
    assert 0 < v[:, 1].max() - v[:, 1].min() < 250


@pytest.mark.parametrize("fmt", ["fbx", "glb"])
def test_each_expression_moves_exactly_its_vertices(
    fmt: str, packs: dict[str, FacePack], expected: dict[str, np.ndarray]
) -> None:
    pack = packs[fmt]
    assert pack.expression_names == EXPECTED_NAMES
    idx = correspondence(pack, to_model(expected["basis"], 1000))
    moved_sets = []
    for k, name in enumerate(EXPECTED_NAMES):
        want = to_model(expected["keys"][k] - expected["basis"], 1000)  # world deltas -> model mm
        group = np.linalg.norm(want, axis=1) > 0
        assert group.sum() >= 9
        got = (pack.deform((), {name: 1.0}) - pack.neutral_mm)[idx]
        np.testing.assert_allclose(got[group], want[group], atol=TOL_MM)
        assert np.abs(got[~group]).max() < 1e-6  # every other vertex stays put
        moved_sets.append(set(np.flatnonzero(group)))
    assert not (moved_sets[0] & moved_sets[1] or moved_sets[0] & moved_sets[2] or moved_sets[1] & moved_sets[2])


@pytest.mark.parametrize("fmt", ["fbx", "glb", "obj"])
def test_regions_come_from_material_names(fmt: str, packs: dict[str, FacePack]) -> None:
    pack = packs[fmt]
    y = pack.neutral_mm[:, 1]
    bottom = np.isclose(y, y.min(), atol=0.01)
    per_corner = bottom[pack.poly_vertices].astype(np.int64)
    on_bottom = np.add.reduceat(per_corner, pack.poly_offsets[:-1]) == np.diff(pack.poly_offsets)
    assert on_bottom.any()
    np.testing.assert_array_equal(pack.poly_region, np.where(on_bottom, R.TEETH, R.SKIN))


def test_face_area_follows_the_expressions(packs: dict[str, FacePack]) -> None:
    pack = packs["fbx"]
    moved = np.any(np.abs(pack.expression_basis) > 0, axis=(0, 2))
    touched = np.add.reduceat(moved[pack.poly_vertices].astype(np.int64), pack.poly_offsets[:-1]) > 0
    assert 0 < touched.sum() < pack.n_polygons
    np.testing.assert_array_equal(pack.face_area, touched & (pack.poly_region == R.SKIN))


def test_pivot_sits_behind_the_eyes(files: Path, packs: dict[str, FacePack]) -> None:
    """Eyes from the eye* expression (no landmarks, no eye materials here); the pivot halfway
    between them and the back of the head at eye height."""
    pack = packs["fbx"]
    v = pack.neutral_mm
    blink = np.any(pack.expression_basis[EXPECTED_NAMES.index("eyeBlink_L")] != 0, axis=1)
    eyes = (v[blink].min(axis=0) + v[blink].max(axis=0)) / 2
    back_z = v[np.abs(v[:, 1] - eyes[1]) < 10, 2].min()
    np.testing.assert_allclose(pack.pivot_mm, [eyes[0], eyes[1], (eyes[2] + back_z) / 2], atol=TOL_MM)
    lo, hi = v.min(axis=0), v.max(axis=0)
    assert np.all(pack.pivot_mm >= lo - 1e-3) and np.all(pack.pivot_mm <= hi + 1e-3)  # inside the head box
    # With landmarks, the eyes are the mean of landmarks 36-47; a given pivot is kept as is.
    ids = list(range(10, 78))
    with_lm = C.import_character(files / "head.fbx", expression_map=KEYS, unit_scale_mm=1000, landmarks_68=ids)
    np.testing.assert_allclose(with_lm.pivot_mm[:2], v[ids[36:48]].mean(axis=0)[:2], atol=TOL_MM)
    given = C.import_character(
        files / "head.fbx", expression_map=KEYS, unit_scale_mm=1000, landmarks_68=None, pivot_mm=(1.0, 2.0, 3.0)
    )
    assert given.pivot_mm.tolist() == [1.0, 2.0, 3.0] and given.provenance["pivot"] == "given by the user"


@pytest.mark.ict
def test_real_ict_obj_keeps_file_coordinates_and_material_regions(
    ict_archive: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """ICT-FaceKit's neutral OBJ (cm, +Y up, +Z out of the face): the import must give back the
    file's own numbers times 10, in file order, and a region per material."""
    folder = tmp_path_factory.mktemp("ict")
    with tarfile.open(ict_archive) as tar:
        for name in ("generic_neutral_mesh.obj", "ICTFaceModelMaterial.mtl"):
            (folder / name).write_bytes(tar.extractfile(f"FaceXModel/{name}").read())  # type: ignore[union-attr]
    pack = C.import_character(
        folder / "generic_neutral_mesh.obj", expression_map={}, unit_scale_mm=10, landmarks_68=None
    )
    vertices, face_material = [], []
    material = ""
    for line in (folder / "generic_neutral_mesh.obj").read_text().splitlines():
        if line.startswith("v "):
            vertices.append([float(x) for x in line.split()[1:4]])
        elif line.startswith("usemtl "):
            material = line.split()[1]
        elif line.startswith("f "):
            face_material.append(material)
    assert pack.n_vertices == len(vertices) == 26719
    np.testing.assert_allclose(pack.neutral_mm, np.array(vertices) * 10, atol=TOL_MM)
    assert pack.n_polygons == len(face_material)
    want = {
        "M_Face": R.SKIN, "M_BackHead": R.HEAD_NECK, "M_Teeth": R.TEETH, "M_GumsTongue": R.GUMS_TONGUE,
        "M_ScleraLeft": R.SCLERA, "M_IrisRight": R.IRIS, "M_EyeLashes": R.EYELASHES,
        "M_EyeOcclusion": R.EYE_OCCLUSION, "M_LacrimalFluid": R.EYE_OCCLUSION, "M_EyeBlend": R.EYE_OCCLUSION,
    }  # fmt: skip
    for name, region_id in want.items():
        polys = np.array([m == name for m in face_material])
        assert polys.any() and np.all(pack.poly_region[polys] == region_id), name
    # Eyes from the sclera/iris materials: the same pivot as the ICT-FaceKit pack's own rule.
    np.testing.assert_allclose(pack.pivot_mm, head_pivot_mm(pack.neutral_mm), atol=1e-3)


# --- landmarks, mesh choice, cache ---------------------------------------------------------------------


def test_landmarks_are_optional(files: Path, packs: dict[str, FacePack]) -> None:
    assert packs["fbx"].provenance["has_landmarks"] is False
    assert packs["fbx"].landmarks_68.shape == (0,) and not packs["fbx"].has_landmarks
    ids = list(range(10, 78))
    pack = C.import_character(files / "head.fbx", expression_map=KEYS, unit_scale_mm=1000, landmarks_68=ids)
    assert pack.provenance["has_landmarks"] is True and pack.has_landmarks
    assert pack.landmarks_68.tolist() == ids
    # A character pack survives the pack file format, flag and all.
    back = read_pack_file(packs["fbx"].save(files / "head.pack.npz"))
    assert not back.has_landmarks and back.provenance["has_landmarks"] is False
    assert back.expression_names == EXPECTED_NAMES
    np.testing.assert_allclose(back.neutral_mm, packs["fbx"].neutral_mm)


def test_mesh_name_picks_another_mesh(files: Path, packs: dict[str, FacePack]) -> None:
    assert packs["fbx"].provenance["mesh"] == "Head"  # the default: most vertices
    with pytest.warns(UserWarning, match=r"is 20 mm across with unit_scale_mm=1000; check the unit"):
        shell = C.import_character(
            files / "head.fbx", expression_map={}, unit_scale_mm=1000, landmarks_68=None, mesh_name="Cornea_Shell"
        )
    assert shell.n_vertices == 4 and shell.provenance["mesh"] == "Cornea_Shell"
    np.testing.assert_allclose(shell.neutral_mm.mean(axis=0), to_model(np.array([0.0, -0.2, 1.6]), 1000), atol=TOL_MM)
    with pytest.raises(UserError, match=r"no mesh named 'Nose'; meshes: Cornea_Shell, Head, Mirrored"):
        C.import_character(files / "head.fbx", expression_map={}, unit_scale_mm=1, landmarks_68=None, mesh_name="Nose")


def test_unit_scale_defaults_to_metres_for_fbx_and_gltf_only(files: Path, packs: dict[str, FacePack]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a head-sized mesh raises no unit warning
        glb = C.import_character(files / "head.glb", expression_map=KEYS, unit_scale_mm=None, landmarks_68=None)
    assert glb.unit_scale_mm == 1000.0
    np.testing.assert_array_equal(glb.neutral_mm, packs["glb"].neutral_mm)
    with pytest.raises(UserError, match=r"head\.obj: OBJ files carry no unit; set unit_scale_mm"):
        C.import_character(files / "head.obj", expression_map={}, unit_scale_mm=None, landmarks_68=None)


def test_mirrored_object_keeps_outward_polygons(files: Path) -> None:
    cube = C.import_character(
        files / "head.fbx", expression_map={}, unit_scale_mm=1000, landmarks_68=None, mesh_name="Mirrored"
    )
    assert cube.n_vertices == 8 and cube.n_polygons == 6
    tri = cube.neutral_mm[cube.triangles].astype(np.float64)
    normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    outward = tri.mean(axis=1) - cube.neutral_mm.mean(axis=0)
    assert np.all(np.einsum("ij,ij->i", normals, outward) > 0)


def test_second_import_comes_from_the_cache(files: Path, packs: dict[str, FacePack]) -> None:
    cached = C.extraction_cache_path(files / "head.glb")
    assert cached.is_file()
    stamp, runs = cached.stat().st_mtime_ns, C.blender_run_count()
    again = C.import_character(files / "head.glb", expression_map=KEYS, unit_scale_mm=1000, landmarks_68=None)
    # Other mapping and scale: still no Blender, because they are applied after reading.
    with pytest.warns(UserWarning, match=r"mm across with unit_scale_mm=10;"):  # a 2.6 mm head
        fewer = C.import_character(
            files / "head.glb", expression_map={"Jaw_Key": "jawOpen"}, unit_scale_mm=10, landmarks_68=None
        )
    assert C.blender_run_count() == runs and cached.stat().st_mtime_ns == stamp
    np.testing.assert_array_equal(again.neutral_mm, packs["glb"].neutral_mm)
    np.testing.assert_allclose(fewer.neutral_mm, packs["glb"].neutral_mm / 100, rtol=1e-6)
    assert fewer.expression_names == ("jawOpen",)
    # Same bytes under another name: same sha256, same cache entry.
    copy = files / "copy_of_head.glb"
    copy.write_bytes((files / "head.glb").read_bytes())
    C.import_character(copy, expression_map=KEYS, unit_scale_mm=1000, landmarks_68=None)
    assert C.blender_run_count() == runs


def test_damaged_cache_entry_is_rebuilt(files: Path, packs: dict[str, FacePack]) -> None:
    cached = C.extraction_cache_path(files / "head.obj")
    cached.write_bytes(b"not a zip")
    runs = C.blender_run_count()
    again = C.import_character(files / "head.obj", expression_map={}, unit_scale_mm=10, landmarks_68=None)
    assert C.blender_run_count() == runs + 1
    np.testing.assert_array_equal(again.neutral_mm, packs["obj"].neutral_mm)


def test_cache_key_follows_the_side_files(files: Path, packs: dict[str, FacePack]) -> None:
    """A .gltf's buffer and an .obj's material library are part of what Blender reads."""
    separate = C.import_character(files / "head.gltf", expression_map=KEYS, unit_scale_mm=1000, landmarks_68=None)
    np.testing.assert_array_equal(separate.neutral_mm, packs["glb"].neutral_mm)
    assert list(separate.provenance["companion_sha256"]) == ["head.bin"]
    for main, side in (("head.gltf", "head.bin"), ("head.obj", "head.mtl")):
        before = C.extraction_cache_path(files / main)
        original = (files / side).read_bytes()
        (files / side).write_bytes(original + b"\n")
        try:
            assert C.extraction_cache_path(files / main) != before
        finally:
            (files / side).write_bytes(original)
        assert C.extraction_cache_path(files / main) == before


def test_importing_the_module_does_not_load_blender() -> None:
    """Blender runs only in the child process: farm code can import this module cheaply."""
    code = "import sys, facesynth.render.characters; print('bpy' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == "False"


# --- errors ----------------------------------------------------------------------------------------------


def test_unknown_shape_key_names_it_and_lists_the_available_ones(files: Path) -> None:
    with pytest.raises(UserError) as err:
        C.import_character(files / "head.fbx", expression_map={"Smile_key": "mouthSmileLeft"}, unit_scale_mm=1000,
                           landmarks_68=None)  # fmt: skip
    msg = str(err.value)
    assert "head.fbx" in msg and "'Smile_key' (did you mean 'Smile_Key'?)" in msg
    assert "available keys: 'Smile_Key', 'Blink_Key', 'Jaw_Key'" in msg
    assert "\n" not in msg


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"expression_map": {"Smile_Key": "grin"}}, r"expression_map\['Smile_Key'\] = 'grin' is not an ARKit"),
        ({"expression_map": {"Smile_Key": "jawOpen", "Jaw_Key": "jawOpen"}}, r"two shape keys to 'jawOpen'"),
        ({"unit_scale_mm": 0}, r"unit_scale_mm must be a positive number"),
        ({"landmarks_68": [1, 2, 3]}, r"landmarks_68 must be 68 vertex indices, got 3"),
        ({"landmarks_68": [0] * 67 + [98]}, r"landmarks_68\[67\] = 98 is not a vertex index .*0\.\.97"),
    ],
)
def test_bad_options_are_user_errors(files: Path, kwargs: dict, pattern: str) -> None:
    options = {"expression_map": {}, "unit_scale_mm": 1000, "landmarks_68": None, **kwargs}
    with pytest.raises(UserError, match=pattern):
        C.import_character(files / "head.fbx", **options)


def test_bad_files_are_user_errors_naming_the_file(files: Path) -> None:
    opts = {"expression_map": {}, "unit_scale_mm": 1000, "landmarks_68": None}
    with pytest.raises(UserError, match=r"character file .*missing\.fbx does not exist"):
        C.import_character(files / "missing.fbx", **opts)
    (files / "head.blend").write_bytes(b"BLENDER")
    with pytest.raises(UserError, match=r"head\.blend: unsupported extension '\.blend'; expected one of"):
        C.import_character(files / "head.blend", **opts)
    with pytest.raises(UserError, match=r"character file .*no_mesh\.fbx holds no mesh"):
        C.import_character(files / "no_mesh.fbx", **opts)
    (files / "garbage.glb").write_bytes(os.urandom(256))
    # refused before Blender starts: the glTF reference check reads the GLB header itself
    with pytest.raises(UserError, match=r"character file .*garbage\.glb is not a readable glTF file"):
        C.import_character(files / "garbage.glb", **opts)

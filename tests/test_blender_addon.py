"""The artists' Blender add-on, installed as a real extension in this venv's bpy (headless).

The extension is zipped from blender_addons/facesynth_blender and installed with
`bpy.ops.extensions.package_install_files` into a throw-away extension repository; its operators
are called through `bpy.ops` on Blender's default scene (cube, light, camera), as an artist would.
What it builds is compared with what the render worker (`RenderSession`) puts in its scene for the
same sample, and with `facesynth.geometry` directly.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from facesynth.geometry.pose import pose_sample
from facesynth.recipe import load_recipe, parse_recipe
from facesynth.render.face_model import load_face_model
from facesynth.sampling import sample_spec

bpy = pytest.importorskip("bpy")
pytestmark = pytest.mark.render

ADDONS = Path(__file__).resolve().parents[1] / "blender_addons"
ADDON_SRC = ADDONS / "facesynth_blender"
REPO_MODULE = "facesynth_test_repo"
ADDON_MODULE = f"bl_ext.{REPO_MODULE}.facesynth_blender"
OVERRIDES = ("camera.resolution=96x128", "render.samples=4")
INDEX = 3


def _scene_state(session_scene: Any, head: Any, camera: Any, light_objects: list[Any]) -> dict[str, Any]:
    """What Blender renders after a sample was applied (evaluated scene), as float64 numpy copies."""
    bpy.context.view_layer.update()  # as a render does: matrices re-derived from loc/rot/scale
    co = np.empty(len(head.data.vertices) * 3, dtype=np.float32)
    head.data.vertices.foreach_get("co", co)
    return {
        "camera_matrix": np.array(camera.matrix_world, dtype=np.float64),
        "lens": camera.data.lens, "sensor_width": camera.data.sensor_width, "type": camera.data.type,
        "clip": (camera.data.clip_start, camera.data.clip_end),
        "resolution": (session_scene.render.resolution_x, session_scene.render.resolution_y),
        "head_matrix": np.array(head.matrix_world, dtype=np.float64),
        "vertices_m": co.reshape(-1, 3).astype(np.float64),
        "lights": [np.array(o.matrix_world) for o in light_objects if not o.hide_render],
    }


def _expected(loaded: Any, pack: Any, index: int) -> tuple[Any, np.ndarray, Any]:
    spec = sample_spec(loaded, index)
    return spec, pack.deform(np.asarray(spec.subject.identity), spec.expression_weights()), pose_sample(spec, pack)


def _build_zip(dest: Path) -> Path:
    sys.path.insert(0, str(ADDONS))
    try:
        return importlib.import_module("build_zip").build_zip(dest)
    finally:
        sys.path.remove(str(ADDONS))


@pytest.fixture(scope="module")
def quickstart(repo_root: Path):
    loaded = load_recipe(repo_root / "recipes" / "quickstart.yaml", OVERRIDES)
    return loaded, load_face_model(loaded)


@pytest.fixture(scope="module")
def worker_state(quickstart) -> dict[str, Any]:
    """The render worker's own scene for sample INDEX (RenderSession resets Blender: run it first)."""
    from facesynth.render.session import RenderSession

    loaded, pack = quickstart
    spec, vertices, posed = _expected(loaded, pack, INDEX)
    with RenderSession(pack) as session:
        rgb = session.render(spec, vertices, posed).rgb  # render() applies the sample, then renders
        return {**_scene_state(session.scene, session.head, session.camera, session.lights.objects), "rgb": rgb}


@pytest.fixture(scope="module")
def addon(worker_state, tmp_path_factory) -> Any:
    """Blender's default (artist) scene with the extension installed and enabled; yields its module."""
    bpy.ops.wm.read_factory_settings()  # the default file: Cube, Light, Camera
    tmp = tmp_path_factory.mktemp("addon")
    repo = bpy.context.preferences.extensions.repos.new(
        name=REPO_MODULE, module=REPO_MODULE, custom_directory=str(tmp / "repo"), source="USER")
    result = bpy.ops.extensions.package_install_files(filepath=str(_build_zip(tmp)), repo=REPO_MODULE,
                                                      enable_on_install=True)
    assert result == {"FINISHED"}
    yield importlib.import_module(ADDON_MODULE)
    # removing the repository disables the extension (unregister) and forgets it
    bpy.context.preferences.extensions.repos.remove(repo)
    bpy.ops.wm.read_factory_settings(use_empty=True)  # leave Blender clean for other test modules


@pytest.fixture
def loaded_scene(addon, repo_root: Path) -> Any:
    scene = bpy.context.scene
    scene.facesynth.overrides = "; ".join(OVERRIDES)
    assert bpy.ops.facesynth.load_recipe(filepath=str(repo_root / "recipes" / "quickstart.yaml")) == {"FINISHED"}
    return scene


def _facesynth_objects(scene: Any) -> list[Any]:
    return [o for o in scene.objects if o.name.startswith("facesynth_")]


def test_manifest_is_a_blender_4_2_extension(tmp_path: Path) -> None:
    # Blender's own extension tool validates the manifest, on the folder and on the built zip
    tool = Path(bpy.utils.system_resource("SCRIPTS")) / "addons_core" / "bl_pkg" / "cli" / "blender_ext.py"
    for source in (ADDON_SRC, _build_zip(tmp_path)):
        run = subprocess.run([sys.executable, str(tool), "validate", str(source)], capture_output=True, text=True)
        assert run.returncode == 0, run.stdout + run.stderr
    m = tomllib.loads((ADDON_SRC / "blender_manifest.toml").read_text())
    assert (m["id"], m["type"], m["blender_version_min"]) == ("facesynth_blender", "add-on", "4.2.0")
    assert m["license"] == ["SPDX:Apache-2.0"] and "files" in m["permissions"]
    assert all(m[k] for k in ("schema_version", "name", "version", "tagline", "maintainer"))


def test_extension_registers_operators_and_sidebar_panel(addon) -> None:
    for op in ("load_recipe", "build_sample", "next_sample", "previous_sample", "write_expression_map",
               "guess_expression_map"):
        assert hasattr(bpy.types, f"FACESYNTH_OT_{op}"), op
    panel = bpy.types.FACESYNTH_PT_sidebar
    assert (panel.bl_space_type, panel.bl_region_type, panel.bl_category) == ("VIEW_3D", "UI", "facesynth")


class _RecordingLayout:
    """Stands in for Blender's UILayout (only a window can make one) and records what is drawn."""

    def __init__(self, calls: list[tuple[str, tuple[Any, ...]]]) -> None:
        self.calls = calls

    def __getattr__(self, name: str) -> Any:
        def record(*args: Any, **_kw: Any) -> _RecordingLayout:
            self.calls.append((name, args))
            return self
        return record


def test_sidebar_panel_draws_only_real_properties_and_operators(addon) -> None:
    calls: list[tuple[str, tuple[Any, ...]]] = []
    panel = type("P", (), {"layout": _RecordingLayout(calls)})()
    bpy.types.FACESYNTH_PT_sidebar.draw(panel, bpy.context)
    ops = [args[0] for name, args in calls if name == "operator"]
    assert ops == ["facesynth.load_recipe", "facesynth.previous_sample", "facesynth.next_sample",
                   "facesynth.build_sample", "facesynth.guess_expression_map", "facesynth.write_expression_map"]
    for idname in ops:
        module, op = idname.split(".")
        assert getattr(getattr(bpy.ops, module), op).get_rna_type() is not None
    props = [(args[0], args[1]) for name, args in calls if name == "prop"]
    assert props and all(prop in data.bl_rna.properties for data, prop in props)
    lists = [args for name, args in calls if name == "template_list"]
    assert lists[0][0] == "FACESYNTH_UL_expression_map" and lists[0][3] in lists[0][2].bl_rna.properties


def test_load_recipe_keeps_path_and_count(loaded_scene, repo_root: Path) -> None:
    st = loaded_scene.facesynth
    assert Path(st.recipe_path) == repo_root / "recipes" / "quickstart.yaml"
    assert st.sample_count == 8


def test_build_sample_equals_the_render_worker(loaded_scene, worker_state, quickstart) -> None:
    assert bpy.ops.facesynth.build_sample(index=INDEX) == {"FINISHED"}
    scene = loaded_scene
    head, cam = scene.objects["facesynth_head"], scene.camera
    assert cam.name == "facesynth_camera"
    lights = [o for o in scene.objects if o.name.startswith("facesynth_light_")]
    got = _scene_state(scene, head, cam, lights)

    # the worker's Blender values, to float precision (same code path, so identical)
    np.testing.assert_allclose(got["camera_matrix"], worker_state["camera_matrix"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(got["head_matrix"], worker_state["head_matrix"], rtol=0, atol=1e-9)
    np.testing.assert_array_equal(got["vertices_m"], worker_state["vertices_m"])
    for key in ("lens", "sensor_width", "type", "clip", "resolution"):
        assert got[key] == worker_state[key], key
    assert len(got["lights"]) == len(worker_state["lights"]) >= 1
    for a, b in zip(got["lights"], worker_state["lights"], strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)

    # and the geometry's float64 truth (Blender stores float32)
    loaded, pack = quickstart
    spec, vertices, posed = _expected(loaded, pack, INDEX)
    settings = posed.camera.blender_settings()
    np.testing.assert_allclose(got["camera_matrix"], posed.camera.blender_matrix_world_m(), rtol=0, atol=1e-6)
    assert got["lens"] == pytest.approx(settings["lens"], abs=1e-5)
    assert got["resolution"] == (96, 128)
    world_m = got["vertices_m"] @ got["head_matrix"][:3, :3].T + got["head_matrix"][:3, 3]
    expected_world_m = (vertices.astype(np.float64) @ posed.model_to_world[:3, :3].T
                        + posed.model_to_world[:3, 3]) / 1000.0
    np.testing.assert_allclose(got["vertices_m"], vertices.astype(np.float64) / 1000.0, rtol=0, atol=1e-6)
    np.testing.assert_allclose(world_m, expected_world_m, rtol=0, atol=1e-6)
    assert scene.facesynth.sample_info.startswith(spec.id)
    # the artist's own objects are still there: the open scene was not reset
    assert {"Cube", "Light", "Camera"} <= set(scene.objects.keys())


def test_open_scene_renders_the_workers_pixels(loaded_scene, worker_state, tmp_path: Path) -> None:
    """Cycles, same seed, same scene: the artist's F12 gives the dataset's image, pixel for pixel."""
    from facesynth.render.background import encode
    from facesynth.render.session import read_multilayer

    assert bpy.ops.facesynth.build_sample(index=INDEX) == {"FINISHED"}
    scene = loaded_scene
    own = [scene.objects[n] for n in ("Cube", "Light")]  # the artist's own objects would show up
    for obj in own:
        obj.hide_render = True
    scene.render.filepath = str(tmp_path / "frame.exr")
    try:
        bpy.ops.render.render(write_still=True)
    finally:
        for obj in own:
            obj.hide_render = False
    rgba, _ = read_multilayer(tmp_path / "frame.exr", want_depth=False)
    rgb = encode(rgba[..., :3], 8)  # quickstart's background is the HDRI: no plate to composite
    assert rgb.shape == worker_state["rgb"].shape == (128, 96, 3)
    np.testing.assert_array_equal(rgb, worker_state["rgb"])


def test_next_and_previous_step_through_samples_without_growth(loaded_scene, quickstart) -> None:
    loaded, pack = quickstart
    assert bpy.ops.facesynth.build_sample(index=INDEX) == {"FINISHED"}
    before = {name: len(getattr(bpy.data, name)) for name in ("objects", "meshes", "materials", "cameras", "worlds")}
    assert bpy.ops.facesynth.next_sample() == {"FINISHED"}
    assert loaded_scene.facesynth.sample_index == INDEX + 1
    spec, vertices, posed = _expected(loaded, pack, INDEX + 1)
    cam = loaded_scene.camera
    np.testing.assert_allclose(np.array(cam.matrix_world), posed.camera.blender_matrix_world_m(), atol=1e-6)
    co = np.empty(len(vertices) * 3, dtype=np.float32)
    loaded_scene.objects["facesynth_head"].data.vertices.foreach_get("co", co)
    np.testing.assert_allclose(co.reshape(-1, 3), vertices / 1000.0, rtol=0, atol=1e-6)
    assert loaded_scene.facesynth.sample_info.startswith(spec.id)

    assert bpy.ops.facesynth.previous_sample() == {"FINISHED"}
    assert loaded_scene.facesynth.sample_index == INDEX
    _, _, posed3 = _expected(loaded, pack, INDEX)
    np.testing.assert_allclose(np.array(cam.matrix_world), posed3.camera.blender_matrix_world_m(), atol=1e-6)
    after = {name: len(getattr(bpy.data, name)) for name in before}
    # a third light may be pooled for a sample with more lights; nothing else is created per step
    assert {k: v for k, v in after.items() if k != "objects"} == {k: v for k, v in before.items() if k != "objects"}
    assert len([o for o in _facesynth_objects(loaded_scene) if o.name == "facesynth_head"]) == 1


def test_build_sample_rebuilds_after_the_artist_deleted_its_objects(loaded_scene) -> None:
    assert bpy.ops.facesynth.build_sample(index=INDEX) == {"FINISHED"}
    counts = {name: len(getattr(bpy.data, name)) for name in ("meshes", "materials", "cameras", "worlds")}
    bpy.data.objects.remove(loaded_scene.objects["facesynth_head"])
    assert bpy.ops.facesynth.build_sample(index=INDEX) == {"FINISHED"}
    assert {name: len(getattr(bpy.data, name)) for name in counts} == counts  # old blocks removed
    names = sorted(o.name for o in _facesynth_objects(loaded_scene) if not o.name.startswith("facesynth_light"))
    assert names == ["facesynth_camera", "facesynth_head"]  # stale camera removed, no '.001' copies
    assert loaded_scene.camera.name == "facesynth_camera"


def test_build_sample_after_saving_and_reopening_the_file(loaded_scene, quickstart, tmp_path: Path) -> None:
    assert bpy.ops.facesynth.build_sample(index=INDEX) == {"FINISHED"}
    blend = tmp_path / "lookdev.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(blend))
    bpy.ops.wm.open_mainfile(filepath=str(blend))  # every old handle is gone; the panel's state is saved
    scene = bpy.context.scene
    assert scene.facesynth.sample_index == INDEX and scene.facesynth.recipe_path
    assert bpy.ops.facesynth.next_sample() == {"FINISHED"}  # reloads the recipe from the saved path
    loaded, pack = quickstart
    _, vertices, posed = _expected(loaded, pack, INDEX + 1)
    heads = [o for o in scene.objects if o.name.startswith("facesynth_head")]
    assert [o.name for o in heads] == ["facesynth_head"]
    co = np.empty(len(vertices) * 3, dtype=np.float32)
    heads[0].data.vertices.foreach_get("co", co)
    np.testing.assert_allclose(co.reshape(-1, 3), vertices / 1000.0, rtol=0, atol=1e-6)
    np.testing.assert_allclose(np.array(scene.camera.matrix_world), posed.camera.blender_matrix_world_m(), atol=1e-6)
    assert scene.camera.name == "facesynth_camera"


def test_build_sample_after_undo(loaded_scene, quickstart) -> None:
    assert bpy.ops.facesynth.build_sample(index=INDEX) == {"FINISHED"}
    bpy.ops.ed.undo_push(message="sample 3")
    assert bpy.ops.facesynth.next_sample() == {"FINISHED"}
    bpy.ops.ed.undo_push(message="sample 4")
    assert bpy.ops.ed.undo() == {"FINISHED"}  # Blender re-creates data-blocks: the add-on's handles go stale
    scene = bpy.context.scene
    assert bpy.ops.facesynth.build_sample(index=INDEX + 2) == {"FINISHED"}
    loaded, pack = quickstart
    _, vertices, posed = _expected(loaded, pack, INDEX + 2)
    assert [o.name for o in scene.objects if o.name.startswith("facesynth_head")] == ["facesynth_head"]
    co = np.empty(len(vertices) * 3, dtype=np.float32)
    scene.objects["facesynth_head"].data.vertices.foreach_get("co", co)
    np.testing.assert_allclose(co.reshape(-1, 3), vertices / 1000.0, rtol=0, atol=1e-6)
    np.testing.assert_allclose(np.array(scene.camera.matrix_world), posed.camera.blender_matrix_world_m(), atol=1e-6)


@pytest.mark.ict
def test_loading_an_ict_recipe_replaces_the_head(loaded_scene, ict_pack, repo_root: Path) -> None:
    assert bpy.ops.facesynth.build_sample(index=INDEX) == {"FINISHED"}  # the built-in head first
    scene = loaded_scene
    scene.facesynth.overrides = OVERRIDES[0]
    path = repo_root / "recipes" / "depth_portrait.yaml"
    assert bpy.ops.facesynth.load_recipe(filepath=str(path)) == {"FINISHED"}
    assert scene.facesynth.sample_count == 1000
    assert bpy.ops.facesynth.build_sample(index=17) == {"FINISHED"}
    _, vertices, posed = _expected(load_recipe(path, OVERRIDES[:1]), ict_pack, 17)
    heads = [o for o in scene.objects if o.name.startswith("facesynth_head")]
    assert [o.name for o in heads] == ["facesynth_head"] and len(heads[0].data.vertices) == len(vertices) == 26719
    co = np.empty(len(vertices) * 3, dtype=np.float32)
    heads[0].data.vertices.foreach_get("co", co)
    np.testing.assert_allclose(co.reshape(-1, 3), vertices / 1000.0, rtol=0, atol=1e-6)
    np.testing.assert_allclose(np.array(scene.camera.matrix_world), posed.camera.blender_matrix_world_m(), atol=1e-6)
    assert scene.render.film_transparent  # an image background: the worker composites its plate after Cycles


def test_build_sample_out_of_range_is_refused(loaded_scene) -> None:
    with pytest.raises(RuntimeError, match=r"sample index 8 is outside 0\.\.7"):
        bpy.ops.facesynth.build_sample(index=8)


def _character_with_shape_keys(names: list[str]) -> Any:
    mesh = bpy.data.meshes.new("character")
    mesh.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
    obj = bpy.data.objects.new("character", mesh)
    bpy.context.scene.collection.objects.link(obj)
    obj.shape_key_add(name="Basis")
    for name in names:
        obj.shape_key_add(name=name)
    bpy.context.view_layer.objects.active = obj
    return obj


CHARACTER_RECIPE = """# my character
name: my_character
samples: 4
seed: 11
subjects:
  face_model: heads/me.glb
  count: 2
camera: {resolution: 96x128, distance_mm: 800}
outputs: [rgb, depth, masks]
"""


def test_write_expression_map_writes_the_edited_map_into_a_valid_recipe(addon, tmp_path: Path) -> None:
    recipe = tmp_path / "character.yaml"
    recipe.write_text(CHARACTER_RECIPE)
    _character_with_shape_keys(["JawOpen", "Eye_Blink_Left", "mouth_smile_R"])
    scene = bpy.context.scene
    assert bpy.ops.facesynth.guess_expression_map() == {"FINISHED"}
    guessed = {it.shape_key: it.arkit for it in scene.facesynth.expression_map}
    assert guessed == {"JawOpen": "jawOpen", "Eye_Blink_Left": "eyeBlink_L", "mouth_smile_R": "mouthSmile_R"}
    scene.facesynth.expression_map[2].arkit = "mouthFrown_R"  # the artist's edit in the panel wins

    assert bpy.ops.facesynth.write_expression_map(filepath=str(recipe)) == {"FINISHED"}
    text = recipe.read_text()
    written = parse_recipe(text, str(recipe))
    fm = written.subjects.face_model
    assert fm.path == "heads/me.glb"
    assert fm.expression_map == {"JawOpen": "jawOpen", "Eye_Blink_Left": "eyeBlink_L", "mouth_smile_R": "mouthFrown_R"}
    original = parse_recipe(CHARACTER_RECIPE)
    assert written.model_dump(exclude={"subjects"}) == original.model_dump(exclude={"subjects"})
    assert written.subjects.count == 2 and text.startswith("# my character\n")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]


def test_write_expression_map_refuses_a_recipe_that_would_not_validate(addon, repo_root: Path,
                                                                      tmp_path: Path) -> None:
    # quickstart asks for landmarks, which a character file without landmarks_68 cannot give
    recipe = tmp_path / "quickstart.yaml"
    original = (repo_root / "recipes" / "quickstart.yaml").read_bytes()
    recipe.write_bytes(original)
    _character_with_shape_keys(["jawOpen", "cheekPuff", "browInnerUp"])
    scene = bpy.context.scene
    scene.facesynth.expression_map.clear()
    scene.facesynth.character_path = "heads/me.fbx"
    try:
        with pytest.raises(RuntimeError, match=r"outputs: landmarks need landmarks"):
            bpy.ops.facesynth.write_expression_map(filepath=str(recipe))
        assert recipe.read_bytes() == original
        scene.facesynth.character_path = ""
        with pytest.raises(RuntimeError, match=r"face_model is 'builtin'"):
            bpy.ops.facesynth.write_expression_map(filepath=str(recipe))
        assert recipe.read_bytes() == original
    finally:
        scene.facesynth.character_path = ""


def test_write_expression_map_refuses_unknown_and_duplicate_targets(addon, tmp_path: Path) -> None:
    recipe = tmp_path / "character.yaml"
    recipe.write_text(CHARACTER_RECIPE)
    _character_with_shape_keys(["a", "b", "c"])
    scene = bpy.context.scene
    bpy.ops.facesynth.guess_expression_map()
    items = scene.facesynth.expression_map
    items[0].arkit, items[1].arkit, items[2].arkit = "jawOpen", "jawOpn", ""
    with pytest.raises(RuntimeError, match=r"shape key 'b' -> 'jawOpn' is not an ARKit name; did you mean 'jawOpen'"):
        bpy.ops.facesynth.write_expression_map(filepath=str(recipe))
    items[1].arkit = "jawOpen"
    with pytest.raises(RuntimeError, match=r"shape keys 'a' and 'b' both map to 'jawOpen'"):
        bpy.ops.facesynth.write_expression_map(filepath=str(recipe))
    assert recipe.read_text() == CHARACTER_RECIPE
    items[1].arkit = "eyeBlinkLeft"  # Apple's spelling is accepted and written the facesynth way
    assert bpy.ops.facesynth.write_expression_map(filepath=str(recipe)) == {"FINISHED"}
    assert yaml.safe_load(recipe.read_text())["subjects"]["face_model"]["expression_map"] == {
        "a": "jawOpen", "b": "eyeBlink_L"}


def test_guess_map_matches_common_exporter_spellings(addon) -> None:
    em = importlib.import_module(f"{ADDON_MODULE}.expression_map")
    names = ["blendShape1.jawOpen", "Mouth_Smile_L", "A01_Brow_Inner_Up", "eyeBlinkRight", "Brows_Angry", "Basis2",
             "Mouth_Down_Lower_L", "Jaw_L"]
    assert em.guess_map(names) == {"blendShape1.jawOpen": "jawOpen", "Mouth_Smile_L": "mouthSmile_L",
                                   "A01_Brow_Inner_Up": "browInnerUp", "eyeBlinkRight": "eyeBlink_R",
                                   "Mouth_Down_Lower_L": "mouthLowerDown_L", "Jaw_L": "jawLeft"}
    # two keys close to one target: only the better match gets it (the importer refuses duplicates)
    assert em.guess_map(["jawOpen", "jaw_open_v2"]) == {"jawOpen": "jawOpen"}


def test_guess_never_crosses_sides(addon) -> None:
    em = importlib.import_module(f"{ADDON_MODULE}.expression_map")
    assert em.guess_arkit_name("Eye_L_Look_Down")[0] == "eyeLookDown_L"  # side word in the middle
    assert em.guess_arkit_name("Mouth_Smile_Sharp_L")[0] == "mouthSmile_L"  # close to both; left only
    assert em.guess_arkit_name("eyeBlink")[0] is None  # both eyes at once is no single ARKit shape

"""The add-on's operators: load a recipe, build/step through samples, write an expression map."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bpy

from facesynth.errors import FacesynthError

from . import scene_session
from .expression_map import guess_map, write_expression_map


def _overrides(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(";") if item.strip())


def _fail(op: bpy.types.Operator, message: str) -> set[str]:
    op.report({"ERROR"}, message)
    return {"CANCELLED"}


def _build(op: bpy.types.Operator, context: Any, index: int) -> set[str]:
    scene = context.scene
    st = scene.facesynth
    try:
        if scene_session.loaded_for(scene) is None:  # e.g. after reopening the file
            if not st.recipe_path:
                return _fail(op, "facesynth: load a recipe first")
            scene_session.load(scene, bpy.path.abspath(st.recipe_path), _overrides(st.overrides))
        if not 0 <= index < st.sample_count:
            return _fail(op, f"facesynth: sample index {index} is outside 0..{st.sample_count - 1}")
        spec = scene_session.build_sample(bpy, scene, index)
    except FacesynthError as exc:
        return _fail(op, str(exc))
    st.sample_index = index
    hp = spec.head_pose
    st.sample_info = (f"{spec.id} {spec.split} subject {spec.subject.subject_id} {spec.expression.name} "
                      f"yaw {hp.yaw_deg:.1f} pitch {hp.pitch_deg:.1f} roll {hp.roll_deg:.1f}")
    op.report({"INFO"}, f"facesynth: built sample {spec.id}")
    return {"FINISHED"}


class FACESYNTH_OT_load_recipe(bpy.types.Operator):
    """Load and validate a facesynth recipe for this scene"""

    bl_idname = "facesynth.load_recipe"
    bl_label = "Load Recipe"
    bl_options = frozenset({"REGISTER"})

    filepath: bpy.props.StringProperty(subtype="FILE_PATH")
    filter_glob: bpy.props.StringProperty(default="*.yaml;*.yml", options={"HIDDEN"})

    def invoke(self, context: Any, event: Any) -> set[str]:
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context: Any) -> set[str]:
        scene = context.scene
        st = scene.facesynth
        path = bpy.path.abspath(self.filepath or st.recipe_path)
        if not path:
            return _fail(self, "facesynth: no recipe file given")
        try:
            loaded = scene_session.load(scene, path, _overrides(st.overrides))
        except FacesynthError as exc:
            return _fail(self, str(exc))
        st.recipe_path = path
        st.sample_count = loaded.recipe.samples
        st.sample_index = min(st.sample_index, loaded.recipe.samples - 1)
        st.sample_info = ""
        self.report({"INFO"}, f"facesynth: loaded {loaded.recipe.name} ({loaded.recipe.samples} samples)")
        return {"FINISHED"}


class FACESYNTH_OT_build_sample(bpy.types.Operator):
    """Build sample N of the loaded recipe into this scene exactly as the render worker does"""

    bl_idname = "facesynth.build_sample"
    bl_label = "Build Sample"
    bl_options = frozenset({"REGISTER", "UNDO"})

    index: bpy.props.IntProperty(name="Index", default=-1, min=-1,
                                 description="Sample index; -1 uses the panel's sample index")

    def execute(self, context: Any) -> set[str]:
        st = context.scene.facesynth
        return _build(self, context, st.sample_index if self.index < 0 else self.index)


class FACESYNTH_OT_next_sample(bpy.types.Operator):
    """Build the next sample"""

    bl_idname = "facesynth.next_sample"
    bl_label = "Next Sample"
    bl_options = frozenset({"REGISTER", "UNDO"})

    def execute(self, context: Any) -> set[str]:
        st = context.scene.facesynth
        return _build(self, context, min(st.sample_index + 1, max(st.sample_count - 1, 0)))


class FACESYNTH_OT_previous_sample(bpy.types.Operator):
    """Build the previous sample"""

    bl_idname = "facesynth.previous_sample"
    bl_label = "Previous Sample"
    bl_options = frozenset({"REGISTER", "UNDO"})

    def execute(self, context: Any) -> set[str]:
        return _build(self, context, max(context.scene.facesynth.sample_index - 1, 0))


def _shape_keys(obj: Any) -> list[str]:
    """Shape-key names of a mesh object, without its reference (basis) key."""
    keys = getattr(obj.data, "shape_keys", None) if obj is not None and obj.type == "MESH" else None
    if keys is None:
        return []
    return [kb.name for kb in keys.key_blocks if kb != keys.reference_key]


def fill_expression_map(settings: Any, obj: Any) -> int:
    """Reset the panel's map to the object's shape keys with guessed ARKit names; returns the key count."""
    names = _shape_keys(obj)
    guesses = guess_map(names)
    settings.expression_map.clear()
    for name in names:
        item = settings.expression_map.add()
        item.shape_key = name
        item.arkit = guesses.get(name, "")
    return len(names)


class FACESYNTH_OT_guess_expression_map(bpy.types.Operator):
    """Fill the expression map from the active mesh's shape keys, guessing ARKit names by similarity"""

    bl_idname = "facesynth.guess_expression_map"
    bl_label = "Guess From Shape Keys"
    bl_options = frozenset({"REGISTER", "UNDO"})

    def execute(self, context: Any) -> set[str]:
        obj = context.active_object
        if not _shape_keys(obj):
            return _fail(self, "facesynth: the active object is not a mesh with shape keys")
        n = fill_expression_map(context.scene.facesynth, obj)
        self.report({"INFO"}, f"facesynth: {n} shape keys listed")
        return {"FINISHED"}


class FACESYNTH_OT_write_expression_map(bpy.types.Operator):
    """Write the shape-key -> ARKit map into a recipe (subjects.face_model.expression_map)"""

    bl_idname = "facesynth.write_expression_map"
    bl_label = "Write Expression Map"
    bl_options = frozenset({"REGISTER"})

    filepath: bpy.props.StringProperty(subtype="FILE_PATH",
                                       description="Recipe to update (default: the loaded recipe)")

    def execute(self, context: Any) -> set[str]:
        st = context.scene.facesynth
        path = bpy.path.abspath(self.filepath or st.recipe_path)
        if not path:
            return _fail(self, "facesynth: no recipe file to write the expression map into")
        if not st.expression_map:  # nothing edited yet: start from the guesses
            if not _shape_keys(context.active_object):
                return _fail(self, "facesynth: the active object is not a mesh with shape keys")
            fill_expression_map(st, context.active_object)
        mapping = {it.shape_key: it.arkit.strip() for it in st.expression_map if it.arkit.strip()}
        try:
            written = write_expression_map(path, mapping, st.character_path.strip() or None)
        except FacesynthError as exc:
            return _fail(self, str(exc))
        self.report({"INFO"}, f"facesynth: wrote {len(mapping)} expressions to {Path(written).name}")
        return {"FINISHED"}


CLASSES = (FACESYNTH_OT_load_recipe, FACESYNTH_OT_build_sample, FACESYNTH_OT_next_sample,
           FACESYNTH_OT_previous_sample, FACESYNTH_OT_guess_expression_map, FACESYNTH_OT_write_expression_map)

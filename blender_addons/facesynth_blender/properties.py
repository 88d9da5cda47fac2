"""The add-on's state, stored on the scene (so it is saved with the .blend file)."""

from __future__ import annotations

from typing import Any

import bpy

from .expression_map import ACCEPTED_TARGETS

_TARGETS = sorted(ACCEPTED_TARGETS)


def _search_targets(_self: Any, _context: Any, text: str) -> list[str]:
    return [t for t in _TARGETS if text.lower() in t.lower()]


class FacesynthExpressionItem(bpy.types.PropertyGroup):
    shape_key: bpy.props.StringProperty(name="Shape key", description="Shape-key name in the character file")
    arkit: bpy.props.StringProperty(name="ARKit", description="ARKit expression it drives (empty: unused)",
                                    search=_search_targets)


class FacesynthSettings(bpy.types.PropertyGroup):
    recipe_path: bpy.props.StringProperty(name="Recipe", subtype="FILE_PATH",
                                          description="The facesynth recipe (YAML) loaded into this scene")
    overrides: bpy.props.StringProperty(
        name="Overrides", description="FIELD.PATH=VALUE items separated by ';', e.g. camera.resolution=96x128")
    sample_index: bpy.props.IntProperty(name="Sample", min=0, description="Index of the sample to build")
    sample_count: bpy.props.IntProperty(name="Samples", min=0, description="Samples in the loaded recipe")
    sample_info: bpy.props.StringProperty(name="Built", description="The sample now in the scene")
    character_path: bpy.props.StringProperty(
        name="Character file", description="Path written as subjects.face_model.path (relative to the recipe); "
        "empty keeps the recipe's own")
    expression_map: bpy.props.CollectionProperty(type=FacesynthExpressionItem)
    expression_map_index: bpy.props.IntProperty()


CLASSES = (FacesynthExpressionItem, FacesynthSettings)


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.Scene.facesynth = bpy.props.PointerProperty(type=FacesynthSettings)


def unregister() -> None:
    del bpy.types.Scene.facesynth
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)

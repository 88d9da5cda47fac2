"""The face pack a recipe names: a built-in pack, or a user's character imported with Blender
(user characters need bpy, so this lives in facesynth.render)."""

from __future__ import annotations

from facesynth.assets import FacePack, load_pack
from facesynth.recipe import LoadedRecipe
from facesynth.recipe.schema import CharacterFile


def load_face_model(loaded: LoadedRecipe) -> FacePack:
    fm = loaded.recipe.subjects.face_model
    if isinstance(fm, CharacterFile):
        from facesynth.render.characters import import_character

        return import_character(loaded.resolve(fm.path), expression_map=dict(fm.expression_map),
                                unit_scale_mm=fm.unit_scale_mm, landmarks_68=fm.landmarks_68,
                                mesh_name=fm.mesh_name)
    return load_pack(fm)

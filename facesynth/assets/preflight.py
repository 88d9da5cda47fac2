"""Checks of a recipe's assets that `validate` and `render` share, run before any output exists:
a recipe that `validate` accepts must not be refused by `render` for a reason known in advance.

Without Blender: the face pack must be loadable (built-in, or imported ICT-FaceKit), and a
character file's side files must stay in its folder and an OBJ must parse strictly. What only
Blender can tell (meshes, shape keys, vertex counts for landmarks) is checked when it imports;
`dense_landmarks.vertex_ids` are checked against a built-in or imported pack here.
"""

from __future__ import annotations

from facesynth.assets import load_pack
from facesynth.assets.cache import pack_cache_path
from facesynth.assets.obj import check_obj
from facesynth.assets.references import references
from facesynth.errors import UserError
from facesynth.geometry.dense import dense_vertex_ids
from facesynth.recipe import LoadedRecipe
from facesynth.recipe.schema import CharacterFile


def machine_notes(loaded: LoadedRecipe) -> list[str]:
    """What this machine lacks for the recipe (not the recipe's fault): an ICT-FaceKit pack that is
    not imported here. `validate` reports it as a note, `render` refuses (via load_pack)."""
    fm = loaded.recipe.subjects.face_model
    if fm == "ict-facekit" and not pack_cache_path(fm).exists():
        return [f"subjects.face_model: face pack 'ict-facekit' is not built on this machine yet; render needs "
                f"`facesynth assets import ict-facekit --from DIR_OR_ARCHIVE` first ({loaded.path})"]
    return []


def asset_problems(loaded: LoadedRecipe) -> list[str]:
    """One line per problem, naming the recipe field; empty when every asset is usable (a pack not
    imported on this machine is a `machine_notes` item, not a problem of the recipe)."""
    fm = loaded.recipe.subjects.face_model
    where = f"({loaded.path})"
    if machine_notes(loaded):
        return []
    try:
        if isinstance(fm, CharacterFile):
            path = loaded.resolve(fm.path)
            references(path)
            if path.suffix.lower() == ".obj":
                check_obj(path.read_bytes(), str(path))
        else:
            pack = load_pack(fm)
            dl = loaded.recipe.dense_landmarks
            if dl.vertex_ids:  # found here, not at the first sample after `out` exists
                dense_vertex_ids(pack, dl.count, tuple(dl.vertex_ids))
    except UserError as exc:
        if str(exc).startswith("dense_landmarks."):
            return [f"{exc} {where}"]
        return [f"subjects.face_model: {exc} {where}"]
    except OSError as exc:
        return [f"subjects.face_model: cannot read {exc.filename}: {exc.strerror or exc} {where}"]
    return []


def check_assets(loaded: LoadedRecipe) -> None:
    """Raise a UserError with the first problem of `asset_problems`."""
    problems = asset_problems(loaded)
    if problems:
        raise UserError(problems[0])

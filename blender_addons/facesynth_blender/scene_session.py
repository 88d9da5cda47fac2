"""Build a recipe's sample N into the open Blender scene with the render worker's own code.

`SceneSession` is a `RenderSession(pack, scene=scene)`: built into the artist's open scene
without resetting Blender, with every sample going through `RenderSession.apply`, the very code
the worker runs before it renders. It only adds tags so the add-on can find its own objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from facesynth.farm.producer import prepare, resolve_spec_paths
from facesynth.geometry.groom import posed_groom
from facesynth.geometry.pose import Posed
from facesynth.recipe import LoadedRecipe, load_recipe
from facesynth.render.face_model import load_face_model
from facesynth.render.session import RenderSession
from facesynth.sampling.spec import SampleSpec

TAG = "facesynth_addon"
"""Custom property on every object the add-on created (so a reopened file can be cleaned)."""


class SceneSession(RenderSession):
    """A RenderSession on an existing scene: nothing is reset, only facesynth objects are added."""

    def __init__(self, bpy: Any, scene: Any, pack: Any) -> None:
        artists_world = scene.world if scene.world is not None and not scene.world.get(TAG) else None
        super().__init__(pack, scene=scene)
        if artists_world is not None:
            artists_world.use_fake_user = True  # the artist's world survives saving once ours replaces it
        for block in (self.head, self.mesh, self.camera, self.world.world, *self.materials.by_role.values()):
            block[TAG] = True

    def apply(self, spec: SampleSpec, vertices: np.ndarray, posed: Posed, groom: Any = None):  # type: ignore[override]
        """The worker's `RenderSession.apply`, then tag the pooled lights and groom objects it may
        have created."""
        choice = super().apply(spec, vertices, posed, groom)
        for obj in (*self.lights.objects, *self.groom.objects.values()):
            obj[TAG] = True
        return choice

    def alive(self) -> bool:
        """False once Blender freed our objects (file reloaded, objects deleted)."""
        try:
            return (self.head.name in self._bpy.data.objects and self.camera.name in self._bpy.data.objects
                    and self.scene.name in self._bpy.data.scenes)
        except ReferenceError:
            return False


@dataclass
class _Cached:
    loaded: LoadedRecipe
    pack: Any
    session: SceneSession | None = None


_CACHE: dict[int, _Cached] = {}
"""Per scene (pointer): the loaded recipe, its face pack and the scene session."""


def forget_sessions(*, recipes: bool = False) -> None:
    """Drop our Python handles on Blender data (undo and file loads free it); keep recipes and
    packs unless `recipes`. The next build finds the tagged leftovers, removes them, rebuilds."""
    for key, cached in list(_CACHE.items()):
        if cached.session is not None:
            cached.session.close()
            cached.session = None
        if recipes:
            del _CACHE[key]


def load(scene: Any, path: str, overrides: tuple[str, ...] = ()) -> LoadedRecipe:
    """Load and validate a recipe for `scene` (raises RecipeError); the face pack is loaded too."""
    loaded = load_recipe(path, overrides)
    old = _CACHE.get(scene.as_pointer())
    fm = loaded.recipe.subjects.face_model
    # a built-in pack cannot change under us; a character file can, so it is re-read (its cache is by sha256)
    same_pack = old is not None and isinstance(fm, str) and old.loaded.recipe.subjects.face_model == fm
    pack = old.pack if same_pack else load_face_model(loaded)
    if old is not None and old.session is not None and not same_pack:
        old.session.close()  # its objects stay until the next build removes them (tagged)
    _CACHE[scene.as_pointer()] = _Cached(loaded, pack, old.session if same_pack else None)
    return loaded


def loaded_for(scene: Any) -> LoadedRecipe | None:
    cached = _CACHE.get(scene.as_pointer())
    return cached.loaded if cached else None


def build_sample(bpy: Any, scene: Any, index: int) -> SampleSpec:
    """Put sample `index` of the scene's loaded recipe into `scene`, as the render worker would."""
    cached = _CACHE[scene.as_pointer()]
    loaded, pack = cached.loaded, cached.pack
    # the worker's steps (SampleProducer.produce): spec -> vertices -> pose -> resolved paths
    spec, vertices, posed = prepare(loaded, pack, index)
    resolved = resolve_spec_paths(loaded, spec)
    session = cached.session
    if session is None or not session.alive() or session.scene != scene:
        remove_tagged(bpy, scene)
        session = cached.session = SceneSession(bpy, scene, pack)
    session.apply(resolved, vertices, posed, posed_groom(spec, pack, vertices))
    return spec


def remove_tagged(bpy: Any, scene: Any) -> int:
    """Delete what an earlier session built in `scene`: its objects, and the meshes, cameras,
    lights, materials and world they leave unused. Returns the number of objects removed."""
    doomed = [obj for obj in scene.objects if obj.get(TAG)]
    datas = {obj.data for obj in doomed if obj.data is not None}
    if scene.world is not None and scene.world.get(TAG):
        datas.add(scene.world)
        scene.world = None
    if doomed:
        bpy.data.batch_remove(doomed)
    # users drop as owners go: meshes (an object the artist deleted leaves its mesh), then materials
    for blocks in (datas | {m for m in bpy.data.meshes if m.get(TAG)}, {m for m in bpy.data.materials if m.get(TAG)}):
        # a session's pooled materials carry a fake user (kept while unassigned): that one use is ours too
        orphans = [d for d in blocks if d.users - int(d.use_fake_user) == 0]
        if orphans:
            bpy.data.batch_remove(orphans)
    return len(doomed)

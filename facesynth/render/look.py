"""Mirrors a sample's `look` into the persistent scene: skin material, clothing mesh, sky world.

Everything is created on first use and then only updated, so long runs do not grow Blender's data.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from facesynth.appearance.clothing import ClothingMesh
from facesynth.render.skin_look import build_skin_look, fine_bump, skin_values, write_region_attributes
from facesynth.render.sync import assign, assign_matrix
from facesynth.render.units import points_to_m
from facesynth.sampling.spec_look import LookSpec

ATTR_CLOTH = "facesynth_cloth_color"


def _cloth_material(bpy: Any) -> Any:
    """Woven fabric: a sheen-lit, rough diffuse with a fine weave bump; colour per subject."""
    mat = bpy.data.materials.new("facesynth_clothing")
    if mat.node_tree is None:
        mat.use_nodes = True
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    bsdf = nodes["Principled BSDF"] if "Principled BSDF" in nodes else nodes.new("ShaderNodeBsdfPrincipled")
    attr = nodes.new("ShaderNodeAttribute")
    attr.attribute_type, attr.attribute_name = "OBJECT", ATTR_CLOTH
    links.new(attr.outputs["Color"], bsdf.inputs["Base Color"])
    bsdf.inputs["Roughness"].default_value = 0.85
    bsdf.inputs["Sheen Weight"].default_value = 0.3
    bsdf.inputs["Sheen Roughness"].default_value = 0.4
    coords = nodes.new("ShaderNodeTexCoord")
    weave = nodes.new("ShaderNodeTexWave")
    weave.inputs["Scale"].default_value = 120.0
    weave.inputs["Distortion"].default_value = 1.0
    folds = nodes.new("ShaderNodeTexNoise")
    folds.inputs["Scale"].default_value = 8.0
    links.new(coords.outputs["Object"], weave.inputs["Vector"])
    links.new(coords.outputs["Object"], folds.inputs["Vector"])
    add = nodes.new("ShaderNodeMath")
    add.operation = "MULTIPLY_ADD"
    links.new(folds.outputs["Fac"], add.inputs[0])
    add.inputs[1].default_value = 8.0
    links.new(weave.outputs["Fac"], add.inputs[2])
    bump = nodes.new("ShaderNodeBump")
    bump.inputs["Strength"].default_value = 0.3
    bump.inputs["Distance"].default_value = 0.001
    links.new(add.outputs[0], bump.inputs["Height"])
    links.new(bump.outputs["Normal"], bsdf.inputs["Normal"])
    return mat


class LookScene:
    """Skin material swap, clothing object and sky for one RenderSession."""

    def __init__(self, bpy: Any, scene: Any, head: Any, mesh: Any, plain_skin: Any, pack: Any) -> None:
        self._bpy, self._scene, self._head, self._mesh, self._pack = bpy, scene, head, mesh, pack
        self._plain_skin = plain_skin
        if plain_skin is not None:  # kept for samples without the look while the look's skin is on
            plain_skin.use_fake_user = True
        self._skin_looks: dict[bool, Any] = {}  # by `fine_bump`
        self._cloth_obj: Any = None
        self._cloth_quads: np.ndarray | None = None
        self.created = 0

    # -- skin --------------------------------------------------------------------------------
    @property
    def skin_material(self) -> Any:
        """The look skin material the head wears now (None while it wears the plain skin)."""
        return next((m for m in self._mesh.materials if m in self._skin_looks.values()), None)

    def _use_skin(self, material: Any) -> None:
        ours = (self._plain_skin, *self._skin_looks.values())
        for i, m in enumerate(self._mesh.materials):
            if m in ours and m is not material:
                self._mesh.materials[i] = material

    def update_skin(self, look: LookSpec | None, pixel_mm: float = 1.0) -> None:
        """`pixel_mm`: one pixel's footprint at the head; it picks pores as bump or as roughness."""
        skin = look.skin if look else None
        if self._plain_skin is None:  # a pack without a skin role (some user characters): nothing to swap
            return
        if skin is None:
            self._use_skin(self._plain_skin)
            return
        fine = fine_bump(pixel_mm)
        if fine not in self._skin_looks:
            mat = self._skin_looks[fine] = build_skin_look(self._bpy, fine=fine)
            mat.use_fake_user = True  # pooled: unassigned while a sample has no look
            if len(self._skin_looks) == 1:
                write_region_attributes(self._mesh, self._pack)
            self.created += 1
        self._use_skin(self._skin_looks[fine])
        changed = False
        for key, value in skin_values(skin).items():
            old = self._head.get(key)
            if old is None or not np.allclose(np.asarray(old, dtype=np.float64), value, rtol=1e-6, atol=1e-7):
                self._head[key] = value
                changed = True
        if changed:
            self._head.update_tag()

    # -- clothing ----------------------------------------------------------------------------
    def update_clothing(self, look: LookSpec | None, mesh: ClothingMesh | None, model_to_world_m: np.ndarray) -> None:
        if look is None or look.clothing is None or mesh is None:
            if self._cloth_obj is not None:
                assign(self._cloth_obj, "hide_render", True)
            return
        if self._cloth_obj is None or not np.array_equal(self._cloth_quads, mesh.quads):
            self._build_cloth(mesh)
        obj = self._cloth_obj
        assign(obj, "hide_render", False)
        data = obj.data
        co = points_to_m(mesh.vertices).astype(np.float32)
        data.vertices.foreach_set("co", co.ravel())
        data.update()
        assign_matrix(obj, model_to_world_m)
        color = tuple(float(c) for c in look.clothing.color)
        old = obj.get(ATTR_CLOTH)
        if old is None or not np.allclose(np.asarray(old), color):
            obj[ATTR_CLOTH] = color
            obj.update_tag()

    def _build_cloth(self, mesh: ClothingMesh) -> None:
        bpy = self._bpy
        if self._cloth_obj is None:
            data = bpy.data.meshes.new("facesynth_clothing")
            self._cloth_obj = bpy.data.objects.new("facesynth_clothing", data)
            self._scene.collection.objects.link(self._cloth_obj)
            data.materials.append(_cloth_material(bpy))
            self.created += 1
        data = self._cloth_obj.data
        data.clear_geometry()  # same block, new topology (only when the style changes)
        q = mesh.quads
        data.vertices.add(len(mesh.vertices))
        data.loops.add(q.size)
        data.loops.foreach_set("vertex_index", q.astype(np.int32).ravel())
        data.polygons.add(len(q))
        data.polygons.foreach_set("loop_start", (np.arange(len(q)) * 4).astype(np.int32))
        data.vertices.foreach_set("co", points_to_m(mesh.vertices).astype(np.float32).ravel())
        data.update(calc_edges=True)
        data.shade_smooth()
        self._cloth_quads = q.copy()


class Sky:
    """Blender's physical sky (multiple scattering) in the world, switched in place of the HDRI."""

    def __init__(self, world: Any) -> None:
        tree = world.world.node_tree
        self._links = tree.links
        self._bg_color = world.background.inputs["Color"]
        self._env_out = world.env.outputs["Color"]
        self._strength = world.background.inputs["Strength"]
        self.node = tree.nodes.new("ShaderNodeTexSky")
        self.node.sky_type = "MULTIPLE_SCATTERING"
        self.on = False

    def update(self, look: LookSpec | None) -> bool:
        """Returns True when the sky is on (the HDRI's strength must then not be applied)."""
        sky = look.sky if look else None
        want = sky is not None
        if want != self.on:
            self._links.new(self.node.outputs["Color"] if want else self._env_out, self._bg_color)
            self.on = want
        if sky is not None:
            n = self.node
            assign(n, "sun_elevation", math.radians(sky.sun_elevation_deg))
            assign(n, "sun_rotation", math.radians(sky.sun_rotation_deg % 360.0))
            assign(n, "air_density", float(sky.air))
            assign(n, "aerosol_density", float(sky.aerosols))
            assign(self._strength, "default_value", float(sky.strength))
        return want

"""The groom in Blender: one Curves object per strand set, one mesh object per accessory mesh.

Objects are created the first time a name appears and then only rewritten (positions and radii
with foreach_set, in metres) or hidden, so a long render loop creates no data-blocks. Colours
are object attributes read by the shaders (no shader recompiles per subject):
Principled Hair BSDF with melanin / pheomelanin (redness) and a grey fraction of strands.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from facesynth.geometry.strands import GroomGeometry, GroomMesh, StrandSet
from facesynth.render.sync import assign, assign_matrix
from facesynth.render.units import matrix_to_m, points_to_m
from facesynth.sampling.groom import GroomSpec

ATTR_MELANIN = "facesynth_melanin"
ATTR_REDNESS = "facesynth_redness"
ATTR_GREY = "facesynth_grey"
ATTR_COLOUR = "facesynth_colour"
LASH_MELANIN = 0.9
HAIR_ROUGHNESS = 0.32
HAIR_MAX_DEPTH = 2  # scattering events inside hair before a path ends (4 cost ~25 % more, looked the same)
HAIR_MODEL = "CHIANG"  # Principled Hair BSDF model, set explicitly (the API docs name Huang the default)
CURVE_SHAPE = "RIBBONS"  # Cycles' camera-facing ribbons: what the labels rasterise, and the fast shape


def hair_render_settings() -> dict[str, object]:
    """The render choices the hair's cost depends on (pinned by tests, printed by the bench)."""
    return {"curve_shape": CURVE_SHAPE, "hair_model": HAIR_MODEL, "hair_max_depth": HAIR_MAX_DEPTH}


def apply_curve_settings(scene: Any) -> None:
    """Strands as ribbons, set explicitly rather than trusting the add-on's default."""
    scene.cycles_curves.shape = CURVE_SHAPE


def _attr(nodes: Any, name: str, output: str = "Fac") -> Any:
    node = nodes.new("ShaderNodeAttribute")
    node.attribute_type = "OBJECT"
    node.attribute_name = name
    return node.outputs[output]


def _material(bpy: Any, name: str) -> tuple[Any, Any, Any]:
    mat = bpy.data.materials.new(name)
    if mat.node_tree is None:
        mat.use_nodes = True
    tree = mat.node_tree
    tree.nodes.clear()
    out = tree.nodes.new("ShaderNodeOutputMaterial")
    return mat, tree, out


def hair_material(bpy: Any) -> Any:
    """Principled Hair BSDF (Chiang), melanin parametrisation; strands whose Hair Info random
    value falls under the grey fraction lose their pigment."""
    mat, tree, out = _material(bpy, "facesynth_hair")
    nodes, links = tree.nodes, tree.links
    bsdf = nodes.new("ShaderNodeBsdfHairPrincipled")
    bsdf.model = HAIR_MODEL
    bsdf.parametrization = "MELANIN"
    bsdf.inputs["Roughness"].default_value = HAIR_ROUGHNESS
    bsdf.inputs["Radial Roughness"].default_value = 0.3
    bsdf.inputs["Coat"].default_value = 0.1
    bsdf.inputs["Random Color"].default_value = 0.12
    bsdf.inputs["Random Roughness"].default_value = 0.15
    info = nodes.new("ShaderNodeHairInfo")
    grey = nodes.new("ShaderNodeMath")
    grey.operation = "LESS_THAN"
    links.new(info.outputs["Random"], grey.inputs[0])
    links.new(_attr(nodes, ATTR_GREY), grey.inputs[1])
    keep = nodes.new("ShaderNodeMath")  # 1 - 0.97 * grey
    keep.operation = "MULTIPLY_ADD"
    keep.inputs[1].default_value = -0.97
    keep.inputs[2].default_value = 1.0
    links.new(grey.outputs[0], keep.inputs[0])
    melanin = nodes.new("ShaderNodeMath")
    melanin.operation = "MULTIPLY"
    links.new(_attr(nodes, ATTR_MELANIN), melanin.inputs[0])
    links.new(keep.outputs[0], melanin.inputs[1])
    links.new(melanin.outputs[0], bsdf.inputs["Melanin"])
    links.new(_attr(nodes, ATTR_REDNESS), bsdf.inputs["Melanin Redness"])
    # Paths deep inside the hair end (a black, non-scattering closure): most of a strand's look is
    # its first few scattering events, and long hair otherwise multiplies the render time.
    depth = nodes.new("ShaderNodeLightPath")
    deep = nodes.new("ShaderNodeMath")
    deep.operation = "GREATER_THAN"
    deep.inputs[1].default_value = HAIR_MAX_DEPTH
    links.new(depth.outputs["Ray Depth"], deep.inputs[0])
    stop = nodes.new("ShaderNodeEmission")
    stop.inputs["Strength"].default_value = 0.0
    mix = nodes.new("ShaderNodeMixShader")
    links.new(deep.outputs[0], mix.inputs["Fac"])
    links.new(bsdf.outputs[0], mix.inputs[1])
    links.new(stop.outputs[0], mix.inputs[2])
    links.new(mix.outputs[0], out.inputs["Surface"])
    return mat


def _principled(bpy: Any, name: str, roughness: float, **inputs: float) -> tuple[Any, Any]:
    mat, tree, out = _material(bpy, name)
    bsdf = tree.nodes.new("ShaderNodeBsdfPrincipled")
    bsdf.inputs["Roughness"].default_value = roughness
    for key, value in inputs.items():
        bsdf.inputs[key.replace("_", " ")].default_value = value
    tree.links.new(bsdf.outputs[0], out.inputs["Surface"])
    return mat, bsdf


def frame_material(bpy: Any) -> Any:
    mat, bsdf = _principled(bpy, "facesynth_frame", 0.22, Coat_Weight=0.6)
    mat.node_tree.links.new(_attr(mat.node_tree.nodes, ATTR_COLOUR, "Color"), bsdf.inputs["Base Color"])
    return mat


# Light a lens lets through: clear glass; sunglasses of filter category 3 (8-18 % of visible light
# by ISO 12312-1), a little warm.
LENS_TINT = {False: (0.97, 0.98, 0.98, 1.0), True: (0.12, 0.11, 0.10, 1.0)}
LENS_IOR = 1.5


def lens_material(bpy: Any, sun: bool) -> Any:
    """Thin glass: a spectacle lens is a shell ~2 mm thick whose two faces cancel each other's
    bending, so rays (shadow rays too) go straight through, tinted, and a Fresnel share reflects.
    A refracting Principled surface on the one-sided lens mesh would bend the view into a glass
    body that has no back face, block shadow rays (dark eyes) and flare white at grazing angles."""
    mat, tree, out = _material(bpy, "facesynth_lens_sun" if sun else "facesynth_lens_clear")
    nodes, links = tree.nodes, tree.links
    through = nodes.new("ShaderNodeBsdfTransparent")
    through.inputs["Color"].default_value = LENS_TINT[sun]
    mirror = nodes.new("ShaderNodeBsdfGlossy")
    mirror.inputs["Roughness"].default_value = 0.02
    fresnel = nodes.new("ShaderNodeFresnel")
    fresnel.inputs["IOR"].default_value = LENS_IOR
    mix = nodes.new("ShaderNodeMixShader")
    links.new(fresnel.outputs[0], mix.inputs["Fac"])
    links.new(through.outputs[0], mix.inputs[1])
    links.new(mirror.outputs[0], mix.inputs[2])
    links.new(mix.outputs[0], out.inputs["Surface"])
    return mat


def knit_material(bpy: Any) -> Any:
    mat, bsdf = _principled(bpy, "facesynth_knit", 0.9, Sheen_Weight=0.6)
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    links.new(_attr(nodes, ATTR_COLOUR, "Color"), bsdf.inputs["Base Color"])
    wave = nodes.new("ShaderNodeTexWave")  # knit ribs around the cap
    wave.inputs["Scale"].default_value = 60.0
    wave.inputs["Distortion"].default_value = 3.0
    coords = nodes.new("ShaderNodeTexCoord")
    links.new(coords.outputs["Object"], wave.inputs["Vector"])
    bump = nodes.new("ShaderNodeBump")
    bump.inputs["Strength"].default_value = 0.5
    links.new(wave.outputs["Fac"], bump.inputs["Height"])
    links.new(bump.outputs["Normal"], bsdf.inputs["Normal"])
    return mat


class GroomObjects:
    """Mirrors a posed `GroomGeometry` into the scene, per sample."""

    def __init__(self, bpy: Any, collection: Any) -> None:
        self._bpy = bpy
        self._collection = collection
        self.objects: dict[str, Any] = {}
        self._materials: dict[str, Any] = {}
        self._written: dict[str, tuple[np.ndarray, ...]] = {}

    def _mat(self, kind: str) -> Any:
        if kind not in self._materials:
            make = {"hair": hair_material, "frame": frame_material, "knit": knit_material,
                    "lens_clear": lambda b: lens_material(b, False), "lens_sun": lambda b: lens_material(b, True)}
            mat = make[kind](self._bpy)
            # Pooled for the whole session: with a fake user, a material no object uses this sample
            # (clear lenses while sunglasses are on) is not counted as an orphan (a leak) by the soak.
            mat.use_fake_user = True
            self._materials[kind] = mat
        return self._materials[kind]

    def _object(self, name: str, data: Any) -> Any:
        obj = self._bpy.data.objects.new(f"facesynth_{name}", data)
        self._collection.objects.link(obj)
        self.objects[name] = obj
        return obj

    def update(self, groom: GroomGeometry | None, model_to_world_mm: np.ndarray, g: GroomSpec | None) -> bool:
        """Write this sample's groom; hide what it lacks. True when anything changed."""
        present: dict[str, StrandSet | GroomMesh] = {}
        if groom is not None:
            present.update({s.name: s for s in groom.strands})
            present.update({m.name: m for m in groom.meshes})
        changed = False
        matrix = matrix_to_m(model_to_world_mm)
        for name, item in present.items():
            if isinstance(item, StrandSet):
                changed |= self._write_strands(item)
            else:
                changed |= self._write_mesh(item)
            obj = self.objects[name]
            changed |= assign(obj, "hide_render", False)
            changed |= assign_matrix(obj, matrix)
            if g is not None:
                changed |= self._colours(obj, name, g)
        for name, obj in self.objects.items():
            if name not in present:
                changed |= assign(obj, "hide_render", True)
        return changed

    def _colours(self, obj: Any, name: str, g: GroomSpec) -> bool:
        melanin = {"eyelashes": LASH_MELANIN, "eyebrows": min(1.0, 0.25 + g.melanin * 0.9)}.get(name, g.melanin)
        grey = 0.0 if name == "eyelashes" else g.grey
        colour = g.headwear_color if name == "headwear" else g.glasses_color
        values: dict[str, Any] = {ATTR_MELANIN: melanin, ATTR_REDNESS: g.redness, ATTR_GREY: grey,
                                  ATTR_COLOUR: tuple(colour)}
        changed = False
        for key, value in values.items():
            old = obj.get(key)
            if old is None or not np.allclose(np.asarray(old, dtype=np.float64), value, atol=1e-7):
                obj[key] = value
                changed = True
        if changed:
            obj.update_tag()
        return changed

    def _same(self, name: str, arrays: tuple[np.ndarray, ...]) -> bool:
        old = self._written.get(name)
        return old is not None and len(old) == len(arrays) and all(
            a.shape == b.shape and np.array_equal(a, b) for a, b in zip(old, arrays, strict=True))

    def _write_strands(self, s: StrandSet) -> bool:
        pos = points_to_m(s.points.reshape(-1, 3)).astype(np.float32)
        rad = (np.asarray(s.radius, np.float64).reshape(-1) / 1000.0).astype(np.float32)
        if s.name in self.objects and self._same(s.name, (pos, rad)):
            return False
        if s.name not in self.objects:
            curves = self._bpy.data.hair_curves.new(f"facesynth_{s.name}")
            curves.materials.append(self._mat(s.material))
            self._object(s.name, curves)
        curves = self.objects[s.name].data
        n, p = s.points.shape[:2]
        if len(curves.curves) != n or len(curves.points) != n * p:
            curves.remove_curves()
            curves.add_curves([p] * n)
        curves.position_data.foreach_set("vector", pos.ravel())
        radius = curves.attributes.get("radius") or curves.attributes.new("radius", "FLOAT", "POINT")
        radius.data.foreach_set("value", rad)
        curves.update_tag()
        self._written[s.name] = (pos, rad)
        return True

    def _write_mesh(self, m: GroomMesh) -> bool:
        co = points_to_m(m.vertices).astype(np.float32)
        tris = np.asarray(m.triangles, np.int32)
        mat = self._mat(m.material)
        if m.name in self.objects and self._same(m.name, (co, tris)):
            # the same lens shape may switch between clear and sunglass glass
            slots = self.objects[m.name].data.materials
            if slots[0] == mat:
                return False
            slots[0] = mat
            return True
        if m.name in self.objects:
            mesh = self.objects[m.name].data
            mesh.clear_geometry()
        else:
            mesh = self._bpy.data.meshes.new(f"facesynth_{m.name}")
            self._object(m.name, mesh)
        mesh.vertices.add(len(m.vertices))
        mesh.vertices.foreach_set("co", co.ravel())
        mesh.loops.add(tris.size)
        mesh.loops.foreach_set("vertex_index", tris.ravel())
        mesh.polygons.add(len(tris))
        mesh.polygons.foreach_set("loop_start", np.arange(0, tris.size, 3, dtype=np.int32))
        mesh.update(calc_edges=True)
        mesh.shade_smooth()
        mesh.materials.clear()
        mesh.materials.append(mat)
        self._written[m.name] = (co, tris)
        return True

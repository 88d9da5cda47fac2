"""The `look.skin` material: two-pigment albedo with regional colour, freckles, moles, pores,
fine wrinkles, roughness by region and subsurface radius by tone.

Built once; per subject only the head object's attributes change (albedos from
facesynth.appearance.skin, pattern amounts), so Cycles recompiles nothing between samples.
Region weights are two per-vertex colour attributes (facesynth.appearance.skin_regions).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from facesynth.appearance.skin import blood_fraction, pigment_albedo
from facesynth.appearance.skin_regions import ATTR_A, ATTR_B, skin_region_weights
from facesynth.sampling.spec_look import SkinSpec

# Object attributes read by the shader (per subject)
COLOURS = ("base", "flush", "lips", "under_eye", "freckle", "mole")
ATTR_PARAMS = "facesynth_skin_params"  # (freckles, moles share, pores, wrinkles)
ATTR_PARAMS2 = "facesynth_skin_params2"  # (oiliness, pattern seed, unused, unused)
ATTR_SSS = "facesynth_skin_sss"
MOLE_CELLS_PER_M = 60.0  # ~17 mm cells; a drawn share of them holds one mole
MAX_MOLES = 40
FRECKLE_CELLS_PER_M = 500.0  # ~2 mm
PORE_CELLS_PER_M = 1400.0
SSS_SCALE_M = 0.004
# Random walk, set explicitly. Christensen-Burley rendered the bald sample faster
# (bench/realism_cost.py) but bled orange light around the eyelids (thin geometry), so it was
# not adopted (docs/groom.md#cost).
SSS_METHOD = "RANDOM_WALK"
# Pores (0.7 mm cells, each pore a fraction of that) and the finest noise (0.3 mm) are far
# below a pixel at the preset's scale (0.9-1.2 mm per pixel): as bump they only add per-pixel
# noise that adaptive sampling cannot stop early, and a triple evaluation of their textures.
# They stay bump once a pixel is at most half a pore cell (close-ups); at coarser pixels their
# average effect, a broader highlight, goes into the roughness instead (as a filtered normal
# map would).
FINE_DETAIL_MM = 0.5 * 1000.0 / PORE_CELLS_PER_M
PORE_ROUGHNESS = 0.12  # added roughness per unit `pores` when pores are not bump
FINE_ROUGHNESS = 0.04  # and for the finest noise, always present
# Mean free path per channel (red deepest); darker skin absorbs more in the epidermis, so its
# subsurface blur is shorter in blue/green (a softer, less waxy look).
SSS_LIGHT = np.array([1.0, 0.40, 0.25])
SSS_DARK = np.array([0.75, 0.25, 0.12])


def skin_colours(s: SkinSpec) -> dict[str, tuple[float, float, float]]:
    """The six albedos the shader mixes: pigment changes per region, all from the two-pigment model."""
    blood = s.haemoglobin
    flush_blood = blood + blood_fraction(0.5) * 1.5 * s.flush
    return {
        "base": pigment_albedo(s.melanin, blood),
        "flush": pigment_albedo(s.melanin, flush_blood),
        "lips": pigment_albedo(s.melanin * 0.7, blood + blood_fraction(1.0) * (1.0 + s.flush)),
        "under_eye": pigment_albedo(s.melanin * 1.35 + 0.01, blood * 1.3),
        "freckle": pigment_albedo(min(0.6, s.melanin * 1.8 + 0.05), blood),
        "mole": pigment_albedo(min(0.7, s.melanin * 2.5 + 0.2), blood),
    }


def skin_values(s: SkinSpec) -> dict[str, tuple[float, ...]]:
    """Every object attribute of the look skin for subject spec `s`."""
    out: dict[str, tuple[float, ...]] = {f"facesynth_skin_{k}": v for k, v in skin_colours(s).items()}
    t = float(np.clip(s.melanin / 0.5, 0.0, 1.0))
    out[ATTR_PARAMS] = (s.freckles, s.moles / MAX_MOLES, s.pores, s.wrinkles)
    out[ATTR_PARAMS2] = (s.oiliness, s.pattern_seed, 0.0, 0.0)
    out[ATTR_SSS] = tuple(float(x) for x in SSS_LIGHT * (1 - t) + SSS_DARK * t)
    return out


def write_region_attributes(mesh: Any, pack: Any) -> None:
    """The two per-vertex region-weight attributes (once per session)."""
    for name, values in zip((ATTR_A, ATTR_B), skin_region_weights(pack), strict=True):
        attr = mesh.color_attributes.get(name) or mesh.color_attributes.new(name, "FLOAT_COLOR", "POINT")
        attr.data.foreach_set("color", np.ascontiguousarray(values, dtype=np.float32).ravel())


class _Nodes:
    """Tiny helpers so the node graph below reads like the maths it does."""

    def __init__(self, tree: Any) -> None:
        self.nodes, self.links = tree.nodes, tree.links

    def link(self, src: Any, dst: Any) -> None:
        if isinstance(src, int | float | tuple):
            dst.default_value = src
        else:
            self.links.new(src, dst)

    def obj(self, name: str) -> Any:
        node = self.nodes.new("ShaderNodeAttribute")
        node.attribute_type, node.attribute_name = "OBJECT", name
        return node

    def geo(self, name: str) -> Any:
        node = self.nodes.new("ShaderNodeAttribute")
        node.attribute_type, node.attribute_name = "GEOMETRY", name
        return node

    def split(self, vec: Any) -> Any:
        node = self.nodes.new("ShaderNodeSeparateXYZ")
        self.link(vec, node.inputs[0])
        return node.outputs

    def math(self, op: str, a: Any, b: Any = 0.0, c: Any = 0.0, *, clamp: bool = False) -> Any:
        node = self.nodes.new("ShaderNodeMath")
        node.operation, node.use_clamp = op, clamp
        for sock, value in zip(node.inputs, (a, b, c), strict=False):
            self.link(value, sock)
        return node.outputs[0]

    def mix(self, fac: Any, a: Any, b: Any) -> Any:
        node = self.nodes.new("ShaderNodeMix")
        node.data_type = "RGBA"
        self.link(fac, node.inputs[0])
        self.link(a, node.inputs[6])
        self.link(b, node.inputs[7])
        return node.outputs[2]

    def vadd(self, a: Any, b: Any) -> Any:
        node = self.nodes.new("ShaderNodeVectorMath")
        node.operation = "ADD"
        self.link(a, node.inputs[0])
        self.link(b, node.inputs[1])
        return node.outputs[0]

    def voronoi(self, vec: Any, scale: float) -> Any:
        node = self.nodes.new("ShaderNodeTexVoronoi")
        self.link(vec, node.inputs["Vector"])
        node.inputs["Scale"].default_value = scale
        return node.outputs

    def noise(self, vec: Any, scale: float, detail: float = 2.0) -> Any:
        node = self.nodes.new("ShaderNodeTexNoise")
        self.link(vec, node.inputs["Vector"])
        node.inputs["Scale"].default_value = scale
        node.inputs["Detail"].default_value = detail
        return node.outputs["Fac"]

    def wave(self, vec: Any, scale: float, direction: str, distortion: float) -> Any:
        node = self.nodes.new("ShaderNodeTexWave")
        node.wave_type, node.bands_direction = "BANDS", direction
        self.link(vec, node.inputs["Vector"])
        node.inputs["Scale"].default_value = scale
        node.inputs["Distortion"].default_value = distortion
        node.inputs["Detail"].default_value = 2.0
        return node.outputs["Fac"]


def skin_render_settings() -> dict[str, object]:
    """The render choices the look skin's cost depends on (pinned by tests, printed by the bench)."""
    return {"subsurface_method": SSS_METHOD, "pores_as_bump_below_mm_per_px": round(FINE_DETAIL_MM, 3)}


def pixel_footprint_mm(camera: Any, distance_mm: float) -> float:
    """Width of one pixel at the head (`distance_mm` from a perspective camera), mm."""
    fx = float(camera.K[0, 0])
    return distance_mm / fx if camera.is_perspective else 1.0 / fx


def fine_bump(pixel_mm: float) -> bool:
    """Whether pores and the finest noise are bump (True) or roughness at this pixel footprint."""
    return pixel_mm <= FINE_DETAIL_MM


def build_skin_look(bpy: Any, *, fine: bool = False) -> Any:
    """The look skin material (one per session and `fine`, see `fine_bump`)."""
    mat = bpy.data.materials.new("facesynth_skin_look_fine" if fine else "facesynth_skin_look")
    if mat.node_tree is None:  # Blender < 5
        mat.use_nodes = True
    tree = mat.node_tree
    tree.nodes.clear()
    n = _Nodes(tree)
    bsdf = tree.nodes.new("ShaderNodeBsdfPrincipled")
    out = tree.nodes.new("ShaderNodeOutputMaterial")
    n.link(bsdf.outputs["BSDF"], out.inputs["Surface"])
    col = {k: n.obj(f"facesynth_skin_{k}").outputs["Color"] for k in COLOURS}
    params = n.split(n.obj(ATTR_PARAMS).outputs["Vector"])
    freckles, moles, pores, wrinkles = params[0], params[1], params[2], n.obj(ATTR_PARAMS).outputs["Alpha"]
    params2 = n.split(n.obj(ATTR_PARAMS2).outputs["Vector"])
    oily, seed = params2[0], params2[1]
    a_node, b_node = n.geo(ATTR_A), n.geo(ATTR_B)
    a = n.split(a_node.outputs["Vector"])
    flush_w, lips_w, under_w, tzone_w = a[0], a[1], a[2], a_node.outputs["Alpha"]
    b = n.split(b_node.outputs["Vector"])
    forehead_w, crows_w, freckle_zone = b[0], b[1], b[2]
    coords = tree.nodes.new("ShaderNodeTexCoord").outputs["Object"]
    p = n.vadd(coords, seed)  # a subject's own patterns

    # colour: base -> flush (cheeks, nose) -> under-eye -> lips -> freckles -> moles
    blotch = n.noise(p, 60.0, 3.0)  # mottled, not airbrushed
    flush_amt = n.math("MULTIPLY", flush_w, n.math("MULTIPLY_ADD", blotch, 0.8, 0.6), clamp=True)
    c = n.mix(flush_amt, col["base"], col["flush"])
    c = n.mix(n.math("MULTIPLY", under_w, 0.7), c, col["under_eye"])
    c = n.mix(lips_w, c, col["lips"])
    fv = n.voronoi(p, FRECKLE_CELLS_PER_M)
    freckle_on = n.math("LESS_THAN", fv["Color"], freckles)  # share of cells with a freckle (grey = R)
    freckle_shape = n.math("LESS_THAN", fv["Distance"], n.math("MULTIPLY_ADD", blotch, 0.3, 0.2))
    freckle = n.math("MULTIPLY", n.math("MULTIPLY", freckle_on, freckle_shape), freckle_zone)
    c = n.mix(n.math("MULTIPLY", freckle, 0.8), c, col["freckle"])
    mv = n.voronoi(p, MOLE_CELLS_PER_M)
    mole_on = n.math("LESS_THAN", mv["Color"], moles)
    mole = n.math("MULTIPLY", mole_on, n.math("LESS_THAN", mv["Distance"], 0.05))
    c = n.mix(mole, c, col["mole"])
    n.link(c, bsdf.inputs["Base Color"])

    # roughness: oily T-zone, glossier lips, fine variation
    rough = n.math("MULTIPLY_ADD", n.noise(p, 40.0), 0.12, 0.4)
    rough = n.math("SUBTRACT", rough, n.math("MULTIPLY", n.math("MULTIPLY", tzone_w, oily), 0.15))
    rough = n.math("SUBTRACT", rough, n.math("MULTIPLY", lips_w, 0.12), clamp=True)
    if not fine:  # pores and fine noise below the pixel: their broader highlight, not their noise
        rough = n.math("ADD", rough, n.math("MULTIPLY_ADD", pores, PORE_ROUGHNESS, FINE_ROUGHNESS), clamp=True)
    n.link(rough, bsdf.inputs["Roughness"])
    n.link(0.5, bsdf.inputs["Specular IOR Level"])

    # height: pores everywhere (when `fine`), horizontal forehead lines, crow's feet
    lines = n.wave(coords, 250.0, "Z", 3.0)  # object Z is up in Blender: bands stacked vertically
    forehead = n.math("MULTIPLY", n.math("MULTIPLY", lines, forehead_w), wrinkles)
    crows = n.math("MULTIPLY", n.math("MULTIPLY", n.wave(coords, 400.0, "Y", 6.0), crows_w), wrinkles)
    height = n.math("MULTIPLY", n.math("ADD", forehead, crows), 2.0)
    if fine:
        pv = n.voronoi(p, PORE_CELLS_PER_M)
        pore = n.math("MULTIPLY", n.math("SUBTRACT", 1.0, n.math("LESS_THAN", pv["Distance"], 0.25)), pores)
        height = n.math("ADD", n.math("ADD", pore, n.math("MULTIPLY", n.noise(p, 3000.0, 4.0), 0.5)), height)
    bump = tree.nodes.new("ShaderNodeBump")
    bump.inputs["Strength"].default_value = 0.35
    bump.inputs["Distance"].default_value = 0.0002
    n.link(height, bump.inputs["Height"])
    n.link(bump.outputs["Normal"], bsdf.inputs["Normal"])

    bsdf.subsurface_method = SSS_METHOD
    n.link(1.0, bsdf.inputs["Subsurface Weight"])
    n.link(SSS_SCALE_M, bsdf.inputs["Subsurface Scale"])
    n.link(n.obj(ATTR_SSS).outputs["Vector"], bsdf.inputs["Subsurface Radius"])
    return mat

"""Materials of the head: one Blender material per role, one slot per face-pack region.

A region's role comes from its name in the pack's region table (keywords, so the table can grow
without touching this file). Hidden roles (eye occlusion, eye blend, lacrimal fluid: helper
meshes meant for real-time shaders) get no polygons in the Blender mesh at all.
Per sample only node input values change (skin tone, iris colour, texture file paths).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from facesynth.errors import UserError
from facesynth.render._bpy import require_pixels
from facesynth.render.mesh import LOWER_LASH_ATTR
from facesynth.render.sync import assign

HIDDEN = "hidden"
ROLE_KEYWORDS: tuple[tuple[str, str], ...] = (
    # first match wins; order matters ("eye socket" before "eye", "iris" before "eyeball")
    ("occlusion", HIDDEN),
    ("blend", HIDDEN),
    ("lacrimal", HIDDEN),
    ("lash", "eyelashes"),
    ("iris", "iris"),
    ("pupil", "iris"),
    ("cornea", "iris"),
    ("sclera", "sclera"),
    ("eyeball", "sclera"),
    ("eye_socket", "socket"),
    ("eye socket", "socket"),
    ("mouth", "mouth"),
    ("teeth", "teeth"),
    ("tooth", "teeth"),
    ("gum", "gums"),
    ("tongue", "gums"),
)

# Linear-RGB albedo of the lightest and darkest skin of the tone scale. Interpolating
# geometrically (albedo = light^(1-t) * dark^t) mimics melanin: absorption multiplies.
SKIN_LIGHT = np.array([0.68, 0.47, 0.37])
SKIN_DARK = np.array([0.11, 0.060, 0.038])
# Mean free path per channel (red scatters deepest in skin), times SUBSURFACE_SCALE_M metres.
SKIN_SSS_RADIUS = (1.0, 0.35, 0.2)
SUBSURFACE_SCALE_M = 0.004
PORE_SCALE = 900.0  # noise cells per metre in object space: ~1 mm pores
TEXTURE_KINDS = ("albedo", "normal", "roughness")


def role_of(region_name: str) -> str:
    name = region_name.lower()
    for key, role in ROLE_KEYWORDS:
        if key in name:
            return role
    return "skin"


def skin_albedo(skin_tone: float) -> tuple[float, float, float]:
    """Linear albedo for skin tone 0 (lightest) .. 1 (darkest)."""
    t = float(np.clip(skin_tone, 0.0, 1.0))
    rgb = SKIN_LIGHT ** (1.0 - t) * SKIN_DARK**t
    return (float(rgb[0]), float(rgb[1]), float(rgb[2]))


def _attribute(nodes: Any, name: str) -> Any:
    """The colour output of an object-attribute node reading the head's property `name`."""
    node = nodes.new("ShaderNodeAttribute")
    node.attribute_type = "OBJECT"
    node.attribute_name = name
    return node.outputs["Color"]


def _socket(sockets: Any, name: str, type_: str | None = None) -> Any:
    """Sockets by name, disambiguated by type (Mix nodes repeat 'A'/'B' for each data type)."""
    for s in sockets:
        if s.name == name and (type_ is None or s.type == type_):
            return s
    raise KeyError(name)


# Packs whose eyeball UVs are centred on the pupil (ICT-FaceKit follows Unreal's digital-human eye:
# the outer 'sclera' shell carries the iris in its texture, UV radius ~0.0045 per degree from the
# eye axis). Their sclera gets a procedural iris: (u, v, iris radius, pupil radius) in UV units.
UV_CENTRED_IRIS: dict[str, tuple[float, float, float, float]] = {
    "ict-facekit": (0.5, 0.5, 0.13, 0.045),
}
SCLERA_WHITE = (0.80, 0.76, 0.72)
IRIS_DARKENING = 0.35  # the limbal ring and ICT's inner iris mesh: the iris colour darkened
LASH_STRANDS_PER_UV = 150.0  # wave scale along U; ICT's lash strip spans ~0.5 in U
# Wave crests above LASH_CREST are strands, opaque at their centre: at 1 mm per pixel the upper
# lashes merge into the dark lid line a camera sees. (Thinner, 0.8-opaque strands read as a grey
# smear; dlib's HOG scored the dense line +0.06 +- 0.01 higher on 24 paired renders, docs/realism.md.)
LASH_CREST = 0.45
LASH_OPACITY = 1.0
LOWER_LASH_OPACITY = 0.35
"""The lower lid's strip: lower lashes are fewer, shorter and finer than the upper ones, so a
camera sees them as a faint fringe, not the dark eyeliner-like line of an opaque strip."""
# Lids shade the eyeball next to them: ambient occlusion within this distance (the lid's
# thickness, a few mm), from the head's own mesh only, darkens the eye's colour and its coat.
LID_SHADOW_M = 0.004

# Object attributes (custom properties of the head object) that the shaders read.
ATTR_SKIN = "facesynth_skin_albedo"
ATTR_IRIS = "facesynth_iris"
ATTR_IRIS_DARK = "facesynth_iris_dark"


@dataclass
class HeadMaterials:
    """The role materials and the node inputs that change per sample."""

    by_role: dict[str, Any]
    texture_images: dict[str, Any] = field(default_factory=dict)
    texture_factors: dict[str, list[Any]] = field(default_factory=dict)
    texture_paths: dict[str, str] = field(default_factory=dict)

    def update(self, head: Any, skin_tone: float, iris_color: tuple[float, float, float],
               textures: Mapping[str, str], sample_id: str) -> None:
        """Per-subject colours go into the head object's attributes, not into the node trees:
        Cycles then updates one object instead of recompiling every shader."""
        values = {
            ATTR_SKIN: skin_albedo(skin_tone),
            ATTR_IRIS: tuple(float(c) for c in iris_color),
            ATTR_IRIS_DARK: tuple(IRIS_DARKENING * float(c) for c in iris_color),
        }
        changed = False
        for key, rgb in values.items():
            old = head.get(key)
            if old is None or not np.allclose(np.asarray(old, dtype=np.float64), rgb, rtol=1e-6, atol=1e-7):
                head[key] = rgb
                changed = True
        if changed:
            head.update_tag()
        for kind in TEXTURE_KINDS:
            self._set_texture(kind, textures.get(kind), sample_id)

    def _set_texture(self, kind: str, path: str | None, sample_id: str) -> None:
        on = path is not None
        if on and self.texture_paths.get(kind) != path:
            p = Path(path).expanduser()
            if not p.is_file():
                raise UserError(f"sample {sample_id}: subject.textures {kind}: file not found: {p}")
            img = self.texture_images[kind]
            img.source = "FILE"  # the placeholder starts as a generated image
            img.filepath = str(p)  # one image block per kind, re-pointed: no growth
            img.reload()
            self.texture_paths.pop(kind, None)  # until it is known to load
            require_pixels(img, p, f"sample {sample_id}: subject.textures {kind}")
            if kind != "albedo":  # normals and roughness are data, not colour
                img.colorspace_settings.name = "Non-Color"
            self.texture_paths[kind] = path
        for sock in self.texture_factors.get(kind, []):
            assign(sock, "default_value", 1.0 if on else 0.0)


def _new_material(bpy: Any, name: str) -> tuple[Any, Any, Any]:
    mat = bpy.data.materials.new(name)
    if mat.node_tree is None:  # Blender < 5 needs the (deprecated in 5.0) switch
        mat.use_nodes = True
    nodes = mat.node_tree.nodes
    nodes.clear()
    bsdf = nodes.new("ShaderNodeBsdfPrincipled")
    out = nodes.new("ShaderNodeOutputMaterial")
    mat.node_tree.links.new(bsdf.outputs["BSDF"], out.inputs["Surface"])
    return mat, mat.node_tree, bsdf


def _simple(bpy: Any, name: str, color: tuple[float, float, float], roughness: float, *,
            sss: float = 0.0, coat: float = 0.0) -> Any:
    mat, _, bsdf = _new_material(bpy, name)
    bsdf.inputs["Base Color"].default_value = (*color, 1.0)
    bsdf.inputs["Roughness"].default_value = roughness
    bsdf.inputs["Subsurface Weight"].default_value = sss
    bsdf.inputs["Subsurface Scale"].default_value = 0.002
    bsdf.inputs["Coat Weight"].default_value = coat
    bsdf.inputs["Coat Roughness"].default_value = 0.03
    return mat


def _skin(bpy: Any, hm: HeadMaterials, images: dict[str, Any]) -> Any:
    mat, tree, bsdf = _new_material(bpy, "facesynth_skin")
    nodes, links = tree.nodes, tree.links
    bsdf.inputs["Subsurface Weight"].default_value = 1.0
    bsdf.inputs["Subsurface Radius"].default_value = SKIN_SSS_RADIUS
    bsdf.inputs["Subsurface Scale"].default_value = SUBSURFACE_SCALE_M
    bsdf.inputs["Specular IOR Level"].default_value = 0.45
    coords = nodes.new("ShaderNodeTexCoord")
    uv = nodes.new("ShaderNodeUVMap")

    # albedo: procedural tone, or the subject's texture when given (factor 0/1 per sample)
    albedo_img = nodes.new("ShaderNodeTexImage")
    albedo_img.image = images["albedo"]
    links.new(uv.outputs["UV"], albedo_img.inputs["Vector"])
    mix = nodes.new("ShaderNodeMix")
    mix.data_type = "RGBA"
    links.new(_attribute(nodes, ATTR_SKIN), _socket(mix.inputs, "A", "RGBA"))
    links.new(albedo_img.outputs["Color"], _socket(mix.inputs, "B", "RGBA"))
    hm.texture_factors.setdefault("albedo", []).append(_socket(mix.inputs, "Factor", "VALUE"))
    links.new(_socket(mix.outputs, "Result", "RGBA"), bsdf.inputs["Base Color"])

    # roughness: large-scale variation (oilier T-zone feel) or the subject's roughness map
    rough_noise = nodes.new("ShaderNodeTexNoise")
    rough_noise.inputs["Scale"].default_value = 40.0
    links.new(coords.outputs["Object"], rough_noise.inputs["Vector"])
    rough_range = nodes.new("ShaderNodeMapRange")
    rough_range.inputs["To Min"].default_value = 0.38
    rough_range.inputs["To Max"].default_value = 0.58
    links.new(rough_noise.outputs["Factor"], rough_range.inputs["Value"])
    rough_img = nodes.new("ShaderNodeTexImage")
    rough_img.image = images["roughness"]
    links.new(uv.outputs["UV"], rough_img.inputs["Vector"])
    rmix = nodes.new("ShaderNodeMix")
    links.new(rough_range.outputs["Result"], _socket(rmix.inputs, "A", "VALUE"))
    links.new(rough_img.outputs["Color"], _socket(rmix.inputs, "B", "VALUE"))
    hm.texture_factors.setdefault("roughness", []).append(_socket(rmix.inputs, "Factor", "VALUE"))
    links.new(_socket(rmix.outputs, "Result", "VALUE"), bsdf.inputs["Roughness"])

    # pores: fine noise -> bump, on top of the subject's normal map when given
    pores = nodes.new("ShaderNodeTexNoise")
    pores.inputs["Scale"].default_value = PORE_SCALE
    pores.inputs["Detail"].default_value = 3.0
    links.new(coords.outputs["Object"], pores.inputs["Vector"])
    bump = nodes.new("ShaderNodeBump")
    bump.inputs["Strength"].default_value = 0.25
    bump.inputs["Distance"].default_value = 0.0003
    links.new(pores.outputs["Factor"], bump.inputs["Height"])
    normal_img = nodes.new("ShaderNodeTexImage")
    normal_img.image = images["normal"]
    links.new(uv.outputs["UV"], normal_img.inputs["Vector"])
    nmap = nodes.new("ShaderNodeNormalMap")
    links.new(normal_img.outputs["Color"], nmap.inputs["Color"])
    hm.texture_factors.setdefault("normal", []).append(nmap.inputs["Strength"])
    links.new(nmap.outputs["Normal"], bump.inputs["Normal"])
    links.new(bump.outputs["Normal"], bsdf.inputs["Normal"])
    return mat


def _eye_with_iris(bpy: Any, hm: HeadMaterials, centre_uv: tuple[float, float], iris_r: float,
                   pupil_r: float) -> Any:
    """Eyeball shell: sclera, iris disc with limbal ring, pupil, mottling; glossy cornea coat."""
    mat, tree, bsdf = _new_material(bpy, "facesynth_sclera")
    nodes, links = tree.nodes, tree.links
    bsdf.inputs["Roughness"].default_value = 0.15
    bsdf.inputs["Coat Weight"].default_value = 1.0
    bsdf.inputs["Coat Roughness"].default_value = 0.02
    bsdf.inputs["Subsurface Weight"].default_value = 0.2
    bsdf.inputs["Subsurface Scale"].default_value = 0.001
    uv = nodes.new("ShaderNodeUVMap")
    dist = nodes.new("ShaderNodeVectorMath")
    dist.operation = "DISTANCE"
    dist.inputs[1].default_value = (centre_uv[0], centre_uv[1], 0.0)
    links.new(uv.outputs["UV"], dist.inputs[0])
    sclera = nodes.new("ShaderNodeValToRGB")  # white, reddening toward the back of the eye
    els = sclera.color_ramp.elements
    els[0].position, els[0].color = iris_r + 0.012, (*SCLERA_WHITE, 1.0)
    els[1].position, els[1].color = 1.0, (0.62, 0.50, 0.46, 1.0)
    links.new(dist.outputs["Value"], sclera.inputs["Fac"])

    def ramp(d0: float, d1: float, v0: float, v1: float) -> Any:
        node = nodes.new("ShaderNodeMapRange")  # clamped linear ramp of the UV distance
        node.inputs["From Min"].default_value, node.inputs["From Max"].default_value = d0, d1
        node.inputs["To Min"].default_value, node.inputs["To Max"].default_value = v0, v1
        links.new(dist.outputs["Value"], node.inputs["Value"])
        return node.outputs["Result"]

    def mix(fac: Any, a: Any, b: Any, blend: str = "MIX") -> Any:
        node = nodes.new("ShaderNodeMix")
        node.data_type, node.blend_type = "RGBA", blend
        for sock, src in ((_socket(node.inputs, "Factor", "VALUE"), fac), (_socket(node.inputs, "A", "RGBA"), a),
                          (_socket(node.inputs, "B", "RGBA"), b)):
            if isinstance(src, float | tuple):
                sock.default_value = src
            else:
                links.new(src, sock)
        return _socket(node.outputs, "Result", "RGBA")

    iris = mix(1.0, _attribute(nodes, ATTR_IRIS), ramp(iris_r - 0.03, iris_r, 1.0, IRIS_DARKENING), "MULTIPLY")
    eye = mix(ramp(iris_r + 0.004, iris_r - 0.004, 0.0, 1.0), sclera.outputs["Color"], iris)
    eye = mix(ramp(pupil_r + 0.008, pupil_r, 0.0, 1.0), eye, (0.005, 0.005, 0.005, 1.0))
    # fibre-like mottling: noise multiplied into the colour (subtle on the sclera)
    noise = nodes.new("ShaderNodeTexNoise")
    noise.inputs["Scale"].default_value = 60.0
    noise.inputs["Detail"].default_value = 4.0
    links.new(uv.outputs["UV"], noise.inputs["Vector"])
    shade = nodes.new("ShaderNodeMapRange")
    shade.inputs["To Min"].default_value = 0.7
    shade.inputs["To Max"].default_value = 1.25
    links.new(noise.outputs["Factor"], shade.inputs["Value"])
    mul = nodes.new("ShaderNodeMix")
    mul.data_type = "RGBA"
    mul.blend_type = "MULTIPLY"
    _socket(mul.inputs, "Factor", "VALUE").default_value = 1.0
    links.new(eye, _socket(mul.inputs, "A", "RGBA"))
    links.new(shade.outputs["Result"], _socket(mul.inputs, "B", "RGBA"))
    _lid_shadow(tree, bsdf, _socket(mul.outputs, "Result", "RGBA"))
    return mat


def _lid_shadow(tree: Any, bsdf: Any, color: Any) -> None:
    """Feed `color` to the eyeball's Base Color through local ambient occlusion (the lids'
    shadow), which also scales the glossy coat: no sky reflection deep in the lid's crease."""
    ao = tree.nodes.new("ShaderNodeAmbientOcclusion")
    ao.only_local, ao.samples = True, 16
    ao.inputs["Distance"].default_value = LID_SHADOW_M
    if isinstance(color, tuple):
        ao.inputs["Color"].default_value = (*color, 1.0)
    else:
        tree.links.new(color, ao.inputs["Color"])
    tree.links.new(ao.outputs["Color"], bsdf.inputs["Base Color"])
    tree.links.new(ao.outputs["AO"], bsdf.inputs["Coat Weight"])


def _lashes(bpy: Any) -> Any:
    """Eyelash strips without an alpha texture: thin procedural strands across the strip (bands
    along U, which runs along the lid in ICT's layout), so the lash line reads as hair instead of
    an opaque band lying on the skin."""
    mat, tree, bsdf = _new_material(bpy, "facesynth_eyelashes")
    nodes, links = tree.nodes, tree.links
    bsdf.inputs["Base Color"].default_value = (0.012, 0.008, 0.006, 1.0)
    bsdf.inputs["Roughness"].default_value = 0.45
    uv = nodes.new("ShaderNodeUVMap")
    bands = nodes.new("ShaderNodeTexWave")
    bands.wave_type, bands.bands_direction = "BANDS", "X"
    bands.inputs["Scale"].default_value = LASH_STRANDS_PER_UV
    bands.inputs["Distortion"].default_value = 2.0
    links.new(uv.outputs["UV"], bands.inputs["Vector"])
    strands = nodes.new("ShaderNodeMapRange")  # keep the crests: thin strands, wide gaps
    strands.inputs["From Min"].default_value, strands.inputs["From Max"].default_value = LASH_CREST, 0.95
    strands.inputs["To Max"].default_value = LASH_OPACITY
    links.new(bands.outputs["Fac"], strands.inputs["Value"])
    lower = nodes.new("ShaderNodeAttribute")
    lower.attribute_type, lower.attribute_name = "GEOMETRY", LOWER_LASH_ATTR
    sparser = nodes.new("ShaderNodeMapRange")  # 1 on the upper strip, LOWER_LASH_OPACITY on the lower
    sparser.inputs["To Min"].default_value, sparser.inputs["To Max"].default_value = 1.0, LOWER_LASH_OPACITY
    links.new(lower.outputs["Fac"], sparser.inputs["Value"])
    alpha = nodes.new("ShaderNodeMath")
    alpha.operation = "MULTIPLY"
    links.new(strands.outputs["Result"], alpha.inputs[0])
    links.new(sparser.outputs["Result"], alpha.inputs[1])
    links.new(alpha.outputs[0], bsdf.inputs["Alpha"])
    return mat


def _simple_sclera(bpy: Any) -> Any:
    """A pack's eyeball without a UV-centred iris (its iris is its own region): white, shaded by the lids."""
    mat = _simple(bpy, "facesynth_sclera", SCLERA_WHITE, 0.08, sss=0.2, coat=1.0)
    _lid_shadow(mat.node_tree, next(n for n in mat.node_tree.nodes if n.type == "BSDF_PRINCIPLED"), SCLERA_WHITE)
    return mat


def _texture_images(bpy: Any) -> dict[str, Any]:
    """One placeholder image per texture kind, re-pointed at the subject's files per sample."""
    images = {}
    for kind in TEXTURE_KINDS:
        img = bpy.data.images.new(f"facesynth_{kind}", 4, 4)
        if kind != "albedo":
            img.colorspace_settings.name = "Non-Color"
        images[kind] = img
    return images


def build_materials(bpy: Any, roles: set[str], pack_name: str = "") -> HeadMaterials:
    """Create one material per role used by the pack (hidden roles get none)."""
    hm = HeadMaterials(by_role={})
    images = _texture_images(bpy)
    hm.texture_images = images
    eye = UV_CENTRED_IRIS.get(pack_name)
    builders = {
        "skin": lambda: _skin(bpy, hm, images),
        "sclera": lambda: (_eye_with_iris(bpy, hm, eye[:2], eye[2], eye[3]) if eye else _simple_sclera(bpy)),
        "iris": lambda: _simple(bpy, "facesynth_iris", (0.25, 0.15, 0.08), 0.2, coat=1.0),
        "eyelashes": lambda: _lashes(bpy),
        "teeth": lambda: _simple(bpy, "facesynth_teeth", (0.80, 0.74, 0.62), 0.25, sss=0.3),
        "gums": lambda: _simple(bpy, "facesynth_gums", (0.55, 0.16, 0.15), 0.3, sss=0.6),
        "mouth": lambda: _simple(bpy, "facesynth_mouth", (0.035, 0.008, 0.008), 0.6),
        "socket": lambda: _simple(bpy, "facesynth_socket", (0.55, 0.28, 0.25), 0.3, sss=0.5),
    }
    for role in sorted(roles - {HIDDEN}):
        hm.by_role[role] = builders[role]()
    iris = hm.by_role.get("iris")
    if iris is not None:
        # a separate iris mesh: the iris colour itself, or (inside a UV-iris shell) darkened
        tree = iris.node_tree
        tree.links.new(_attribute(tree.nodes, ATTR_IRIS_DARK if eye else ATTR_IRIS),
                       tree.nodes["Principled BSDF"].inputs["Base Color"])
    return hm

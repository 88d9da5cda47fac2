"""Recipe schema v1: pydantic models, frozen, unknown keys refused.

Defaults reproduce the synthetic facial depth set-up: camera 700–1000 mm from the head, 60 mm lens
on a 36 mm sensor, 480×640 portrait, clip 0.01–5 m, expressions neutral/angry/happy/sad/scared.
Units are in the key names (`_mm`, `_deg`, `_k`, `_w`).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

from facesynth import arkit
from facesynth.outputs import OUTPUT_KINDS as OUTPUT_KIND_TABLE
from facesynth.outputs import RECIPE_OUTPUTS
from facesynth.recipe import presets
from facesynth.recipe.ranges import (
    AzimuthDeg,
    Energy,
    FStop,
    Intensity,
    Kelvin,
    LightCount,
    NoiseScale,
    NonNegativeMM,
    PositiveMM,
    ShapeCount,
    Strength,
    TiltDeg,
    Unit,
    YawDeg,
)
from facesynth.recipe.schema_hair import Groom
from facesynth.recipe.schema_look import Look

SCHEMA_VERSION = 1
OUTPUT_KINDS = RECIPE_OUTPUTS
BUILTIN_FACE_MODELS = ("builtin", "ict-facekit")
BUILTIN_HDRIS = ("city", "courtyard", "forest", "interior", "night", "studio", "sunrise", "sunset")
CHARACTER_SUFFIXES = (".fbx", ".glb", ".gltf", ".obj")
MAX_RESOLUTION = 8192

RGB = tuple[Annotated[float, Field(ge=0, le=1)], Annotated[float, Field(ge=0, le=1)],
            Annotated[float, Field(ge=0, le=1)]]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# -- subjects -----------------------------------------------------------------------------------

class CharacterFile(_Section):
    """A user's own head: FBX / glTF / GLB / OBJ with facial shape keys."""

    path: str = Field(description="File path, relative to the recipe file.")
    unit_scale_mm: float | None = Field(
        None, gt=0, le=1e4,
        description="Millimetres per imported unit; default 1000 for FBX/glTF (Blender gives metres); "
        "required for OBJ, which has no unit (cm: 10).")
    expression_map: dict[str, str] = Field(
        default_factory=dict, description="The file's shape-key name -> ARKit expression name.")
    landmarks_68: list[Annotated[int, Field(ge=0)]] | None = Field(
        None, description="68 vertex indices in iBUG order; without them landmark/posmap outputs are refused.")
    mesh_name: str | None = Field(None, description="Mesh object to use (default: the one with most vertices).")

    @field_validator("path")
    @classmethod
    def _suffix(cls, v: str) -> str:
        if not v.lower().endswith(CHARACTER_SUFFIXES):
            raise ValueError(f"'{v}' is not a character file; expected one of {', '.join(CHARACTER_SUFFIXES)}")
        return v

    @model_validator(mode="after")
    def _obj_needs_a_unit(self) -> CharacterFile:
        if self.path.lower().endswith(".obj") and self.unit_scale_mm is None:
            raise ValueError("unit_scale_mm: an OBJ file has no unit; say how many mm one file unit is (cm: 10)")
        return self

    @field_validator("landmarks_68")
    @classmethod
    def _sixty_eight(cls, v: list[int] | None) -> list[int] | None:
        if v is not None and len(v) != 68:
            raise ValueError(f"needs exactly 68 vertex indices, got {len(v)}")
        return v


class SubjectTextures(_Section):
    subject_id: int = Field(ge=0)
    albedo: str | None = None
    normal: str | None = None
    roughness: str | None = None


def _face_model_kind(value: Any) -> str:
    return "builtin-name" if isinstance(value, str) else "character-file"


def _face_model_from_string(value: Any) -> Any:
    """`face_model: heads/me.fbx` is short for `{path: heads/me.fbx}`."""
    if isinstance(value, str) and value not in BUILTIN_FACE_MODELS:
        if value.lower().endswith(CHARACTER_SUFFIXES):
            return {"path": value}
        raise ValueError(f"unknown face model '{value}'; expected one of {', '.join(BUILTIN_FACE_MODELS)} "
                         f"or a character file ({', '.join(CHARACTER_SUFFIXES)})")
    return value


FaceModel = Annotated[
    Annotated[Literal["builtin", "ict-facekit"], Tag("builtin-name")]
    | Annotated[CharacterFile, Tag("character-file")],
    Discriminator(_face_model_kind),
]


class Subjects(_Section):
    face_model: FaceModel = Field(
        "builtin", description="'builtin' (shipped), 'ict-facekit' (after `facesynth assets import`), "
        "or a character file.")
    count: int = Field(10, ge=1, le=10_000_000, description="Number of distinct identities.")
    identity_components: int = Field(100, ge=0, le=1000, description="Identity coefficients drawn per subject.")
    identity_scale: float = Field(1.0, ge=0, le=5, description="Standard deviation of identity coefficients.")
    skin_tone: Unit = Field(default_factory=lambda: Unit(min=0.0, max=1.0),
                            description="0 = lightest, 1 = darkest (melanin-like).")
    iris_colors: list[RGB] = Field(
        default_factory=lambda: [(0.25, 0.13, 0.05), (0.1, 0.05, 0.02), (0.2, 0.35, 0.55),
                                 (0.25, 0.35, 0.2), (0.4, 0.3, 0.15)],
        min_length=1, description="Linear RGB iris colours, one drawn per subject.")
    textures: list[SubjectTextures] = Field(default_factory=list)
    groom: Groom = Field(default_factory=Groom, description="Hair, brows, beards, lashes, glasses, headwear.")

    @field_validator("face_model", mode="before")
    @classmethod
    def _short_path(cls, v: Any) -> Any:
        return _face_model_from_string(v)


# -- expressions --------------------------------------------------------------------------------

# Face packs match expression names case-insensitively, in either ARKit spelling.
_SHAPE_BY_LOWER = {s.lower(): s for n in arkit.ARKIT_NAMES for s in (n, arkit.apple_spelling(n))}


def _is_shape_name(name: str) -> bool:
    return arkit.is_arkit(name) or arkit.is_arkit(_SHAPE_BY_LOWER.get(name.strip().lower(), name))


class RandomMix(_Section):
    enabled: bool = False
    probability: float = Field(1.0, ge=0, le=1, description="Share of samples that mix instead of a preset.")
    active: ShapeCount = Field(default_factory=lambda: ShapeCount(min=1, max=3))
    weight: Unit = Field(default_factory=lambda: Unit(min=0.2, max=1.0))
    shapes: list[str] = Field(default_factory=list, description="Blendshapes to draw from (default: ARKit's 52).")

    @field_validator("shapes")
    @classmethod
    def _known_shapes(cls, v: list[str]) -> list[str]:
        unknown = [name for name in v if not _is_shape_name(name)]
        if unknown:
            shown = ", ".join(repr(n[:40]) for n in unknown[:5]) + (" ..." if len(unknown) > 5 else "")
            raise ValueError(f"unknown blendshape name(s) {shown}; expected ARKit names such as eyeBlink_L, jawOpen")
        return v


class Sequence(_Section):
    enabled: bool = False
    frames: int = Field(10, ge=2, le=10_000, description="Frames from neutral (0) to the full expression.")


class Expressions(_Section):
    presets: list[str] = Field(default_factory=lambda: ["neutral", "angry", "happy", "sad", "scared"],
                               min_length=1)
    intensity: Intensity = Field(default_factory=lambda: Intensity(min=0.7, max=1.0))
    random_mix: RandomMix = Field(default_factory=RandomMix)
    sequence: Sequence = Field(default_factory=Sequence)

    @field_validator("presets")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        out = []
        for name in v:
            canonical = presets.canonical_preset(name)
            if canonical is None:
                raise ValueError(f"unknown expression preset '{name}'; known: {', '.join(presets.preset_names())}")
            out.append(canonical)
        return out


# -- camera, pose, views ------------------------------------------------------------------------

class Resolution(_Section):
    width: int = Field(ge=8, le=MAX_RESOLUTION)
    height: int = Field(ge=8, le=MAX_RESOLUTION)

    @model_validator(mode="before")
    @classmethod
    def _short_forms(cls, v: Any) -> Any:
        if isinstance(v, str):
            m = re.fullmatch(r"\s*(\d+)\s*[x×X]\s*(\d+)\s*", v)
            if not m:
                raise ValueError(f"expected 'WIDTHxHEIGHT' like '480x640', got '{v}'")
            return {"width": int(m[1]), "height": int(m[2])}
        if isinstance(v, list | tuple):
            if len(v) != 2:
                raise ValueError(f"expected [width, height], got {len(v)} values")
            return {"width": v[0], "height": v[1]}
        return v


class CameraJitter(_Section):
    position_mm: float = Field(0.0, ge=0, le=500, description="Uniform offset of the camera in each axis.")


class Camera(_Section):
    distance_mm: PositiveMM = Field(default_factory=lambda: PositiveMM(min=700, max=1000),
                                    description="Camera centre to the head pivot.")
    focal_length_mm: float = Field(60.0, gt=0, le=5000)
    sensor_width_mm: float = Field(36.0, gt=0, le=500)
    resolution: Resolution = Field(default_factory=lambda: Resolution(width=480, height=640),
                                   description="width × height in pixels.")
    clip_mm: PositiveMM = Field(default_factory=lambda: PositiveMM(min=10, max=5000))
    projection: Literal["perspective", "orthographic"] = "perspective"
    ortho_scale_mm: float = Field(300.0, gt=0, le=1e5, description="View width for orthographic projection.")
    jitter: CameraJitter = Field(default_factory=CameraJitter)
    aperture_fstop: FStop | None = Field(
        None, description="Depth of field: f-number range, drawn log-uniform (every stop equally likely), "
        "focused on the eyes. null: a pinhole, everything sharp. Perspective only.")
    auto_exposure: float | None = Field(
        None, gt=0, le=1, description="Face-priority auto exposure: the linear render is scaled, before "
        "it is encoded, so the median luminance of the face's pixels (skin, nose, lips) is this value "
        "for a mid skin (0.2 is sRGB 124; other skins per auto_exposure_tone), within +-4 EV. null: a "
        "fixed exposure, the scene's own light.")
    auto_exposure_tone: float = Field(
        0.0, ge=0, le=1, description="How much of the skin's own lightness the face meter keeps: the "
        "target is auto_exposure x (skin albedo luminance / 0.2)^this. 0: every face at the target "
        "(a phone's face meter); 1: each skin in proportion to its albedo (an incident light meter).")

    @model_validator(mode="after")
    def _head_inside_clip(self) -> Camera:
        if self.clip_mm.min >= self.distance_mm.min:
            raise ValueError(f"clip_mm: near clip {self.clip_mm.min:g} mm must be closer than the nearest "
                             f"camera distance {self.distance_mm.min:g} mm")
        if self.clip_mm.max <= self.distance_mm.max + 300:
            raise ValueError(f"clip_mm: far clip {self.clip_mm.max:g} mm cuts the head at distance "
                             f"{self.distance_mm.max:g} mm (needs > distance + 300 mm)")
        if self.aperture_fstop is not None and self.projection != "perspective":
            raise ValueError("aperture_fstop: depth of field needs projection: perspective")
        return self


class HeadPose(_Section):
    mode: Literal["random", "grid"] = Field(
        "random", description="random: uniform (on the step lattice if a step is given); grid: enumerate.")
    yaw_deg: YawDeg = Field(default_factory=lambda: YawDeg(min=-30, max=30))
    pitch_deg: TiltDeg = Field(default_factory=lambda: TiltDeg(min=-20, max=20))
    roll_deg: TiltDeg = Field(default_factory=lambda: TiltDeg(min=-10, max=10))
    translation_mm: float = Field(0.0, ge=0, le=500, description="Uniform head offset in each world axis.")

    @model_validator(mode="after")
    def _grid_needs_steps(self) -> HeadPose:
        if self.mode == "grid":
            for name in ("yaw_deg", "pitch_deg", "roll_deg"):
                r = getattr(self, name)
                if r.step is None and not r.is_fixed:
                    example = f"{{min: {r.min:g}, max: {r.max:g}, step: 5}}"
                    raise ValueError(f"{name}: grid mode needs a step, e.g. {example}")
        return self


class View(_Section):
    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    yaw_deg: YawDeg | None = None
    pitch_deg: TiltDeg | None = None
    roll_deg: TiltDeg | None = None


# -- lights, environment, background ------------------------------------------------------------

class Lights(_Section):
    count: LightCount = Field(default_factory=lambda: LightCount(min=1, max=3))
    kinds: list[Literal["point", "area", "spot", "sun"]] = Field(default_factory=lambda: ["point", "area"],
                                                                 min_length=1)
    energy_w: Energy = Field(default_factory=lambda: Energy(min=20, max=150),
                             description="Watts for point/spot lights; area lights get a quarter of the drawn "
                             "value (same on-axis intensity as a point light). Metadata records the watts used.")
    sun_strength: Strength = Field(default_factory=lambda: Strength(min=1, max=4),
                                   description="Irradiance of sun lights, W/m².")
    color_temperature_k: Kelvin = Field(default_factory=lambda: Kelvin(min=3000, max=6500))
    distance_mm: PositiveMM = Field(default_factory=lambda: PositiveMM(min=800, max=1500))
    azimuth_deg: AzimuthDeg = Field(default_factory=lambda: AzimuthDeg(min=-90, max=90))
    elevation_deg: TiltDeg = Field(default_factory=lambda: TiltDeg(min=-20, max=60))
    size_mm: NonNegativeMM = Field(default_factory=lambda: NonNegativeMM(min=100, max=300))
    setups: int | None = Field(None, ge=1, le=100_000,
                               description="Draw this many fixed lighting set-ups once; each sample uses one.")


class Environment(_Section):
    hdri: list[str] = Field(default_factory=lambda: ["builtin:studio"], min_length=1,
                            description="'builtin:NAME', 'builtin:*', an .exr/.hdr file or a directory of them.")
    strength: Strength = Field(default_factory=lambda: Strength(min=0.5, max=1.5))
    rotation_deg: AzimuthDeg = Field(default_factory=lambda: AzimuthDeg(min=0, max=360))

    @field_validator("hdri")
    @classmethod
    def _builtin_names(cls, v: list[str]) -> list[str]:
        for entry in v:
            if entry.startswith("builtin:"):
                name = entry.split(":", 1)[1]
                if name != "*" and name not in BUILTIN_HDRIS:
                    raise ValueError(f"unknown built-in HDRI '{name}'; known: {', '.join(BUILTIN_HDRIS)} or *")
        return v


class Background(_Section):
    kind: Literal["hdri", "image", "image_dir", "solid", "noise", "transparent"] = "hdri"
    source: str | None = Field(None, description="Image file (image) or directory of images (image_dir).")
    colors: list[RGB] = Field(default_factory=lambda: [(0.5, 0.5, 0.5)], min_length=1,
                              description="Solid colours to draw from (linear RGB).")
    noise_scale: NoiseScale = Field(default_factory=lambda: NoiseScale(min=2, max=10))

    @model_validator(mode="after")
    def _source_when_needed(self) -> Background:
        if self.kind in ("image", "image_dir") and not self.source:
            raise ValueError(f"source: background kind '{self.kind}' needs a source path")
        return self


# -- render, posmap, split ----------------------------------------------------------------------

RENDER_PRESETS: dict[str, dict[str, Any]] = {
    "draft": {"samples": 16, "adaptive_threshold": 0.05, "denoise": True, "max_bounces": 4},
    # adaptive sampling stops converged pixels, so more samples go where the face is still noisy:
    # 128 spp at threshold 0.03 beats 64 spp at 0.01 per second (docs/rendering.md, time to quality)
    "default": {"samples": 128, "adaptive_threshold": 0.03, "denoise": True, "max_bounces": 8},
    "final": {"samples": 256, "adaptive_threshold": 0.005, "denoise": True, "max_bounces": 12},
}


class Render(_Section):
    engine: Literal["cycles"] = "cycles"
    preset: Literal["draft", "default", "final"] | None = Field(
        None, description="Fills samples/adaptive_threshold/denoise/max_bounces unless given explicitly.")
    samples: int = Field(128, ge=1, le=65536)
    adaptive_threshold: float = Field(0.03, ge=0, le=1, description="0 disables adaptive sampling.")
    denoise: bool = True
    device: Literal["cpu", "gpu"] = "cpu"
    gpu_fallback_to_cpu: bool = False
    threads: int = Field(0, ge=0, le=1024, description="0 = all cores.")
    max_bounces: int = Field(8, ge=0, le=1024)
    light_tree: Literal["auto", "on", "off"] = Field(
        "auto", description="Cycles' light tree; auto: on only with three or more lamps and no sun.")
    rgb_bit_depth: Literal[8, 16] = 8

    @field_validator("light_tree", mode="before")
    @classmethod
    def _yaml_on_off(cls, v: Any) -> Any:
        # YAML 1.1 reads a bare `on` / `off` as a boolean
        return ("on" if v else "off") if isinstance(v, bool) else v

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, v: Any) -> Any:
        if isinstance(v, dict) and v.get("preset") in RENDER_PRESETS:
            return {**RENDER_PRESETS[v["preset"]], **v}
        return v


class PosmapJitter(_Section):
    shift: float = Field(0.0, ge=0, le=0.5, description="Crop centre jitter, fraction of the box size.")
    scale: float = Field(0.0, ge=0, le=0.5, description="Crop size jitter, fraction.")


class Posmap(_Section):
    size: int = Field(256, ge=16, le=2048)
    crop_scale: float = Field(1.5, ge=1.0, le=4.0, description="Crop side / landmark box size.")
    jitter: PosmapJitter = Field(default_factory=PosmapJitter)
    write_crop_rgb: bool = True


class DenseLandmarks(_Section):
    count: int = Field(500, ge=10, le=20000,
                       description="Points spread evenly over the pack's face area (used when vertex_ids is not set).")
    vertex_ids: list[Annotated[int, Field(ge=0)]] | None = Field(
        None, min_length=1, description="The face pack's own vertex ids to project instead (any set, in order).")


class Split(_Section):
    train: float = Field(0.8, ge=0, le=1)
    val: float = Field(0.1, ge=0, le=1)
    test: float = Field(0.1, ge=0, le=1)

    @model_validator(mode="after")
    def _sum_to_one(self) -> Split:
        total = self.train + self.val + self.test
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"fractions must sum to 1, got {total:g}")
        return self


# -- the recipe ---------------------------------------------------------------------------------

class Recipe(_Section):
    """A facesynth recipe, schema v1."""

    version: Literal[1] = Field(1, description="Recipe schema version.")
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="Dataset name (letters, digits, _ . -).")
    description: str = ""
    seed: int = Field(0, ge=0, le=2**63 - 1)
    samples: int = Field(ge=1, le=100_000_000)
    subjects: Subjects = Field(default_factory=Subjects)
    expressions: Expressions = Field(default_factory=Expressions)
    camera: Camera = Field(default_factory=Camera)
    head_pose: HeadPose = Field(default_factory=HeadPose)
    views: list[View] = Field(default_factory=list, description="Named view groups per subject (multi-view sets).")
    lights: Lights = Field(default_factory=Lights)
    environment: Environment = Field(default_factory=Environment)
    background: Background = Field(default_factory=Background)
    render: Render = Field(default_factory=Render)
    posmap: Posmap = Field(default_factory=Posmap)
    dense_landmarks: DenseLandmarks = Field(default_factory=DenseLandmarks)
    outputs: list[Literal[RECIPE_OUTPUTS]] = Field(  # type: ignore[valid-type]
        default_factory=lambda: ["rgb", "depth", "masks", "landmarks"], min_length=1)
    split: Split = Field(default_factory=Split)
    look: Look = Field(default_factory=Look, description="Skin, clothing, sky and camera effects (off by default).")

    @field_validator("views")
    @classmethod
    def _unique_views(cls, v: list[View]) -> list[View]:
        names = [view.name for view in v]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"view names must be unique, repeated: {', '.join(dup)}")
        return v

    @field_validator("outputs")
    @classmethod
    def _unique_outputs(cls, v: list[str]) -> list[str]:
        dup = sorted({n for n in v if v.count(n) > 1})
        if dup:
            raise ValueError(f"outputs listed twice: {', '.join(dup)}")
        return v

    @model_validator(mode="after")
    def _character_capabilities(self) -> Recipe:
        fm = self.subjects.face_model
        if isinstance(fm, CharacterFile) and fm.landmarks_68 is None:
            needs = [o for o in self.outputs if OUTPUT_KIND_TABLE[o].needs_landmarks]
            if needs:
                raise ValueError(f"outputs: {', '.join(needs)} need landmarks, but subjects.face_model."
                                 "landmarks_68 is not set for the character file")
        return self

    @property
    def face_model_name(self) -> str:
        fm = self.subjects.face_model
        return fm if isinstance(fm, str) else fm.path

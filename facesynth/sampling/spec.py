"""`SampleSpec`: every number of one sample, frozen.

Rendering and labelling are pure functions of a `SampleSpec` (plus the face pack it names), so
a sample can be re-rendered, re-labelled or audited from its spec alone. Lengths are mm, angles
degrees, colours linear RGB in [0, 1], temperatures kelvin.
"""

from __future__ import annotations

from typing import Literal

from facesynth.sampling.groom import GroomSpec
from facesynth.sampling.spec_look import RGB, LookSpec, _Frozen

Vec3 = tuple[float, float, float]


class SubjectSpec(_Frozen):
    """One person: depends only on (recipe seed, subject_id)."""

    subject_id: int
    face_model: str
    """'builtin', 'ict-facekit', or the path of a user character file."""
    identity: tuple[float, ...]
    """N(0, 1)-scaled identity coefficients (times the recipe's identity_scale); a pack uses as
    many as it has modes and treats missing ones as 0."""
    skin_tone: float
    """0 = lightest, 1 = darkest (a melanin-like scale)."""
    iris_color: RGB
    textures: tuple[tuple[str, str], ...] = ()
    """(kind, path) pairs: albedo / normal / roughness maps in the pack's UV layout."""
    groom: GroomSpec | None = None
    """Hair, brows, beard, lashes, glasses, headwear (None: the bare head)."""


class ExpressionSpec(_Frozen):
    name: str
    """Preset name ('happy'), 'random' for random mixing."""
    intensity: float
    weights: tuple[tuple[str, float], ...]
    """(ARKit blendshape name with _L/_R, weight), sorted by name, intensity already applied."""
    frame: int = 0
    frame_count: int = 1


class CameraSpec(_Frozen):
    projection: Literal["perspective", "orthographic"]
    distance_mm: float
    """From the camera centre to the head pivot (before position jitter)."""
    focal_length_mm: float
    sensor_width_mm: float
    width: int
    height: int
    clip_start_mm: float
    clip_end_mm: float
    ortho_scale_mm: float
    """Width of the view in mm for orthographic projection (unused for perspective)."""
    position_jitter_mm: Vec3 = (0.0, 0.0, 0.0)
    """Camera offset in its own OpenCV frame; the camera keeps its orientation."""
    fstop: float | None = None
    """Aperture f-number for depth of field (focused on the eyes); None: a pinhole."""
    auto_exposure: float | None = None
    """Face-priority auto exposure: the face's median linear luminance after metering; None: off."""
    auto_exposure_tone: float = 0.0
    """How much of the skin's albedo the meter keeps (render/exposure.py: face_target)."""


class HeadPoseSpec(_Frozen):
    yaw_deg: float
    pitch_deg: float
    roll_deg: float
    translation_mm: Vec3 = (0.0, 0.0, 0.0)
    """Offset of the head pivot in the world frame (mm)."""


LightKind = Literal["point", "area", "spot", "sun"]


class LightSpec(_Frozen):
    kind: LightKind
    azimuth_deg: float
    """Around the head, 0 = on the camera's side, positive towards image +x (subject's left)."""
    elevation_deg: float
    """Above the head's horizontal plane, positive up."""
    distance_mm: float
    energy: float
    """Watts for point/area/spot, W/m² (irradiance) for sun."""
    color_temperature_k: float
    size_mm: float = 0.0
    spot_angle_deg: float = 45.0


class EnvironmentSpec(_Frozen):
    source: str
    """'builtin:studio' (Blender's bundled CC0 HDRIs) or the path of an .exr/.hdr file."""
    strength: float
    rotation_deg: float


BackgroundKind = Literal["hdri", "image", "image_dir", "solid", "noise", "transparent"]


class BackgroundSpec(_Frozen):
    kind: BackgroundKind
    source: str | None = None
    """The image file for 'image' and 'image_dir' (already chosen from the directory)."""
    color: RGB = (0.0, 0.0, 0.0)
    noise_scale: float = 5.0
    noise_seed: int = 0


class RenderSpec(_Frozen):
    engine: Literal["cycles"]
    samples: int
    adaptive_threshold: float
    denoise: bool
    device: Literal["cpu", "gpu"]
    gpu_fallback_to_cpu: bool
    threads: int
    max_bounces: int
    light_tree: Literal["auto", "on", "off"]
    seed: int
    rgb_bit_depth: Literal[8, 16]


LIGHT_TREE_MIN_LAMPS = 3


def light_tree_enabled(mode: str, lights: tuple[LightSpec, ...]) -> bool:
    """Whether Cycles' light tree is used. `auto`: on with three or more lamps, none a sun. On the
    ICT head (240x320, 32 spp, two HDRIs) the tree cost noise or time with up to two lamps and
    whenever a sun was present, and paid with three or more point/spot/area lamps (docs/rendering.md)."""
    if mode == "auto":
        return len(lights) >= LIGHT_TREE_MIN_LAMPS and all(light.kind != "sun" for light in lights)
    return mode == "on"


class PosmapSpec(_Frozen):
    size: int
    crop_scale: float
    crop_jitter: Vec3
    """(dx, dy, dscale) as fractions of the landmark box size, drawn per sample."""
    write_crop_rgb: bool


class DenseLandmarksSpec(_Frozen):
    count: int = 500
    vertex_ids: tuple[int, ...] = ()
    """The pack's vertex ids to project; empty: `count` points spread evenly over the face area."""


class SampleSpec(_Frozen):
    index: int
    id: str
    """Stable sample key, e.g. '000042'. File names are '<id>.<kind>.<ext>'."""
    recipe_name: str
    seed: int
    split: Literal["train", "val", "test"]
    group: int
    """Samples of one group share subject, expression, lights and environment (multi-view sets,
    expression sequences)."""
    view: str
    subject: SubjectSpec
    expression: ExpressionSpec
    camera: CameraSpec
    head_pose: HeadPoseSpec
    lights: tuple[LightSpec, ...]
    environment: EnvironmentSpec
    background: BackgroundSpec
    render: RenderSpec
    posmap: PosmapSpec
    outputs: tuple[str, ...]
    """A subset of facesynth.recipe.OUTPUT_KINDS."""
    dense_landmarks: DenseLandmarksSpec = DenseLandmarksSpec()
    look: LookSpec | None = None
    """Skin, clothing, sky, image formation; None when the recipe has no `look` turned on."""

    def expression_weights(self) -> dict[str, float]:
        return dict(self.expression.weights)

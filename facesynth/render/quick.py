"""`quick_spec`: a complete, plain SampleSpec for look-dev, benches and tests (no recipe needed).

Real datasets get their specs from `facesynth.sampling.sample_spec(recipe, i)`; this only fills
every field with sensible studio defaults, which callers override by keyword.
"""

from __future__ import annotations

from typing import Any

from facesynth.sampling.spec import (
    BackgroundSpec,
    CameraSpec,
    EnvironmentSpec,
    ExpressionSpec,
    HeadPoseSpec,
    LightSpec,
    PosmapSpec,
    RenderSpec,
    SampleSpec,
    SubjectSpec,
)

KEY_LIGHT = LightSpec(kind="area", azimuth_deg=35.0, elevation_deg=25.0, distance_mm=900.0, energy=15.0,
                      color_temperature_k=5200.0, size_mm=400.0)


def quick_spec(
    *,
    face_model: str = "builtin",
    width: int = 96,
    height: int = 128,
    samples: int = 4,
    background: BackgroundSpec | None = None,
    lights: tuple[LightSpec, ...] = (),
    environment: str = "builtin:studio",
    yaw_deg: float = 0.0,
    distance_mm: float = 600.0,
    focal_length_mm: float = 50.0,
    skin_tone: float = 0.3,
    index: int = 0,
    denoise: bool = False,
    adaptive_threshold: float = 0.0,
    max_bounces: int = 4,
    **render_overrides: Any,
) -> SampleSpec:
    render = dict(engine="cycles", samples=samples, adaptive_threshold=adaptive_threshold,
                  denoise=denoise, device="cpu", gpu_fallback_to_cpu=False, threads=0,
                  max_bounces=max_bounces, light_tree="auto", seed=index, rgb_bit_depth=8)
    render.update(render_overrides)
    return SampleSpec(
        index=index,
        id=f"{index:06d}",
        recipe_name="quick",
        seed=0,
        split="train",
        group=index,
        view="front",
        subject=SubjectSpec(subject_id=0, face_model=face_model, identity=(), skin_tone=skin_tone,
                            iris_color=(0.12, 0.25, 0.45)),
        expression=ExpressionSpec(name="neutral", intensity=0.0, weights=()),
        camera=CameraSpec(projection="perspective", distance_mm=distance_mm,
                          focal_length_mm=focal_length_mm, sensor_width_mm=36.0, width=width,
                          height=height, clip_start_mm=10.0, clip_end_mm=10000.0, ortho_scale_mm=300.0),
        head_pose=HeadPoseSpec(yaw_deg=yaw_deg, pitch_deg=0.0, roll_deg=0.0),
        lights=lights,
        environment=EnvironmentSpec(source=environment, strength=1.0, rotation_deg=0.0),
        background=background or BackgroundSpec(kind="hdri"),
        render=RenderSpec(**render),
        posmap=PosmapSpec(size=256, crop_scale=1.6, crop_jitter=(0.0, 0.0, 0.0), write_crop_rgb=False),
        outputs=("rgb",),
    )

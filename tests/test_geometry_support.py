"""Shared builders for the geometry tests (no tests here): a complete, valid SampleSpec."""

from __future__ import annotations

import functools
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


def camera_spec(**kw: Any) -> CameraSpec:
    base: dict[str, Any] = dict(
        projection="perspective", distance_mm=600.0, focal_length_mm=50.0, sensor_width_mm=36.0,
        width=128, height=96, clip_start_mm=10.0, clip_end_mm=10000.0, ortho_scale_mm=300.0,
    )
    base.update(kw)
    return CameraSpec(**base)


def sample_spec(
    *,
    yaw: float = 0.0,
    pitch: float = 0.0,
    roll: float = 0.0,
    translation: tuple[float, float, float] = (0.0, 0.0, 0.0),
    camera: CameraSpec | None = None,
    face_model: str = "ict-facekit",
    identity: tuple[float, ...] = (),
    weights: tuple[tuple[str, float], ...] = (),
    outputs: tuple[str, ...] = ("rgb", "depth", "normals", "masks", "posmap", "landmarks"),
    crop_jitter: tuple[float, float, float] = (0.0, 0.0, 0.0),
) -> SampleSpec:
    return SampleSpec(
        index=7, id="000007", recipe_name="test", seed=1234, split="train", group=3, view="front",
        subject=SubjectSpec(subject_id=2, face_model=face_model, identity=identity, skin_tone=0.3,
                            iris_color=(0.2, 0.3, 0.4)),
        expression=ExpressionSpec(name="custom", intensity=1.0, weights=weights),
        camera=camera or camera_spec(),
        head_pose=HeadPoseSpec(yaw_deg=yaw, pitch_deg=pitch, roll_deg=roll, translation_mm=translation),
        lights=(
            LightSpec(kind="area", azimuth_deg=30.0, elevation_deg=20.0, distance_mm=1500.0, energy=80.0,
                      color_temperature_k=5600.0, size_mm=300.0),
            LightSpec(kind="sun", azimuth_deg=-60.0, elevation_deg=45.0, distance_mm=1000.0, energy=2.0,
                      color_temperature_k=6500.0),
        ),
        environment=EnvironmentSpec(source="builtin:studio", strength=0.5, rotation_deg=90.0),
        background=BackgroundSpec(kind="solid", color=(0.1, 0.1, 0.1)),
        render=RenderSpec(engine="cycles", samples=16, adaptive_threshold=0.01, denoise=True, device="cpu",
                          gpu_fallback_to_cpu=True, threads=1, max_bounces=4, light_tree="auto", seed=99,
                          rgb_bit_depth=8),
        posmap=PosmapSpec(size=256, crop_scale=1.5, crop_jitter=crop_jitter, write_crop_rgb=True),
        outputs=outputs,
    )


@functools.lru_cache(maxsize=1)
def load_ict_pack(archive: str) -> Any:
    """The real ICT-FaceKit pack, built from the shared archive into the test cache once."""
    from facesynth.assets import load_pack
    from facesynth.assets.cache import pack_cache_path
    from facesynth.assets.ict import import_ict

    if not pack_cache_path("ict-facekit").exists():
        import_ict(archive)
    return load_pack("ict-facekit")

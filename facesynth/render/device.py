"""Cycles device selection: `render.device: gpu` means OptiX, else CUDA, else a clear error.

`choose_device` is pure (tested without a GPU); `apply_device` mirrors its decision into Blender.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from facesynth.errors import UserError

GPU_BACKENDS: tuple[str, ...] = ("OPTIX", "CUDA")
"""In order of preference: OptiX (RTX hardware ray tracing) beats CUDA on NVIDIA cards."""


@dataclass(frozen=True)
class DeviceChoice:
    device: Literal["CPU", "GPU"]
    backend: str
    """'NONE' for CPU, else the Cycles compute_device_type ('OPTIX', 'CUDA')."""
    note: str = ""


def choose_device(
    requested: Literal["cpu", "gpu"], available_gpu_backends: Iterable[str], *, fallback_to_cpu: bool
) -> DeviceChoice:
    """Decide the Cycles device from the recipe's request and the backends that have a GPU."""
    if requested == "cpu":
        return DeviceChoice("CPU", "NONE")
    found = {b.upper() for b in available_gpu_backends}
    for backend in GPU_BACKENDS:
        if backend in found:
            return DeviceChoice("GPU", backend)
    if fallback_to_cpu:
        return DeviceChoice("CPU", "NONE", note="render.device: gpu found no OptiX/CUDA device; using CPU")
    raise UserError(
        "render.device: gpu, but Cycles found no OptiX or CUDA device on this machine "
        "(set render.device: cpu, or render.gpu_fallback_to_cpu: true)"
    )


def gpu_backends_with_devices(bpy: Any) -> list[str]:
    """Ask Cycles which GPU backends see at least one non-CPU device here. Probing switches the
    preferences' backend; it is put back as found (the add-on runs in an artist's Blender)."""
    prefs = bpy.context.preferences.addons["cycles"].preferences
    before = prefs.compute_device_type
    found = []
    try:
        for backend in GPU_BACKENDS:
            try:
                prefs.compute_device_type = backend
            except TypeError:  # backend not compiled into this Blender build
                continue
            prefs.refresh_devices()
            if any(d.type == backend for d in prefs.devices):
                found.append(backend)
    finally:
        prefs.compute_device_type = before
    return found


def apply_device(bpy: Any, scene: Any, choice: DeviceChoice) -> None:
    """Point Cycles at the chosen device. On a GPU: every device of the chosen backend and no CPU
    device (a worker's CPU computes labels and writes files meanwhile; hybrid CPU+GPU rendering is
    a choice nobody has measured here), and the denoiser on the GPU too (OpenImageDenoise runs
    there when the card supports it; Cycles falls back to the CPU otherwise)."""
    prefs = bpy.context.preferences.addons["cycles"].preferences
    if choice.device == "GPU":
        prefs.compute_device_type = choice.backend
        prefs.refresh_devices()
        for d in prefs.devices:
            d.use = d.type == choice.backend
    scene.cycles.device = choice.device
    scene.cycles.denoising_use_gpu = choice.device == "GPU"

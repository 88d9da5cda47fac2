"""`render.device: gpu` on real Blender without counting on a GPU: probing, mirroring the choice into
Cycles, the CPU fallback and the user error (CI has no GPU; where one exists the GPU branch runs)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from facesynth.errors import UserError
from facesynth.geometry.pose import pose_sample
from facesynth.render.device import GPU_BACKENDS, DeviceChoice

bpy = pytest.importorskip("bpy")
pytestmark = pytest.mark.render


@pytest.fixture(scope="module")
def session():
    from facesynth.assets import load_pack
    from facesynth.render import RenderSession

    pack = load_pack("builtin")
    with RenderSession(pack, threads=2) as s:
        yield s, pack


def _prefs():
    return bpy.context.preferences.addons["cycles"].preferences


def test_probing_lists_only_backends_with_a_device_and_leaves_preferences_as_found(session) -> None:
    from facesynth.render.device import gpu_backends_with_devices

    prefs = _prefs()
    prefs.compute_device_type = "NONE"
    found = gpu_backends_with_devices(bpy)
    assert prefs.compute_device_type == "NONE"
    assert set(found) <= set(GPU_BACKENDS)
    for backend in found:  # a backend is listed only if Cycles shows a device of that type
        prefs.compute_device_type = backend
        prefs.refresh_devices()
        assert any(d.type == backend for d in prefs.devices)
    prefs.compute_device_type = "NONE"


def test_choice_is_mirrored_into_cycles_both_ways(session) -> None:
    from facesynth.render.device import apply_device

    s, _ = session
    apply_device(bpy, s.scene, DeviceChoice("GPU", "CUDA"))  # works without a card: it is configuration
    prefs = _prefs()
    assert prefs.compute_device_type == "CUDA" and s.scene.cycles.device == "GPU"
    assert s.scene.cycles.denoising_use_gpu
    assert not any(d.use for d in prefs.devices if d.type != "CUDA")  # the CPU device is not added
    apply_device(bpy, s.scene, DeviceChoice("CPU", "NONE"))
    assert s.scene.cycles.device == "CPU" and not s.scene.cycles.denoising_use_gpu
    prefs.compute_device_type = "NONE"


def test_gpu_request_renders_on_gpu_or_falls_back_or_refuses(session) -> None:
    from facesynth.render.device import gpu_backends_with_devices
    from facesynth.render.quick import quick_spec

    s, pack = session
    has_gpu = bool(gpu_backends_with_devices(bpy))
    fallback = quick_spec(width=32, height=40, samples=1, device="gpu", gpu_fallback_to_cpu=True)
    result = s.render(fallback, pack.neutral_mm, pose_sample(fallback, pack))
    assert result.rgb.shape == (40, 32, 3)
    if has_gpu:
        assert result.device == "GPU" and s.scene.cycles.device == "GPU"
        return
    assert result.device.startswith("CPU (") and "no OptiX/CUDA" in result.device
    assert s.scene.cycles.device == "CPU"
    strict = quick_spec(width=32, height=40, samples=1, device="gpu", gpu_fallback_to_cpu=False)
    with pytest.raises(UserError, match=r"^render\.device: gpu, but Cycles found no OptiX or CUDA device"):
        s.render(strict, pack.neutral_mm, pose_sample(strict, pack))
    cpu = quick_spec(width=32, height=40, samples=1)
    assert s.render(cpu, pack.neutral_mm, pose_sample(cpu, pack)).device == "CPU"


def test_cli_gpu_without_device_exits_2_with_one_line(repo_root, tmp_path) -> None:
    from facesynth.render.device import gpu_backends_with_devices

    if gpu_backends_with_devices(bpy):
        pytest.skip("this machine has a GPU: the refusal cannot happen here")
    out = tmp_path / "ds"
    proc = subprocess.run(
        [sys.executable, "-m", "facesynth.cli", "render", str(repo_root / "recipes" / "quickstart.yaml"),
         "--out", str(out), "--limit", "1", "--quiet", "--set", "render.device=gpu",
         "--set", "camera.resolution=32x40"],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip() and "WARNING" not in ln]
    assert "render.device" in lines[-1] and "Traceback" not in proc.stderr
    assert not [p for p in (out / "samples").rglob("*") if p.is_file()]  # no sample, not even half of one

"""Bad inputs get one line and exit 2, before anything is created (issue 18, classes 2 and 9):
unreadable images named by validate (header decoded, devices and FIFOs refused) and by Blender's
own load, a bad `assets import --out` checked before the work, OS errors without tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import OpenEXR
import pytest
from PIL import Image

from facesynth.cli import main
from facesynth.errors import UserError
from facesynth.recipe import RecipeError, load_recipe

BASE = "name: t\nsamples: 2\ncamera: {resolution: 64x64}\nrender: {preset: draft}\noutputs: [rgb]\n"


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "facesynth.cli", *args], capture_output=True, text=True,
                          timeout=300, env={**os.environ, **(env or {})})


def cli_here(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """The CLI entry point in this process (no interpreter start-up): (exit code, stderr)."""
    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


def radiance(path: Path, width: int = 4, height: int = 2) -> Path:
    """A small valid Radiance RGBE image (flat scanlines, allowed below 8 pixels wide)."""
    pixels = bytes([128, 64, 32, 129]) * (width * height)
    path.write_bytes(b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n" + f"-Y {height} +X {width}\n".encode() + pixels)
    return path


@pytest.fixture()
def images(tmp_path: Path) -> dict[str, Path]:
    d = tmp_path / "img"
    d.mkdir()
    good_png = d / "good.png"
    Image.fromarray(np.full((8, 8, 3), 120, np.uint8)).save(good_png)
    good_exr = d / "good.exr"
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    OpenEXR.File(header, {"RGB": np.ones((4, 8, 3), np.float32)}).write(str(good_exr))
    (d / "empty.hdr").write_bytes(b"")
    (d / "text.hdr").write_text("this is not an image\n")
    (d / "empty.png").write_bytes(b"")
    (d / "text.png").write_text("hello")
    (d / "cut.exr").write_bytes(good_exr.read_bytes()[:60])
    os.mkfifo(d / "fifo.png")
    return {p.name: p for p in d.iterdir()} | {"good.hdr": radiance(d / "good.hdr"), "dir": d}


@pytest.mark.parametrize(("field", "name", "why"), [
    ("environment: {hdri: [IMG]}", "empty.hdr", "empty file"),
    ("environment: {hdri: [IMG]}", "text.hdr", "not a Radiance .hdr image"),
    ("environment: {hdri: [IMG]}", "cut.exr", "damaged OpenEXR header"),
    ("background: {kind: image, source: IMG}", "text.png", "not a readable PNG file"),
    ("background: {kind: image, source: IMG}", "empty.png", "empty file"),
    ("background: {kind: image, source: IMG}", "fifo.png", "not a regular file"),
    ("background: {kind: image, source: /dev/zero}", "", "not a regular file"),
    ("subjects: {textures: [{subject_id: 0, albedo: IMG}]}", "text.png", "not a readable PNG file"),
])
def test_unreadable_images_are_refused_by_validate(tmp_path: Path, images: dict[str, Path], field: str,
                                                   name: str, why: str, capsys: pytest.CaptureFixture[str]) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text(BASE + field.replace("IMG", str(images[name]) if name else "") + "\n")
    with pytest.raises(RecipeError, match=why):
        load_recipe(recipe)
    code, err = cli_here(capsys, "validate", str(recipe))
    assert code == 2 and err.count("\n") == 1, err
    assert (name or "/dev/zero") in err and why in err


def test_a_directory_of_images_is_checked_image_by_image(tmp_path: Path, images: dict[str, Path]) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text(BASE + f"background: {{kind: image_dir, source: {images['dir']}}}\n")
    with pytest.raises(RecipeError) as info:
        load_recipe(recipe)
    named = " ".join(info.value.problems)
    for bad in ("empty.png", "text.png", "fifo.png", "cut.exr", "empty.hdr", "text.hdr"):
        assert bad in named
    assert "good.png" not in named and "good.exr" not in named and "good.hdr" not in named


def test_valid_images_of_every_kind_pass(tmp_path: Path, images: dict[str, Path]) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text(BASE + f"environment: {{hdri: [{images['good.hdr']}, {images['good.exr']}]}}\n"
                      f"background: {{kind: image, source: {images['good.png']}}}\n")
    assert load_recipe(recipe).recipe.environment.hdri[0].endswith("good.hdr")


def test_blender_refuses_an_image_it_cannot_load(images: dict[str, Path]) -> None:
    """The load itself is checked too (a file can change between validate and render)."""
    pytest.importorskip("bpy")
    from facesynth.render._bpy import import_bpy
    from facesynth.render.world import World
    from facesynth.sampling.spec import EnvironmentSpec

    bpy = import_bpy()
    bpy.ops.wm.read_factory_settings(use_empty=True)
    world = World(bpy, bpy.context.scene)
    world.update(EnvironmentSpec(source=str(images["good.hdr"]), strength=1.0, rotation_deg=0.0))
    assert tuple(world.image.size) == (4, 2)
    with pytest.raises(UserError, match=r"environment.hdri: Blender cannot read the image .*text\.hdr"):
        world.update(EnvironmentSpec(source=str(images["text.hdr"]), strength=1.0, rotation_deg=0.0))
    with pytest.raises(UserError, match=r"Blender cannot read the image .*text\.hdr"):  # not cached as loaded
        world.update(EnvironmentSpec(source=str(images["text.hdr"]), strength=1.0, rotation_deg=0.0))


def test_assets_import_checks_out_before_the_work(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    archive = Path(__file__).resolve().parents[2] / "shared" / "assets" / "ict-facekit"
    for out, why in ((blocker / "pack.npz", "is not a directory"), (tmp_path, "is a directory")):
        done = cli("assets", "import", "ict-facekit", "--from", str(archive), "--out", str(out))
        assert done.returncode == 2 and why in done.stderr and "Traceback" not in done.stderr, done.stderr
    done = cli("assets", "import", "ict-facekit", "--from", str(archive),
               env={"FACESYNTH_HOME": str(blocker / "home")})
    assert done.returncode == 2 and "FACESYNTH_HOME" in done.stderr and "Traceback" not in done.stderr


def test_character_problems_are_found_by_validate_as_by_render(tmp_path: Path) -> None:
    (tmp_path / "head.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 7\n")
    recipe = tmp_path / "r.yaml"
    recipe.write_text("name: t\nsamples: 1\noutputs: [rgb]\nsubjects: {face_model: {path: head.obj, "
                      "unit_scale_mm: 10}}\n")
    done = cli("validate", str(recipe))
    assert done.returncode == 2 and "subjects.face_model: OBJ file" in done.stderr and "line 4" in done.stderr
    out = tmp_path / "out"
    done = cli("render", str(recipe), "--out", str(out), "-q")
    assert done.returncode == 2 and "line 4" in done.stderr and not out.exists()


def test_os_errors_are_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "f"
    blocker.write_text("x")
    done = cli("schema", "--out", str(blocker / "schema.json"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and f"{blocker} is not a directory" in done.stderr

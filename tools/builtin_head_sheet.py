"""Render a contact sheet of the built-in head with Blender (bpy): identities x expressions.

    .venv/bin/python tools/builtin_head_sheet.py [--out docs/images/builtin_head_sheet.png]
    .venv/bin/python tools/builtin_head_sheet.py --preview /tmp/head  # big front + 3/4 views

A deliberately small, self-contained look-at tool (the render package owns the real scene):
one mesh built from the pack's arrays, flat colours per region, an area light, Cycles.
"""

from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path

import bpy
import numpy as np
from mathutils import Vector
from PIL import Image, ImageDraw

from facesynth.assets import regions as rg
from facesynth.assets.builtin_head import build_builtin_pack
from facesynth.assets.pack import FacePack
from facesynth.atomic import atomic_path
from facesynth.recipe.presets import preset_names, preset_weights

COLOURS = {
    rg.SKIN: (0.62, 0.40, 0.30),
    rg.HEAD_NECK: (0.62, 0.40, 0.30),
    rg.SCLERA: (0.85, 0.84, 0.80),
    rg.IRIS: (0.05, 0.025, 0.012),
    rg.TEETH: (0.85, 0.82, 0.70),
    rg.GUMS_TONGUE: (0.55, 0.12, 0.12),
    rg.MOUTH_SOCKET: (0.12, 0.02, 0.02),
    rg.EYE_SOCKET: (0.45, 0.18, 0.15),
}
SHEET_PRESETS = ("neutral", "happy", "surprise", "angry")  # rows of the contact sheet


def build_scene(pack: FacePack, width: int, height: int, samples: int) -> bpy.types.Object:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.cycles.samples = samples
    scene.cycles.use_denoising = True
    scene.render.resolution_x, scene.render.resolution_y = width, height
    scene.render.film_transparent = False
    world = bpy.data.worlds.new("world")
    world.use_nodes = True
    world.node_tree.nodes["Background"].inputs["Color"].default_value = (0.35, 0.37, 0.40, 1.0)
    world.node_tree.nodes["Background"].inputs["Strength"].default_value = 0.6
    scene.world = world

    mesh = bpy.data.meshes.new("builtin")
    mesh.vertices.add(pack.n_vertices)
    mesh.vertices.foreach_set("co", pack.neutral_mm.reshape(-1))
    mesh.loops.add(len(pack.poly_vertices))
    mesh.loops.foreach_set("vertex_index", pack.poly_vertices)
    mesh.polygons.add(pack.n_polygons)
    mesh.polygons.foreach_set("loop_start", pack.poly_offsets[:-1].astype(np.int32))
    uv = mesh.uv_layers.new(name="UVMap")
    uv.data.foreach_set("uv", pack.poly_uv.reshape(-1))
    region_ids = sorted(COLOURS)
    for rid in region_ids:
        mat = bpy.data.materials.new(rg.region(rid).name)
        mat.use_nodes = True
        bsdf = mat.node_tree.nodes["Principled BSDF"]
        bsdf.inputs["Base Color"].default_value = (*COLOURS[rid], 1.0)
        bsdf.inputs["Roughness"].default_value = 0.3 if rid in (rg.SCLERA, rg.IRIS) else 0.55
        mesh.materials.append(mat)
    lookup = np.zeros(256, dtype=np.int32)
    lookup[region_ids] = np.arange(len(region_ids))
    mesh.polygons.foreach_set("material_index", lookup[pack.poly_region])
    mesh.polygons.foreach_set("use_smooth", np.ones(pack.n_polygons, dtype=bool))
    mesh.update()
    mesh.validate()
    obj = bpy.data.objects.new("head", mesh)
    scene.collection.objects.link(obj)
    obj.scale = (0.001, 0.001, 0.001)  # mm -> m

    cam_data = bpy.data.cameras.new("cam")
    cam_data.lens = 85.0
    cam = bpy.data.objects.new("cam", cam_data)
    cam.location = (0.0, -0.78, -0.012)
    cam.rotation_euler = (math.pi / 2, 0.0, 0.0)
    scene.collection.objects.link(cam)
    scene.camera = cam
    for name, loc, energy, size in (("key", (-0.5, -0.7, 0.45), 30.0, 0.5), ("fill", (0.6, -0.6, 0.0), 10.0, 0.8)):
        light = bpy.data.lights.new(name, "AREA")
        light.energy, light.size = energy, size
        lo = bpy.data.objects.new(name, light)
        lo.location = loc
        lo.rotation_euler = (-Vector(loc)).to_track_quat("-Z", "Y").to_euler()  # aim at the head
        scene.collection.objects.link(lo)
    return obj


def render(obj: bpy.types.Object, vertices: np.ndarray, yaw_deg: float, path: Path) -> None:
    obj.data.vertices.foreach_set("co", vertices.reshape(-1))
    obj.data.update()
    # Model +Y up -> world +Z, model +Z (face) -> world -Y (towards the camera), then yaw.
    obj.rotation_euler = (math.pi / 2, 0.0, math.radians(yaw_deg))
    bpy.context.scene.render.filepath = str(path)
    bpy.ops.render.render(write_still=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("docs/images/builtin_head_sheet.png"))
    ap.add_argument("--preview", type=Path, help="write big front and 3/4 views with this path prefix")
    ap.add_argument("--expr", default="neutral", help="preset or ARKit shape name for --preview")
    args = ap.parse_args()
    pack = build_builtin_pack()
    if args.preview:
        obj = build_scene(pack, 480, 600, 24)
        known = args.expr in preset_names()
        v = pack.deform((), dict(preset_weights(args.expr)) if known else {args.expr: 1.0})
        for yaw in (0, 35, 90):
            render(obj, v, yaw, Path(f"{args.preview}_{args.expr}_{yaw}.png"))
        views = [Image.open(f"{args.preview}_{args.expr}_{yaw}.png") for yaw in (0, 35, 90)]
        strip = Image.new("RGB", (sum(im.width for im in views), views[0].height))
        for k, im in enumerate(views):
            strip.paste(im, (k * im.width, 0))
        strip.save(f"{args.preview}_{args.expr}.png")
        return
    cell_w, cell_h, n_id = 128, 160, 8
    obj = build_scene(pack, cell_w, cell_h, 16)
    rng = np.random.default_rng(7)
    identities = 1.5 * rng.standard_normal((n_id, pack.n_identity))  # 1.5 SD: show the range
    identities[0] = 0.0  # the mean head first
    expressions = [dict(preset_weights(name)) for name in SHEET_PRESETS]
    left, top = 72, 34  # margins for the row and column labels
    sheet = Image.new("RGB", (left + cell_w * n_id, top + cell_h * len(expressions)), "white")
    draw = ImageDraw.Draw(sheet)
    for i in range(n_id):
        title = "mean head" if i == 0 else f"identity {i}"
        draw.text((left + i * cell_w + 6, 3), title, fill="black")
        draw.text((left + i * cell_w + 6, 17), f"yaw {0 if i % 2 == 0 else 30}°", fill="dimgray")
    for j, name in enumerate(SHEET_PRESETS):
        draw.text((6, top + j * cell_h + cell_h // 2 - 6), name, fill="black")
    with tempfile.TemporaryDirectory() as tmp:
        for i, ident in enumerate(identities):
            for j, weights in enumerate(expressions):
                cell = Path(tmp) / f"{i}_{j}.png"
                render(obj, pack.deform(ident, weights), 0.0 if i % 2 == 0 else 30.0, cell)
                sheet.paste(Image.open(cell).convert("RGB"), (left + i * cell_w, top + j * cell_h))
    with atomic_path(args.out) as tmp_out:
        sheet.save(tmp_out, optimize=True)  # full colour: no palette quantisation
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()

"""Where the default realism preset's render time goes: one sample rendered with one part of the
look or groom off at a time (or one shader/Cycles setting changed), in one Blender session, as
process-CPU and wall seconds and as a ratio to the bare head of the same sample.

    .venv/bin/python bench/realism_cost.py --index 3 --scale 0.5            # the bald sample
    .venv/bin/python bench/realism_cost.py --index 3 --variants bare,full,no_skin --png-dir /tmp/rc

Variants (comma list, in this order; the bare head is always first and last so load drift shows):
bare, full, no_skin, no_clothing, no_sky, no_groom, no_hair (scalp hair and beard off, brows and
lashes kept), and scene tweaks applied to the full sample: before (skin_before and hair_depth4
together), skin_before (the look skin as it was
before the cost work: pores as bump at any scale, random-walk subsurface), skin_fine (pores as
bump, Christensen-Burley), skin_rw (pores as roughness, random walk), skin_flat (no bump at all),
skin_burley / skin_rwskin (another subsurface method), skin_nosss (no subsurface), cloth_plain
(the shirt without sheen and weave bump), hair_huang (Huang hair model), hair_depth1/2/4 (hair
paths end after 1, 2 or 4 scattering events; 2 is shipped, 4 was), hair_rough (hair roughness 0.5),
subdiv0/1/3 (Cycles curve subdivisions, 2 is Blender's default), spatial / no_spatial (BVH
spatial splits on / off; off is shipped: no gain at 480x640, docs/groom.md);
no_beard / no_scalp (one strand set off); and strand geometry changed after growth: hair_half,
hair_2of3, beard_half, both_half (that share of the strands at the inverse share times the radius:
the same coverage), points_half (every other point of each hair and beard strand); the eyes:
no_lid_shadow, lash_before, eyes_before (both), sclera_dim (see _tweaks).
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("FACESYNTH_HOME", str(REPO / ".cache" / "facesynth-test"))
RECIPE = REPO / "recipes" / "realism.yaml"


def _spec_variants() -> dict[str, Callable[[Any], Any]]:
    def look(spec: Any, **off: None) -> Any:
        return spec.model_copy(update={"look": spec.look.model_copy(update=off)})

    def groom(spec: Any, g: Any) -> Any:
        return spec.model_copy(update={"subject": spec.subject.model_copy(update={"groom": g})})

    return {
        "bare": lambda s: groom(s, None).model_copy(update={"look": None}),
        "full": lambda s: s,
        "no_skin": lambda s: look(s, skin=None),
        "no_clothing": lambda s: look(s, clothing=None),
        "no_sky": lambda s: look(s, sky=None),
        "no_groom": lambda s: groom(s, None),
        "no_hair": lambda s: groom(s, s.subject.groom.model_copy(update={"hair_style": "bald", "beard_style": None})
                                   if s.subject.groom else None),
        "no_beard": lambda s: groom(s, s.subject.groom.model_copy(update={"beard_style": None})
                                    if s.subject.groom else None),
        "no_scalp": lambda s: groom(s, s.subject.groom.model_copy(update={"hair_style": "bald"})
                                    if s.subject.groom else None),
    }


def _thinned(groom: Any, names: tuple[str, ...], keep: float = 1.0, point_step: int = 1) -> Any:
    """The groom with `keep` of the named sets' strands at 1/keep times their radius (same
    coverage), and/or every `point_step`-th point of each strand (ends kept)."""
    import numpy as np

    from facesynth.geometry.strands import GroomGeometry, StrandSet

    out = []
    for s in groom.strands:
        if s.name not in names:
            out.append(s)
            continue
        i = np.arange(s.n_strands)
        rows = np.flatnonzero(np.floor((i + 1) * keep + 1e-9) > np.floor(i * keep + 1e-9))
        cols = np.unique(np.r_[np.arange(0, s.points.shape[1], point_step), s.points.shape[1] - 1])
        out.append(StrandSet(s.name, s.material, s.points[rows][:, cols], s.radius[rows][:, cols] / keep,
                             s.region[rows], s.root_vertices[rows], s.root_weights[rows], s.solid))
    return GroomGeometry(tuple(out), groom.meshes)


def _groom_variants() -> dict[str, Callable[[Any], Any]]:
    """name -> (posed groom -> posed groom): strand count, width and points changed."""
    return {"hair_half": lambda g: _thinned(g, ("hair",), keep=0.5),
            "hair_2of3": lambda g: _thinned(g, ("hair",), keep=2 / 3),
            "beard_half": lambda g: _thinned(g, ("beard",), keep=0.5),
            "both_half": lambda g: _thinned(g, ("hair", "beard"), keep=0.5),
            "points_half": lambda g: _thinned(g, ("hair", "beard"), point_step=2)}


def _bsdf(mat: Any) -> Any:
    return next(n for n in mat.node_tree.nodes if n.type == "BSDF_PRINCIPLED")


def _both(*undos: Callable[[], None]) -> Callable[[], None]:
    return lambda: [u() for u in reversed(undos)]


def _tweaks() -> dict[str, Callable[[Any], Callable[[], None]]]:
    """name -> (session -> undo): a change to the full sample's scene, and how to take it back."""

    def skin_flat(session: Any) -> Callable[[], None]:
        mat = session.look.skin_material
        bsdf = _bsdf(mat)
        link = bsdf.inputs["Normal"].links[0]
        src = link.from_socket
        mat.node_tree.links.remove(link)
        return lambda: mat.node_tree.links.new(src, bsdf.inputs["Normal"])

    def skin_method(method: str) -> Callable[[Any], Callable[[], None]]:
        def tweak(session: Any) -> Callable[[], None]:
            bsdf = _bsdf(session.look.skin_material)
            old = bsdf.subsurface_method
            bsdf.subsurface_method = method
            return lambda: setattr(bsdf, "subsurface_method", old)
        return tweak

    def skin_nosss(session: Any) -> Callable[[], None]:
        sock = _bsdf(session.look.skin_material).inputs["Subsurface Weight"]
        old = sock.default_value
        sock.default_value = 0.0
        return lambda: setattr(sock, "default_value", old)

    def cloth_plain(session: Any) -> Callable[[], None]:
        mat = session.look._cloth_obj.data.materials[0]
        bsdf = _bsdf(mat)
        sheen = bsdf.inputs["Sheen Weight"]
        old = sheen.default_value
        sheen.default_value = 0.0
        link = bsdf.inputs["Normal"].links[0]
        src = link.from_socket
        mat.node_tree.links.remove(link)

        def undo() -> None:
            sheen.default_value = old
            mat.node_tree.links.new(src, bsdf.inputs["Normal"])
        return undo

    def hair_node(session: Any) -> list[Any]:
        return [n for obj in session.groom.objects.values() for m in obj.data.materials if m
                for n in m.node_tree.nodes if n.type in ("BSDF_HAIR_PRINCIPLED", "MATH")]

    def hair_huang(session: Any) -> Callable[[], None]:
        nodes = [n for n in hair_node(session) if n.type == "BSDF_HAIR_PRINCIPLED"]
        for n in nodes:
            n.model = "HUANG"
        return lambda: [setattr(n, "model", "CHIANG") for n in nodes]

    def hair_depth(depth: int) -> Callable[[Any], Callable[[], None]]:
        def tweak(session: Any) -> Callable[[], None]:
            cuts = [n for n in hair_node(session) if n.type == "MATH" and n.operation == "GREATER_THAN"]
            old = [n.inputs[1].default_value for n in cuts]
            for n in cuts:
                n.inputs[1].default_value = depth
            return lambda: [setattr(n.inputs[1], "default_value", o) for n, o in zip(cuts, old, strict=True)]
        return tweak

    built: dict[tuple[bool, str], Any] = {}

    def skin_as(fine: bool, method: str) -> Callable[[Any], Callable[[], None]]:
        """The look skin with pores as bump or not, and a subsurface method."""
        def tweak(session: Any) -> Callable[[], None]:
            from facesynth.render.skin_look import build_skin_look

            if (fine, method) not in built:
                mat = built[fine, method] = build_skin_look(session._bpy, fine=fine)
                _bsdf(mat).subsurface_method = method
            now = session.look.skin_material
            mats = session.mesh.materials
            slots = [i for i, m in enumerate(mats) if m is now]
            for i in slots:
                mats[i] = built[fine, method]
            return lambda: [mats.__setitem__(i, now) for i in slots]
        return tweak

    def before(session: Any) -> Callable[[], None]:
        """Both changes of the cost work taken back: the old skin, hair paths cut after 4 events."""
        undos = [skin_as(True, "RANDOM_WALK")(session), hair_depth(4)(session)]
        return lambda: [u() for u in undos]

    def scene_setting(group: str, key: str, value: Any) -> Callable[[Any], Callable[[], None]]:
        """scene.<group>.<key> = value (cycles_curves.subdivisions, cycles.debug_use_spatial_splits)."""
        def tweak(session: Any) -> Callable[[], None]:
            settings = getattr(session.scene, group)
            old = getattr(settings, key)
            setattr(settings, key, value)
            return lambda: setattr(settings, key, old)
        return tweak

    def curve_subdiv(n: int) -> Callable[[Any], Callable[[], None]]:
        return scene_setting("cycles_curves", "subdivisions", n)

    def spatial_splits(on: bool) -> Callable[[Any], Callable[[], None]]:
        return scene_setting("cycles", "debug_use_spatial_splits", on)

    def hair_rough(session: Any) -> Callable[[], None]:
        nodes = [n for n in hair_node(session) if n.type == "BSDF_HAIR_PRINCIPLED"]
        old = [n.inputs["Roughness"].default_value for n in nodes]
        for n in nodes:
            n.inputs["Roughness"].default_value = 0.5
        return lambda: [setattr(n.inputs["Roughness"], "default_value", o) for n, o in zip(nodes, old, strict=True)]

    def eye_tweak(kind: str) -> Callable[[Any], Callable[[], None]]:
        """The eyes: no_lid_shadow (the eyeball without the lids' ambient occlusion), sclera_dim
        (the eyeball's colour at 0.7), lash_before (the lash strips as before December 2026:
        strands 0.8 opaque on the wave crests above 0.75, thin and grey)."""
        def tweak(session: Any) -> Callable[[], None]:
            mats = session.materials.by_role
            if kind == "lash_before":
                ranges = [n for n in mats["eyelashes"].node_tree.nodes if n.type == "MAP_RANGE"]
                old = [(n.inputs["From Min"].default_value, n.inputs["To Max"].default_value) for n in ranges]
                for n in ranges:
                    n.inputs["From Min"].default_value, n.inputs["To Max"].default_value = 0.75, 0.8

                def undo_lash() -> None:
                    for n, (a, b) in zip(ranges, old, strict=True):
                        n.inputs["From Min"].default_value, n.inputs["To Max"].default_value = a, b
                return undo_lash
            tree = mats["sclera"].node_tree
            bsdf = _bsdf(mats["sclera"])
            base, coat = bsdf.inputs["Base Color"], bsdf.inputs["Coat Weight"]
            ao = next(n for n in tree.nodes if n.type == "AMBIENT_OCCLUSION")
            src = ao.inputs["Color"].links[0].from_socket
            if kind == "no_lid_shadow":
                tree.links.new(src, base)
                tree.links.remove(coat.links[0])
                old_coat = coat.default_value
                coat.default_value = 1.0

                def undo_ao() -> None:
                    tree.links.new(ao.outputs["Color"], base)
                    tree.links.new(ao.outputs["AO"], coat)
                    coat.default_value = old_coat
                return undo_ao
            mul = tree.nodes.new("ShaderNodeVectorMath")
            mul.operation = "SCALE"
            mul.inputs["Scale"].default_value = 0.7
            tree.links.new(src, mul.inputs[0])
            tree.links.new(mul.outputs["Vector"], ao.inputs["Color"])

            def undo_dim() -> None:
                tree.nodes.remove(mul)
                tree.links.new(src, ao.inputs["Color"])
            return undo_dim
        return tweak

    return {"no_lid_shadow": eye_tweak("no_lid_shadow"), "sclera_dim": eye_tweak("sclera_dim"),
            "lash_before": eye_tweak("lash_before"), "eyes_before": lambda session: _both(
                eye_tweak("no_lid_shadow")(session), eye_tweak("lash_before")(session)),
            "subdiv0": curve_subdiv(0), "subdiv1": curve_subdiv(1), "subdiv3": curve_subdiv(3),
            "spatial": spatial_splits(True),
            "no_spatial": spatial_splits(False), "hair_rough": hair_rough, "before": before,
            "skin_before": skin_as(True, "RANDOM_WALK"), "skin_fine": skin_as(True, "BURLEY"),
            "skin_rw": skin_as(False, "RANDOM_WALK"), "hair_huang": hair_huang, "hair_depth1": hair_depth(1),
            "hair_depth2": hair_depth(2), "hair_depth4": hair_depth(4), "skin_flat": skin_flat,
            "skin_burley": skin_method("BURLEY"), "skin_rwskin": skin_method("RANDOM_WALK_SKIN"),
            "skin_nosss": skin_nosss, "cloth_plain": cloth_plain}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipe", type=Path, default=RECIPE)
    ap.add_argument("--index", type=int, default=3, help="sample index (3 = the bald sample of realism.yaml)")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--variants", default="full,no_skin,no_clothing,no_sky,no_groom,skin_flat,skin_burley,"
                    "skin_nosss,cloth_plain")
    ap.add_argument("--set", action="append", default=[], help="recipe override KEY=VALUE (as facesynth render)")
    ap.add_argument("--cycles", action="append", default=[],
                    help="scene.cycles KEY=VALUE applied to every render of the run (bare head too)")
    ap.add_argument("--border", help="render only this region, x0,y0,x1,y1 as fractions (y up, as Blender's "
                    "border); the rest of the image stays empty")
    ap.add_argument("--no-bare", action="store_true", help="only the variants (no bare head before and after)")
    ap.add_argument("--png-dir", type=Path, help="write each variant's RGB here")
    args = ap.parse_args()
    sys.path.insert(0, str(REPO))
    import numpy as np
    from PIL import Image

    from bench.groom_overhead import scaled
    from facesynth.assets import load_pack
    from facesynth.farm.producer import prepare, resolve_spec_paths
    from facesynth.geometry.groom import posed_groom
    from facesynth.geometry.pose import pose_sample
    from facesynth.recipe import load_recipe
    from facesynth.render.session import RenderSession

    loaded = load_recipe(args.recipe, overrides=args.set)
    pack = load_pack(loaded.recipe.subjects.face_model)
    spec0, vertices, _ = prepare(loaded, pack, args.index)
    spec0 = scaled(resolve_spec_paths(loaded, spec0), args.scale)
    specs, tweaks, grooms = _spec_variants(), _tweaks(), _groom_variants()
    names = [v for v in args.variants.split(",") if v and v != "bare"]
    if not args.no_bare:
        names = ["bare", *names, "bare"]
    # a variant may combine parts with '+' (e.g. spatial+points_half): at most one spec variant
    unknown = [part for v in names for part in v.split("+") if part not in specs and part not in tweaks
               and part not in grooms]
    if unknown:
        print(f"error: unknown variant(s) {', '.join(unknown)}", file=sys.stderr)
        return 2
    g = spec0.subject.groom
    print(f"sample {args.index}: {spec0.camera.width}x{spec0.camera.height}, groom "
          f"{g.hair_style if g else '-'}/{g.beard_style if g else '-'}, sky {spec0.look.sky is not None}, "
          f"env {spec0.environment.source}, lights {[lt.kind for lt in spec0.lights]}, "
          f"samples {spec0.render.samples}, threads {args.threads}", flush=True)
    rows = []
    with RenderSession(pack, threads=args.threads) as session:
        for name in ("full", "bare"):  # warm-up at 1 spp: scene sync, shaders, BVHs
            spec = specs[name](spec0)
            spec = spec.model_copy(update={"render": spec.render.model_copy(update={"samples": 1})})
            posed = pose_sample(spec, pack)
            session.render(spec, vertices, posed, groom=posed_groom(spec, pack, vertices))
        for name in names:
            parts = name.split("+")
            spec = next((specs[p](spec0) for p in parts if p in specs), spec0)
            posed = pose_sample(spec, pack)
            groom = posed_groom(spec, pack, vertices)
            for p in parts:
                if p in grooms:
                    groom = grooms[p](groom)
            session.apply(spec, vertices, posed, groom)
            undos = [tweaks[p](session) for p in parts if p in tweaks]
            for kv in args.cycles:
                key, value = kv.split("=", 1)
                setattr(session.scene.cycles, key, type(getattr(session.scene.cycles, key))(ast.literal_eval(value)))
            if args.border:
                r = session.scene.render
                r.use_border, r.use_crop_to_border = True, False
                r.border_min_x, r.border_min_y, r.border_max_x, r.border_max_y = map(float, args.border.split(","))
            session.scene.update_tag()
            w, c = time.perf_counter(), time.process_time()
            res = session.render(spec, vertices, posed, groom=groom)
            wall, cpu = time.perf_counter() - w, time.process_time() - c
            for undo in undos:
                undo()
            rows.append((name, wall, cpu))
            load = os.getloadavg()[0]
            print(f"{name:12s} wall {wall:6.1f}s cpu {cpu:6.1f}s  (load {load:.1f})", flush=True)
            if args.png_dir:
                args.png_dir.mkdir(parents=True, exist_ok=True)
                rgb = res.rgb if res.rgb.dtype == np.uint8 else (res.rgb >> 8).astype(np.uint8)
                Image.fromarray(rgb[..., :3]).save(args.png_dir / f"{args.index}_{name}.png")
    if args.no_bare:
        return 0
    bare_cpu = (rows[0][2] + rows[-1][2]) / 2
    bare_wall = (rows[0][1] + rows[-1][1]) / 2
    print(f"bare head: cpu {rows[0][2]:.1f}s then {rows[-1][2]:.1f}s (mean {bare_cpu:.1f}s)")
    for name, wall, cpu in rows[1:-1]:
        print(f"{name:12s} cpu x{cpu / bare_cpu:5.2f}  wall x{wall / bare_wall:5.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

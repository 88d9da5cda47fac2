"""Judge a rendered dataset with dlib, reading rgb + landmarks + metadata from the store.

Rendering and judging are separate so a long run is rendered once (`facesynth render`, which
resumes) and judged as often as needed. Per render: HOG and CNN detection, the 68-point
predictor's NME (68 / 51 inner / 10 brow / 17 jaw points, outer inter-ocular) and the
face-recognition embedding; over the set: the verification ROC AUC over subjects x renders, and
the HOG misses split by |yaw| bin, environment (HDRI or sky) and accessories, so a cause that
dominates the failures shows. Judgments are cached per sample beside the dataset
(`DATASET.dlib-KIND.json`), so a dataset still being rendered can be judged as it grows.

    .venv/bin/python bench/dlib_acceptance.py --dataset .cache/dlib200 [--kind rgb_clean] [--record]
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np

YAW_BINS = ("abs(yaw) <15", "abs(yaw) 15-30", "abs(yaw) 30-45")


def yaw_bin(yaw: float) -> str:
    return YAW_BINS[0] if abs(yaw) < 15 else YAW_BINS[1] if abs(yaw) < 30 else YAW_BINS[2]


def environment(meta: dict) -> str:
    """'sky' when the look's sky replaced the HDRI, else the HDRI's source ('builtin:city' ...)."""
    look = meta.get("look") or {}
    return "sky" if look.get("sky") else str(meta["environment"]["source"])


def key_lamp(lights: list[dict]) -> dict | None:
    """The lamp that lights the face most: the highest on-axis intensity at the head (an area
    lamp's recorded watts are a quarter of a point lamp's of the same intensity)."""
    from facesynth.sampling.sampler import AREA_LIGHT_FACTOR

    lamps = [lt for lt in lights if lt.get("kind") != "sun"]
    if not lamps:
        return None
    return max(lamps, key=lambda lt: lt["energy"] / (AREA_LIGHT_FACTOR if lt["kind"] == "area" else 1.0)
               / (lt["distance_mm"] / 1000.0) ** 2)


def conditions(meta: dict) -> dict:
    """What a render was made of, for splitting the failures (all from the metadata)."""
    groom = meta.get("groom") or {}
    lights = meta.get("lights") or []
    image_fx = (meta.get("look") or {}).get("image") or {}
    skin = (meta.get("look") or {}).get("skin") or {}
    key = key_lamp(lights) or {}
    return {
        "id": meta["id"],
        "subject": int(meta["subject_id"]),
        "yaw": float(meta["head_pose"]["yaw_deg"]),
        "env": environment(meta),
        "env_strength": float(meta["environment"]["strength"]),
        "lamps": len(lights),
        "key_elevation": float(key.get("elevation_deg", float("nan"))),
        "key_azimuth": float(key.get("azimuth_deg", float("nan"))),
        "glasses": bool(groom.get("glasses_shape")),
        "sunglasses": bool(groom.get("glasses_sun")),
        "headwear": bool(groom.get("headwear")),
        "hair": groom.get("hair_style") or "none",
        "beard": groom.get("beard_style") or "none",
        "expression": str(meta["face_model"].get("expression_name")),
        "blur": bool(image_fx.get("defocus_px") or image_fx.get("motion_px")),
        "jpeg": bool(image_fx.get("jpeg_quality")),
        "melanin": float(skin.get("melanin", float("nan"))),
        "hair_melanin": float(groom.get("melanin", float("nan"))),
        "fstop": meta["camera"].get("fstop"),  # None: a pinhole (no depth of field), or older metadata
    }


def image(sample, kind: str) -> np.ndarray:
    if kind == "rgb":
        return sample.rgb
    from facesynth.io import codecs

    return codecs.decode_png(sample.read(kind))[..., :3]


def skin_luma(sample, kind: str) -> tuple[float, float]:
    """Mean sRGB luma (0-255) of the pixels labelled skin (how brightly the face came out), and the
    brows' luma over the forehead's just above them (a real brow is clearly darker than its skin)."""
    from facesynth.assets import parsing as P
    from facesynth.io import codecs

    parsing = codecs.decode_png(sample.read("parsing"))
    luma = image(sample, kind).astype(np.float64) @ [0.299, 0.587, 0.114]
    skin = parsing == P.SKIN
    brow = (parsing == P.LEFT_BROW) | (parsing == P.RIGHT_BROW)
    ratio = float("nan")
    if brow.sum() >= 5:
        ys, xs = np.nonzero(brow)
        forehead = skin.copy()  # skin in the 25 rows above the brows, within their columns
        forehead[ys.min():] = False
        forehead[:max(0, ys.min() - 25)] = False
        forehead[:, :xs.min()] = False
        forehead[:, xs.max() + 1:] = False
        if forehead.sum() >= 5:
            ratio = float(luma[brow].mean() / max(luma[forehead].mean(), 1e-6))
    return (float(luma[skin].mean()) if skin.any() else float("nan")), ratio


REGIONS = {"jaw": slice(0, 17), "brow": slice(17, 27), "nose": slice(27, 36), "eye": slice(36, 48),
           "mouth": slice(48, 68)}


def predicted_points(img: np.ndarray, truth: np.ndarray, models) -> np.ndarray | None:
    """dlib's 68 points in its HOG detection nearest the true face (None: HOG finds no face)."""
    hog, _, predictor, _ = models
    img = np.ascontiguousarray(img)
    dets = list(hog(img, 1))
    if not dets:
        return None
    centre = truth.mean(axis=0)
    best = min(dets, key=lambda r: np.hypot((r.left() + r.right()) / 2 - centre[0],
                                            (r.top() + r.bottom()) / 2 - centre[1]))
    return np.array([[q.x, q.y] for q in predictor(img, best).parts()], dtype=np.float64)


def vertical_offsets(pred: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Mean signed vertical offset, predicted minus ours, per region, over the outer inter-ocular
    distance (positive: the predictor puts the region lower than our landmarks). A region whose
    offset stands out from the eyes' is drawn where a face in a real photograph would not have it."""
    iod = np.linalg.norm(truth[36] - truth[45])
    return {f"dy_{k}": float((pred[s, 1] - truth[s, 1]).mean() / iod) for k, s in REGIONS.items()}


def contour_nme(pred: np.ndarray, truth_2d: np.ndarray) -> dict[str, float]:
    """NME against the 2D jaw-contour convention (points 0-16 on the visible outline, as 300-W,
    the predictor's training set, annotates them; 17-67 are the same points as the default)."""
    err = np.linalg.norm(pred - truth_2d, axis=1) / np.linalg.norm(truth_2d[36] - truth_2d[45])
    return {"nme68_2d": float(err.mean()), "nme_jaw_2d": float(err[:17].mean())}


def judge_dataset(path: Path, kind: str, judge: Callable[[np.ndarray, np.ndarray], dict],
                  cache: Path | None = None, models=None) -> list[dict]:
    """One row per stored sample: conditions + judgment; judgments are reused from `cache`."""
    from facesynth import open_dataset

    done: dict[str, dict] = json.loads(cache.read_text()) if cache is not None and cache.exists() else {}
    rows = []
    for sample in open_dataset(path):
        key = f"{sample.id}:{sample.meta['recipe_sha256']}"
        if key not in done:
            truth = sample.landmarks.xy
            r = judge(image(sample, kind), truth)
            r["iod_px"] = float(np.linalg.norm(truth[36] - truth[45]))
            r["skin_luma"], r["brow_ratio"] = skin_luma(sample, kind)
            if "embedding" in r:
                r["embedding"] = [float(x) for x in r["embedding"]]
            done[key] = r
            if cache is not None:  # write as we go: an interrupted judging run keeps its work
                cache.write_text(json.dumps(done))
        if "brow_ratio" not in done[key]:  # judged before these were recorded
            done[key]["skin_luma"], done[key]["brow_ratio"] = skin_luma(sample, kind)
        has_2d = "landmarks_68_2d_contour" in sample.meta
        if models is not None and done[key]["hog"] and ("dy_brow" not in done[key]
                                                         or (has_2d and "nme68_2d" not in done[key])):
            pred = predicted_points(image(sample, kind), sample.landmarks.xy, models)
            if pred is not None:
                done[key].update(vertical_offsets(pred, sample.landmarks.xy))
                if has_2d:
                    done[key].update(contour_nme(pred, sample.landmarks_2d_contour.xy))
        rows.append({**conditions(sample.meta), **done[key]})
    if cache is not None:
        cache.write_text(json.dumps(done))
    return rows


def _rate(rows: list[dict], key: str = "hog") -> str:
    return f"{sum(r[key] for r in rows)}/{len(rows)}"


def split(rows: list[dict], by: Callable[[dict], str]) -> list[tuple[str, list[dict]]]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        groups[by(r)].append(r)
    return sorted(groups.items())


def _bins(value: float, edges: tuple[float, float], unit: str) -> str:
    if not np.isfinite(value):
        return "none"
    lo, hi = edges
    return f"<{lo} {unit}" if value < lo else f"{lo}-{hi} {unit}" if value < hi else f">={hi} {unit}"


def _brow_bin(ratio: float) -> str:
    if not np.isfinite(ratio):
        return "no brow pixels"
    return "<0.75" if ratio < 0.75 else "0.75-0.85" if ratio < 0.85 else ">=0.85 (faint)"


def failure_table(rows: list[dict]) -> str:
    """Markdown: per |yaw| bin, environment and accessory, HOG detected and share of all misses."""
    misses = sum(not r["hog"] for r in rows) or 1
    lines = ["| split | group | HOG detected | CNN detected | share of HOG misses | median NME68, 2D jaw |",
             "|---|---|---|---|---|---|"]
    splits = {
        "yaw": lambda r: yaw_bin(r["yaw"]),
        "environment": lambda r: r["env"],
        "strongest lamp elevation": lambda r: _bins(r["key_elevation"], (0, 30), "deg"),
        "strongest lamp abs(azimuth)": lambda r: _bins(abs(r["key_azimuth"]), (30, 60), "deg"),
        "eyewear": lambda r: "sunglasses" if r["sunglasses"] else "glasses" if r["glasses"] else "none",
        "headwear": lambda r: "beanie" if r["headwear"] else "none",
        "hair": lambda r: r["hair"],
        "hair melanin": lambda r: "light (<0.4)" if r["hair_melanin"] < 0.4 else "dark",
        "skin melanin": lambda r: "<0.07" if r["melanin"] < 0.07 else "0.07-0.3" if r["melanin"] < 0.3 else ">=0.3",
        "face luma": lambda r: "<80" if r["skin_luma"] < 80 else "80-140" if r["skin_luma"] < 140 else ">=140",
        "brow luma / forehead luma": lambda r: _brow_bin(r["brow_ratio"]),
        "blur (defocus/motion)": lambda r: "yes" if r["blur"] else "no",
        "jpeg": lambda r: "yes" if r["jpeg"] else "no",
        "expression": lambda r: r["expression"],
        "aperture": lambda r: "pinhole" if r["fstop"] is None else "f/2-4" if r["fstop"] < 4 else
        "f/4-8" if r["fstop"] < 8 else "f/8-16",
    }
    for name, by in splits.items():
        for group, g in split(rows, by):
            lines.append(f"| {name} | {group} | {_rate(g)} | {_rate(g, 'cnn')} | "
                         f"{100 * sum(not r['hog'] for r in g) / misses:.0f} % | {_median_nme(g)} |")
    return "\n".join(lines)


def _median_nme(rows: list[dict]) -> str:
    """Median 68-point NME (2D jaw contour) over the HOG-detected renders of a group."""
    v = [r["nme68_2d"] for r in rows if r["hog"] and "nme68_2d" in r]
    return f"{np.median(v):.3f}" if v else "-"


def summary(rows: list[dict], auc: Callable[[list, list], float | None]) -> dict[str, float | None]:
    det = [r for r in rows if r["hog"]]
    out: dict[str, float | None] = {"renders": len(rows), "subjects": len({r["subject"] for r in rows}),
                                    "hog": len(det) / len(rows), "cnn": sum(r["cnn"] for r in rows) / len(rows)}
    for key in ("nme68", "nme51", "nme_brow", "nme_jaw", "nme68_2d", "nme_jaw_2d"):
        values = [r[key] for r in det if key in r]
        out[key] = float(np.median(values)) if values else None
    out["auc"] = auc([np.asarray(r["embedding"]) for r in det], [r["subject"] for r in det])
    out["auc_renders"] = len(det)
    return out


def failure_sheet(path: Path, rows: list[dict], kind: str, out: Path, columns: int = 8) -> None:
    """The HOG misses side by side, each captioned with yaw, environment and accessories."""
    from PIL import Image, ImageDraw

    from facesynth import open_dataset

    by_id = {s.id: s for s in open_dataset(path)}
    misses = [r for r in rows if not r["hog"]]
    if not misses:
        return
    tiles = []
    for r in misses:
        tile = Image.fromarray(image(by_id[r["id"]], kind))
        caption = f"{r['id']} yaw {r['yaw']:+.0f} {r['env'].removeprefix('builtin:')}"
        extra = " ".join(k for k in ("sunglasses", "headwear") if r[k])
        draw = ImageDraw.Draw(tile)
        for i, text in enumerate((caption, f"{r['hair']} {extra}")):
            draw.text((3, 3 + 11 * i), text, fill=(255, 255, 0), stroke_width=1, stroke_fill=(0, 0, 0))
        tiles.append(tile)
    w, h = tiles[0].size
    rows_n = -(-len(tiles) // columns)
    sheet = Image.new("RGB", (w * min(columns, len(tiles)), h * rows_n))
    for i, t in enumerate(tiles):
        sheet.paste(t, ((i % columns) * w, (i // columns) * h))
    sheet.save(out)


def paired(rows: list[dict], base_rows: list[dict]) -> str:
    """HOG on the samples both datasets hold (same recipe and seed but for one change): counts
    before and after and the samples that flipped, so a change is measured on the same faces."""
    base = {r["id"]: r for r in base_rows}
    common = [r for r in rows if r["id"] in base]
    if not common:
        return "no sample in common with the baseline"
    gained = [r["id"] for r in common if r["hog"] and not base[r["id"]]["hog"]]
    lost = [r["id"] for r in common if not r["hog"] and base[r["id"]]["hog"]]
    before = sum(base[r["id"]]["hog"] for r in common)
    return (f"on the {len(common)} samples both hold: HOG {before} -> {sum(r['hog'] for r in common)} "
            f"(found now, missed before: {len(gained)}; missed now, found before: {len(lost)})")


def judge_stored(path: Path, kind: str, models, judge, auc, *, record: bool = False,
                 failures: Path | None = None, baseline: Path | None = None) -> dict[str, float | None]:
    """Judge, print, and optionally append the figures to bench/RESULTS.md (with the command)."""
    import time

    from facesynth import open_dataset

    t0 = time.perf_counter()
    cache = path.with_name(f"{path.name}.dlib-{kind}.json")
    rows = judge_dataset(path, kind, lambda rgb, truth: judge(rgb, truth, models), cache, models)
    s = summary(rows, auc)
    meta = open_dataset(path)[0].meta
    size = f"{meta['camera']['width']}x{meta['camera']['height']}"
    spp = meta["render"]["samples"]
    table = failure_table(rows)
    print(f"{path} ({kind}, {size}, {spp} spp): {s['renders']} renders of {s['subjects']} subjects, "
          f"judged in {time.perf_counter() - t0:.0f} s")
    for key, value in s.items():
        print(f"  {key}: {value if value is None or isinstance(value, int) else round(value, 4)}")
    print(f"  median inter-ocular distance: hits {_median_iod(rows, True)} px, misses {_median_iod(rows, False)} px")
    offsets = {k: np.median([r[f"dy_{k}"] for r in rows if f"dy_{k}" in r]) for k in REGIONS}
    ratios = [r["brow_ratio"] for r in rows if np.isfinite(r["brow_ratio"])]
    print(f"  brow luma / forehead luma: median {np.median(ratios):.2f} over {len(ratios)} renders")
    print("  median vertical offset, predicted - ours, over inter-ocular (+ = predictor lower): "
          + ", ".join(f"{k} {v:+.3f}" for k, v in offsets.items()))
    print(table)
    comparison = ""
    if baseline is not None:
        base_cache = baseline.with_name(f"{baseline.name}.dlib-{kind}.json")
        base_rows = judge_dataset(baseline, kind, lambda rgb, truth: judge(rgb, truth, models), base_cache, models)
        comparison = f"against {baseline}: {paired(rows, base_rows)}"
        print(comparison)
    if failures is not None:
        failure_sheet(path, rows, kind, failures)
        print(f"wrote {failures}")
    if record:
        _record(s, table + (f"\n\n{comparison}" if comparison else ""), rows, kind, size, spp)
    return s


def _median_iod(rows: list[dict], hit: bool) -> str:
    v = [r["iod_px"] for r in rows if r["hog"] == hit]
    return f"{np.median(v):.0f}" if v else "-"


def _record(s: dict, table: str, rows: list[dict], kind: str, size: str, spp: int) -> None:
    from bench.record import Figure, append_run, command_line, machine

    n = s["renders"]
    det = round(s["hog"] * n)

    def nme(key: str) -> Figure:
        v = s[key]
        convention = ", 2D jaw contour" if key.endswith("_2d") else ""
        return Figure(f"dlib median {key} (outer inter-ocular{convention}, HOG-detected)", v,
                      f"{det} renders", "<= 0.06" if key == "nme68" else "")

    figures = [
        Figure("dlib HOG detection rate", s["hog"], f"{det}/{n}", ">= 0.95"),
        Figure("dlib CNN detection rate", s["cnn"], f"{round(s['cnn'] * n)}/{n}"),
        nme("nme68"), nme("nme51"), nme("nme_brow"), nme("nme_jaw"),
        *(nme(k) for k in ("nme68_2d", "nme_jaw_2d") if s[k] is not None),
        Figure("dlib verification ROC AUC (face-recognition embedding)", s["auc"],
               f"{s['auc_renders']} HOG-detected renders of {s['subjects']} subjects", ">= 0.95"),
    ]
    for group, g in split(rows, lambda r: yaw_bin(r["yaw"])):
        figures.append(Figure(f"dlib HOG detection rate, {group}", sum(r["hog"] for r in g) / len(g),
                              _rate(g)))
    append_run(f"dlib acceptance ({kind}, {size}, {spp} spp)", figures, machine_text=machine(),
               command=command_line(), note=f"{n} renders of {s['subjects']} subjects (the dataset's recipe.yaml holds "
               "how it was rendered); HOG misses by split:\n\n"
               + table + "\n")

"""Which jaw-contour convention does a detector trained on real photographs agree with?

dlib's 68-point predictor (trained on iBUG 300-W, whose annotators put the jaw on the visible face
outline) is run on ICT-head renders of the realism recipe at |yaw| 30-45 and, as a control, at
|yaw| <= 5. Its 17 jaw points are compared with ours in both conventions of
`facesynth.outputs.LANDMARK_CONVENTIONS`: `3d` (fixed vertices) and `2d-contour` (the jaw on the
outline, as 300W-LP). Error: mean point distance over the 17 points / outer inter-ocular distance
(points 36 and 45), median over the renders a detector finds: the predictor runs in dlib's HOG
detection, or in its CNN detection where HOG finds no face (turned faces; the count is printed).
Renders are cached under .cache/jaw_convention/ (keyed by the recipe's sha256 and the sample), so a
rerun only judges.

    .venv/bin/python bench/jaw_convention.py --samples 6 [--record]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dlib_acceptance import dlib_model_file

# No "|" in the names: they become rows of a markdown table in bench/RESULTS.md.
BINS = {"yaw -5..+5 (control)": (-5, 5), "yaw +30..+45": (30, 45), "yaw -45..-30": (-45, -30)}


def jaw_nme(pred: np.ndarray, truth: np.ndarray) -> float:
    """Mean distance over the 17 jaw points / outer inter-ocular distance of the truth."""
    return float(np.linalg.norm(pred[:17] - truth[:17], axis=1).mean() / np.linalg.norm(truth[36] - truth[45]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--recipe", default="recipes/realism.yaml")
    ap.add_argument("--samples", type=int, default=6, help="Renders per yaw bin.")
    ap.add_argument("--set", action="append", default=[], help="Recipe override, as for facesynth render.")
    ap.add_argument("--record", action="store_true", help="Append the figures to bench/RESULTS.md.")
    args = ap.parse_args()

    import dlib

    from facesynth.assets.registry import load_pack
    from facesynth.farm.producer import prepare
    from facesynth.geometry.labels import compute_labels
    from facesynth.geometry.look_parts import look_parts
    from facesynth.io.image_formation import apply_image_formation
    from facesynth.recipe import load_recipe
    from facesynth.render.session import RenderSession

    hog = dlib.get_frontal_face_detector()
    cnn = dlib.cnn_face_detection_model_v1(dlib_model_file("mmod_human_face_detector.dat"))
    cache = Path(__file__).resolve().parents[1] / ".cache" / "jaw_convention"
    cache.mkdir(parents=True, exist_ok=True)
    predictor = dlib.shape_predictor(dlib_model_file("shape_predictor_68_face_landmarks.dat"))
    base = [f"samples={args.samples}", "render.threads=1", *args.set]
    bins = {name: load_recipe(args.recipe, [*base, f"head_pose.yaw_deg=[{lo}, {hi}]"])
            for name, (lo, hi) in BINS.items()}
    pack = load_pack(next(iter(bins.values())).recipe.face_model_name)
    rows: dict[str, list[tuple[float, float]]] = {name: [] for name in bins}
    misses = dict.fromkeys(bins, 0)
    t0 = time.perf_counter()
    cnn_used = dict.fromkeys(bins, 0)
    with RenderSession(pack) as session:
        for name, loaded in bins.items():
            for i in range(args.samples):
                spec, v, posed = prepare(loaded, pack, i)
                hit = cache / f"{hashlib.sha256(loaded.text.encode()).hexdigest()[:16]}-{i}.npz"
                if hit.exists():
                    got = np.load(hit)
                    img, fixed, contour = got["rgb"], got["fixed"], got["contour"]
                else:
                    labels = compute_labels(spec, pack, v, posed, parts=look_parts(spec, pack, v))
                    rgb = session.render(spec, v, posed).rgb
                    if spec.look is not None and spec.look.image is not None:
                        rgb = apply_image_formation(rgb, spec.look.image)
                    img = np.ascontiguousarray(rgb[..., :3])
                    fixed, contour = labels.landmarks.uv, labels.landmarks_2d_contour.points.uv
                    np.savez_compressed(hit, rgb=img, fixed=fixed, contour=contour)
                dets = list(hog(img, 1))
                if not dets:
                    dets = [d.rect for d in cnn(img, 1)]
                    cnn_used[name] += bool(dets)
                if not dets:
                    misses[name] += 1
                    print(f"{name} {i}: yaw {spec.head_pose.yaw_deg:+.1f} not detected", flush=True)
                    continue
                centre = fixed.mean(axis=0)
                best = min(dets, key=lambda r: np.hypot((r.left() + r.right()) / 2 - centre[0],
                                                        (r.top() + r.bottom()) / 2 - centre[1]))
                pred = np.array([[p.x, p.y] for p in predictor(img, best).parts()], dtype=np.float64)
                e3, e2 = jaw_nme(pred, fixed), jaw_nme(pred, contour)
                rows[name].append((e3, e2))
                print(f"{name} {i}: yaw {spec.head_pose.yaw_deg:+.1f} jaw NME 3d {e3:.4f} 2d-contour {e2:.4f}",
                      flush=True)
    minutes = (time.perf_counter() - t0) / 60
    lines = []
    for name, r in rows.items():
        if not r:
            lines.append(f"{name}: no detections ({misses[name]} misses)")
            continue
        a = np.array(r)
        lines.append(f"{name}: {len(a)}/{len(a) + misses[name]} detected ({cnn_used[name]} by CNN only); "
                     f"median jaw NME 3d {np.median(a[:, 0]):.4f}, "
                     f"2d-contour {np.median(a[:, 1]):.4f} (ratio {np.median(a[:, 1]) / np.median(a[:, 0]):.2f}); "
                     f"2d-contour lower in {int((a[:, 1] < a[:, 0]).sum())}/{len(a)}")
    print("\n" + "\n".join(lines))
    print(f"({minutes:.1f} min)")
    if args.record:
        from record import Figure, append_run, command_line, machine

        figures = []
        for name, r in rows.items():
            if r:
                a = np.array(r)
                m3, m2 = float(np.median(a[:, 0])), float(np.median(a[:, 1]))
                figures.append(Figure(f"jaw NME 2d-contour / 3d, {name}", m2 / m3,
                                      f"median jaw NME {m2:.4f} / {m3:.4f} over {len(a)} detected renders",
                                      "below 1 at yaw beyond +-30"))
        append_run("jaw-contour convention vs dlib's 68-point predictor", figures, machine_text=machine(),
                   command=command_line(), note=f"{args.samples} renders per bin, render.threads=1; "
                   f"the run took {minutes:.0f} min")


if __name__ == "__main__":
    main()

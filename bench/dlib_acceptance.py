"""Judge renders with detectors trained on real photographs: dlib's HOG and CNN face detectors, its
68-point predictor and its face-recognition embedding (PyPI dlib-bin + face-recognition-models).

Renders N samples of a recipe twice in one run, as a bare head (look off) and with the recipe's
look, and prints per set: detection rate (HOG, CNN), median NME (outer inter-ocular: landmarks 36
and 45) over the 68 / 51 inner / 10 brow points, per |yaw| bin and per HDRI, verification ROC AUC
over subjects x renders (when subjects repeat), and the render-time ratio look / bare.

    .venv/bin/python bench/dlib_acceptance.py --samples 24 [--recipe recipes/realism.yaml]

With --dataset it judges a dataset rendered beforehand (`facesynth render`, resumable) instead,
from the store's rgb (or --kind rgb_clean), landmarks and metadata (bench/dlib_store.py), prints
the figures with the misses split by |yaw|, environment and accessories, and with --record
appends them to bench/RESULTS.md with the command:

    .venv/bin/python bench/dlib_acceptance.py --dataset .cache/dlib200 --record [--failures misses.png]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np


def dlib_model_file(name: str) -> str:
    """A model file of the `face-recognition-models` package, found without importing it: its
    __init__ needs `pkg_resources`, which current setuptools no longer ships."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("dlib models missing: pip install face-recognition-models (in the dev extra)")
    return str(Path(spec.submodule_search_locations[0]) / "models" / name)


def _models():
    import dlib

    return (dlib.get_frontal_face_detector(),
            dlib.cnn_face_detection_model_v1(dlib_model_file("mmod_human_face_detector.dat")),
            dlib.shape_predictor(dlib_model_file("shape_predictor_68_face_landmarks.dat")),
            dlib.face_recognition_model_v1(dlib_model_file("dlib_face_recognition_resnet_model_v1.dat")))


def judge(rgb: np.ndarray, truth: np.ndarray, models) -> dict:
    """Detect, predict 68 points in the detection nearest the true face, compare to the truth."""

    hog, cnn, predictor, embedder = models
    img = np.ascontiguousarray(rgb[..., :3])
    centre = truth.mean(axis=0)
    dets = list(hog(img, 1))
    # the CNN finds faces down to ~80 px: upsample small frames only (a 240x320 frame upsampled
    # once is a 480x640 frame's scale; upsampling that again costs ~4x the time)
    cnn_dets = [d.rect for d in cnn(img, 1 if img.shape[1] < 400 else 0)]
    out = {"hog": bool(dets), "cnn": bool(cnn_dets)}
    if not dets:
        return out
    best = min(dets, key=lambda r: np.hypot((r.left() + r.right()) / 2 - centre[0],
                                            (r.top() + r.bottom()) / 2 - centre[1]))
    shape = predictor(img, best)
    pred = np.array([[p.x, p.y] for p in shape.parts()], dtype=np.float64)
    iod = np.linalg.norm(truth[36] - truth[45])
    err = np.linalg.norm(pred - truth, axis=1) / iod
    out.update(nme68=float(err.mean()), nme51=float(err[17:].mean()), nme_brow=float(err[17:27].mean()),
               nme_jaw=float(err[:17].mean()),
               embedding=np.asarray(embedder.compute_face_descriptor(img, shape)))
    return out


def roc_auc(embeddings: list[np.ndarray], subjects: list[int]) -> float | None:
    """Verification AUC: same-subject pairs should be closer than different-subject pairs."""
    e = np.array(embeddings)
    s = np.array(subjects)
    if len(e) < 3 or len(set(subjects)) < 2 or len(set(subjects)) == len(subjects):
        return None
    d = np.linalg.norm(e[:, None] - e[None], axis=-1)
    iu = np.triu_indices(len(e), 1)
    same = (s[:, None] == s[None])[iu]
    pos, neg = -d[iu][same], -d[iu][~same]
    return float((pos[:, None] > neg[None]).mean() + 0.5 * (pos[:, None] == neg[None]).mean())


def report(name: str, rows: list[dict]) -> None:
    n = len(rows)
    det = [r for r in rows if r["hog"]]
    print(f"\n== {name}: {n} renders")
    print(f"HOG detected {len(det)}/{n} ({100 * len(det) / n:.0f} %), CNN detected "
          f"{sum(r['cnn'] for r in rows)}/{n}")
    if det:
        for key in ("nme68", "nme51", "nme_brow", "nme_jaw"):
            print(f"  median {key}: {np.median([r[key] for r in det]):.4f}")
    bins = defaultdict(list)
    for r in rows:
        bins["|yaw| <15" if abs(r["yaw"]) < 15 else "|yaw| 15-30" if abs(r["yaw"]) < 30 else "|yaw| 30-45"].append(r)
    for key in sorted(bins):
        b = bins[key]
        d = [r for r in b if r["hog"]]
        nme = f", median NME68 {np.median([r['nme68'] for r in d]):.4f}" if d else ""
        print(f"  {key}: {len(d)}/{len(b)}{nme}")
    by_env = defaultdict(list)
    for r in rows:
        by_env[r["env"]].append(r)
    print("  misses per environment: " + ", ".join(f"{k} {sum(not r['hog'] for r in v)}/{len(v)}"
                                                  for k, v in sorted(by_env.items())))
    auc = roc_auc([r["embedding"] for r in det], [r["subject"] for r in det])
    if auc is not None:
        print(f"  verification ROC AUC over {len(det)} detected renders: {auc:.3f}")
    print(f"  render seconds per sample: {np.mean([r['seconds'] for r in rows]):.1f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--recipe", default="recipes/realism.yaml")
    ap.add_argument("--samples", type=int, default=24)
    ap.add_argument("--subjects", type=int, default=0, help="Subjects (0 = one per sample; fewer gives ROC AUC).")
    ap.add_argument("--set", action="append", default=[], help="Recipe override, as for facesynth render.")
    ap.add_argument("--dataset", type=Path, help="Judge this rendered dataset instead of rendering.")
    ap.add_argument("--kind", default="rgb", choices=["rgb", "rgb_clean"], help="With --dataset: image judged.")
    ap.add_argument("--record", action="store_true", help="With --dataset: append the figures to bench/RESULTS.md.")
    ap.add_argument("--failures", type=Path, help="With --dataset: write the HOG misses as a contact sheet here.")
    ap.add_argument("--baseline", type=Path, help="With --dataset: HOG on the samples this dataset shares with "
                    "the one given (same seed, one change), before and after.")
    args = ap.parse_args()
    if args.dataset is not None:
        from bench.dlib_store import judge_stored

        judge_stored(args.dataset, args.kind, _models(), judge, roc_auc, record=args.record, failures=args.failures,
                     baseline=args.baseline)
        return

    from facesynth.assets import load_pack
    from facesynth.farm.producer import prepare
    from facesynth.geometry.labels import compute_labels
    from facesynth.geometry.look_parts import look_parts
    from facesynth.io.image_formation import apply_image_formation
    from facesynth.recipe import load_recipe
    from facesynth.render.session import RenderSession

    sets = [f"samples={args.samples}", *args.set]
    if args.subjects:
        sets.append(f"subjects.count={args.subjects}")
    variants = {"bare head": load_recipe(args.recipe, [*sets, "look={}"]),
                "realism look": load_recipe(args.recipe, sets)}
    pack = load_pack(variants["bare head"].recipe.face_model_name)
    models = _models()
    results: dict[str, list[dict]] = {}
    with RenderSession(pack) as session:
        for name, loaded in variants.items():
            rows = []
            for i in range(args.samples):
                spec, v, posed = prepare(loaded, pack, i)
                labels = compute_labels(spec, pack, v, posed, parts=look_parts(spec, pack, v))
                t = time.perf_counter()
                rgb = session.render(spec, v, posed).rgb
                seconds = time.perf_counter() - t
                if spec.look is not None and spec.look.image is not None:
                    rgb = apply_image_formation(rgb, spec.look.image)
                r = judge(rgb, labels.landmarks.uv, models)
                env = "sky" if spec.look is not None and spec.look.sky is not None else spec.environment.source
                r.update(yaw=spec.head_pose.yaw_deg, env=env, subject=spec.subject.subject_id, seconds=seconds)
                rows.append(r)
                print(f"{name} {i}: yaw {r['yaw']:+.0f} {env} hog={r['hog']} nme68={r.get('nme68', float('nan')):.3f}",
                      flush=True)
            results[name] = rows
    for name, rows in results.items():
        report(name, rows)
    bare = np.mean([r["seconds"] for r in results["bare head"]])
    look = np.mean([r["seconds"] for r in results["realism look"]])
    print(f"\nrender time ratio realism / bare head: {look / bare:.2f} (same run, same session)")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `bench` importable when run as a script
    main()

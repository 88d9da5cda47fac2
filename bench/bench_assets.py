"""Face-pack figures for ICT-FaceKit: import time, pack size, load time, deform time.

    .venv/bin/python bench/bench_assets.py [--archive PATH]

Builds the pack into a temporary folder (the cache is not touched) and prints one line per
figure. Deform is compared with a naive Python loop over the shapes (same result).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from facesynth.assets.ict import import_ict
from facesynth.assets.pack import FacePack, read_pack_file

DEFAULT_ARCHIVE = Path(__file__).resolve().parents[2] / "shared/assets/ict-facekit/ict-facekit-da5f95a.tar.xz"


def best_ms(fn, repeat: int) -> float:
    """Best of `repeat` runs, in ms (the least disturbed by the other jobs on the machine)."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times) * 1e3


def naive_deform(pack: FacePack, identity: np.ndarray, weights: dict[str, float]) -> np.ndarray:
    out = pack.neutral_mm.astype(np.float32).copy()
    for k, c in enumerate(identity[: pack.n_identity]):
        out += np.float32(c) * pack.identity_basis[k]
    for name, w in weights.items():
        out += np.float32(w) * pack.expression_basis[pack.expression_names.index(name)]
    return out


def deform_figures(pack: FacePack, repeat: int = 20) -> dict[str, Any]:
    """pack.deform (one matmul) against the naive per-shape loop, all identity modes and expressions."""
    rng = np.random.default_rng(0)
    identity = rng.normal(size=pack.n_identity)
    all_weights = {
        n: float(w) for n, w in zip(pack.expression_names, rng.uniform(0, 1, pack.n_expressions), strict=True)
    }
    few = dict(list(all_weights.items())[:5])
    np.testing.assert_allclose(pack.deform(identity, all_weights), naive_deform(pack, identity, all_weights), atol=1e-3)
    return {"full_ms": best_ms(lambda: pack.deform(identity, all_weights), repeat),
            "few_ms": best_ms(lambda: pack.deform(identity, few), repeat),
            "naive_ms": best_ms(lambda: naive_deform(pack, identity, all_weights), max(repeat // 4, 1))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--archive", type=Path, default=DEFAULT_ARCHIVE)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ict-facekit.npz"
        t = time.perf_counter()
        import_ict(args.archive, out)
        import_s = time.perf_counter() - t
        size_mb = out.stat().st_size / 1e6
        load_ms = best_ms(lambda: read_pack_file(out), 3)
        pack = read_pack_file(out)

    float32_mb = (pack.identity_basis.nbytes + pack.expression_basis.nbytes) / 1e6
    d = deform_figures(pack)
    full_ms, few_ms, naive_ms = d["full_ms"], d["few_ms"], d["naive_ms"]

    print(
        f"ICT-FaceKit: {pack.n_vertices} vertices, {pack.n_identity} identity modes, {pack.n_expressions} expressions"
    )
    print(f"import (archive, verify + parse + build + save): {import_s:.1f} s")
    print(f"pack size: {size_mb:.1f} MB (bases as float32 would be {float32_mb:.1f} MB)")
    print(f"load: {load_ms:.0f} ms")
    print(f"deform, 100 identity + all {pack.n_expressions} expressions: {full_ms:.2f} ms")
    print(f"deform, 100 identity + 5 expressions: {few_ms:.2f} ms")
    print(f"naive Python loop over shapes: {naive_ms:.2f} ms ({naive_ms / full_ms:.1f}x slower than deform)")


if __name__ == "__main__":
    main()

"""Speed figures of the built-in head: build once vs load from the cache, and posing.

    .venv/bin/python bench/builtin_head_bench.py

Prints ratios measured in one run (no absolute targets): a cold build against a cached load,
and `FacePack.deform` (one matmul over the active shapes) against a naive per-shape loop.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable

import numpy as np


def best_of(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        os.environ["FACESYNTH_HOME"] = home  # a cold cache of our own
        from facesynth.assets.builtin_head import build_builtin_pack
        from facesynth.assets.registry import _LOADED, load_pack

        t_build = best_of(build_builtin_pack, 2)
        t_first = best_of(lambda: load_pack("builtin"), 1)  # builds and writes the cache file

        def cached_load() -> None:
            _LOADED.clear()  # read the file again, not the in-process copy
            load_pack("builtin")

        t_cached = best_of(cached_load, 3)
        pack = load_pack("builtin")
        rng = np.random.default_rng(0)
        ident = rng.standard_normal(pack.n_identity)
        weights = {
            n: float(w) for n, w in zip(pack.expression_names, rng.uniform(0, 1, pack.n_expressions), strict=True)
        }

        def naive() -> np.ndarray:
            v = pack.neutral_mm.astype(np.float64).copy()
            for k, c in enumerate(ident):
                v += c * pack.identity_basis[k]
            for name, w in weights.items():
                v += w * pack.expression_basis[pack.expression_names.index(name)]
            return v

        t_deform = best_of(lambda: pack.deform(ident, weights), 20)
        t_naive = best_of(naive, 20)
        err = np.abs(pack.deform(ident, weights) - naive()).max()
    print(f"vertices {pack.n_vertices}, polygons {pack.n_polygons}, identity {pack.n_identity}, "
          f"expressions {pack.n_expressions}")  # fmt: skip
    print(f"build_builtin_pack      {t_build * 1e3:8.1f} ms")
    print(f"load_pack first (build + save) {t_first * 1e3:8.1f} ms")
    print(f"load_pack cached file  {t_cached * 1e3:8.1f} ms   build / cached = {t_build / t_cached:5.1f}x")
    print(f"deform (all {pack.n_identity + pack.n_expressions} shapes) {t_deform * 1e3:8.2f} ms   "
          f"naive loop / deform = {t_naive / t_deform:5.1f}x   max diff {err:.2e} mm")  # fmt: skip


if __name__ == "__main__":
    main()

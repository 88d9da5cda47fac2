"""Make the small background images the example recipes use (committed; re-run to regenerate).

recipes/textures/: procedural texture images standing in for a texture dataset such as DTD;
recipes/backgrounds/backdrop.png: a soft studio backdrop for depth_portrait.yaml.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1] / "recipes"


def _save(path: Path, rgb: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.clip(rgb * 255, 0, 255).astype(np.uint8)).save(path, optimize=True)


def _smooth_noise(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    grid = rng.random((cells + 1, cells + 1))
    x = np.linspace(0, cells, size, endpoint=False)
    i = x.astype(int)
    f = x - i
    f = f * f * (3 - 2 * f)
    a = grid[i][:, i] * (1 - f)[None, :] + grid[i][:, i + 1] * f[None, :]
    b = grid[i + 1][:, i] * (1 - f)[None, :] + grid[i + 1][:, i + 1] * f[None, :]
    return a * (1 - f)[:, None] + b * f[:, None]


def main() -> None:
    rng = np.random.default_rng(2026)
    n = 192
    y, x = np.mgrid[0:n, 0:n] / n
    palette = rng.random((6, 2, 3)) * 0.8 + 0.1
    patterns = {
        "stripes": (np.sin(x * 40 + y * 12) > 0).astype(float),
        "checks": ((np.floor(x * 8) + np.floor(y * 8)) % 2),
        "dots": (((x * 10) % 1 - 0.5) ** 2 + ((y * 10) % 1 - 0.5) ** 2 < 0.09).astype(float),
        "marble": 0.5 + 0.5 * np.sin(x * 20 + 6 * _smooth_noise(rng, n, 6)),
        "clouds": _smooth_noise(rng, n, 4) * 0.6 + _smooth_noise(rng, n, 16) * 0.4,
        "weave": 0.5 + 0.25 * (np.sin(x * 90) + np.sin(y * 90)),
    }
    for k, (name, t) in enumerate(patterns.items()):
        lo, hi = palette[k]
        _save(ROOT / "textures" / f"{name}.png", lo * (1 - t[..., None]) + hi * t[..., None])
    h, w = 320, 240
    yy, xx = np.mgrid[0:h, 0:w]
    r = np.hypot((xx - w / 2) / w, (yy - h * 0.4) / h)
    backdrop = np.array([0.55, 0.6, 0.66]) * (1 - 0.8 * r[..., None]) + 0.05
    _save(ROOT / "backgrounds" / "backdrop.png", backdrop)


if __name__ == "__main__":
    main()

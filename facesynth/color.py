"""Colour temperature (kelvin) -> linear RGB of a black body, normalised to max 1.

We integrate Planck's law against the CIE 1931 2-degree colour matching functions, using the
multi-lobe Gaussian fit of Wyman, Sloan & Shirley, "Simple Analytic Approximations to the CIE XYZ
Color Matching Functions", JCGT 2(2), 2013 (their eq. 2), then map XYZ to linear sRGB/Rec.709
primaries (IEC 61966-2-1 matrix). Lights are white-balanced to nothing: 6500 K is near white.
"""

from __future__ import annotations

import numpy as np

_H = 6.62607015e-34  # Planck constant, J s
_C = 2.99792458e8  # speed of light, m/s
_KB = 1.380649e-23  # Boltzmann constant, J/K

_WL_NM = np.arange(380.0, 781.0, 5.0)

_XYZ_TO_RGB = np.array(
    [
        [3.2404542, -1.5371385, -0.4985314],
        [-0.9692660, 1.8760108, 0.0415560],
        [0.0556434, -0.2040259, 1.0572252],
    ]
)


def _g(x: np.ndarray, mu: float, s1: float, s2: float) -> np.ndarray:
    """Piecewise Gaussian with different widths left and right of the peak (Wyman et al.)."""
    s = np.where(x < mu, s1, s2)
    return np.exp(-0.5 * ((x - mu) / s) ** 2)


def _cie_xyz(wl: np.ndarray) -> np.ndarray:
    x = (1.056 * _g(wl, 599.8, 37.9, 31.0) + 0.362 * _g(wl, 442.0, 16.0, 26.7)
         - 0.065 * _g(wl, 501.1, 20.4, 26.2))
    y = 0.821 * _g(wl, 568.8, 46.9, 40.5) + 0.286 * _g(wl, 530.9, 16.3, 31.1)
    z = 1.217 * _g(wl, 437.0, 11.8, 36.0) + 0.681 * _g(wl, 459.0, 26.0, 13.8)
    return np.stack([x, y, z], axis=1)


_CMF = _cie_xyz(_WL_NM)


def kelvin_to_rgb(temperature_k: float) -> tuple[float, float, float]:
    """Linear RGB in [0, 1] (brightest channel = 1) of a black body at `temperature_k`.

    Valid from 1000 K to 40000 K; values outside are clamped to that range.
    """
    t = float(np.clip(temperature_k, 1000.0, 40000.0))
    wl_m = _WL_NM * 1e-9
    radiance = (2.0 * _H * _C**2) / (wl_m**5 * np.expm1(_H * _C / (wl_m * _KB * t)))
    xyz = radiance @ _CMF
    rgb = _XYZ_TO_RGB @ (xyz / xyz[1])
    rgb = np.clip(rgb, 0.0, None)
    rgb = rgb / rgb.max()
    return (float(rgb[0]), float(rgb[1]), float(rgb[2]))

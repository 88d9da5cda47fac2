"""Colour maths shared by the renderer, the skin model and the camera effects: the sRGB transfer
curve, Rec.709 luminance, CIELAB, and black bodies (kelvin -> linear RGB).

For black bodies we integrate Planck's law against the CIE 1931 2-degree colour matching functions, using the
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


REC709_LUMA = np.array([0.2126, 0.7152, 0.0722])
"""Relative luminance Y of linear sRGB/Rec.709 primaries (the middle row of RGB -> XYZ)."""
_RGB_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805], REC709_LUMA, [0.0193, 0.1192, 0.9505]])
_D65_WHITE_XYZ = np.array([0.95047, 1.0, 1.08883])


def _float(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float32)


def srgb_to_linear(x: np.ndarray) -> np.ndarray:
    """Decode sRGB values in [0, 1] to linear light (IEC 61966-2-1); keeps a float input's dtype."""
    x = _float(x)
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4).astype(x.dtype, copy=False)


def linear_to_srgb(x: np.ndarray) -> np.ndarray:
    """Encode linear light to sRGB in [0, 1], clipping first; keeps a float input's dtype."""
    x = np.clip(_float(x), 0.0, 1.0)
    return np.where(x <= 0.0031308, x * 12.92, 1.055 * np.power(x, 1 / 2.4) - 0.055).astype(x.dtype, copy=False)


def cielab(rgb: np.ndarray) -> tuple[float, float, float]:
    """CIE L*a*b* (D65) of one linear sRGB colour."""
    t = (_RGB_TO_XYZ @ np.asarray(rgb, dtype=np.float64)) / _D65_WHITE_XYZ
    f = np.where(t > 216 / 24389, np.cbrt(t), (24389 / 27 * t + 16) / 116)
    return float(116 * f[1] - 16), float(500 * (f[0] - f[1])), float(200 * (f[1] - f[2]))

"""Two-pigment skin reflectance: melanin in the epidermis, haemoglobin in the dermis.

A two-layer model evaluated per wavelength (380-780 nm, 5 nm) and integrated to linear sRGB:
light crosses the epidermis twice (Beer-Lambert, melanin + baseline absorption) and the dermis
returns a diffuse reflectance set by its absorption/scattering ratio. The numbers are the published
skin-optics fits of S. L. Jacques, "Optical properties of biological tissues: a review", Phys. Med.
Biol. 58 (2013) R37, and "Skin optics" (Oregon Medical Laser Center News, 1998):
- eumelanin absorption mu_a = 6.6e11 * lambda^-3.33 cm^-1 (lambda in nm);
- baseline (bloodless) tissue absorption mu_a = 0.244 + 85.3 exp(-(lambda - 154) / 66.2) cm^-1;
- dermal reduced scattering mu_s' = 2e5 lambda^-1.5 + 2e12 lambda^-4 cm^-1;
- diffuse reflectance of a semi-infinite medium R = exp(-8 / sqrt(3 (1 + mu_s'/mu_a)));
and the molar extinction of oxy-haemoglobin from S. Prahl's compilation (OMLC, 1999), at 150 g/l
haemoglobin (64,500 g/mol). Albedos are normalised to a perfect white under the same illuminant.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from facesynth.color import _CMF, _WL_NM, _XYZ_TO_RGB, cielab

EPIDERMIS_CM = 0.006  # 60 um
BLOOD_G_PER_L = 150.0
HB_G_PER_MOL = 64500.0
# Prahl: oxy-haemoglobin molar extinction (cm^-1 / M) at selected wavelengths (nm)
_HBO2_NM = np.array([380, 400, 415, 430, 450, 480, 500, 520, 542, 560, 577, 590, 600, 620, 650, 700, 750, 780.0])
_HBO2_E = np.array([173320, 266232, 524280, 214120, 62816, 39956, 20932, 24202, 53236, 32613, 55540, 14400,
                    3200, 942, 368, 290, 518, 735.0])
MELANIN_RANGE = (0.004, 0.5)
"""Volume fractions for the lightest and darkest tone (Jacques: light 1-3 %, dark up to 43 %)."""
BLOOD_RANGE = (0.002, 0.02)
"""Dermal blood volume fractions for haemoglobin 0 and 1. Facial skin is among the best perfused
(Jacques 2013: 0.2-7 % of skin's volume is blood). At 0.1-1 % this model's faces were less red
than measured ones: CIELAB a* 6-16 at mid haemoglobin (light to dark), now 12-17."""
MELANIN_SPREAD = 0.5
"""Log-normal spread (sigma) of the melanin fraction across the epidermis. Melanin sits in
melanosomes and in caps over the basal cells, not in an even film, so some light crosses little
of it; averaging the transmission over the spread lets more of the strongly absorbed blue through
than a uniform layer of the same mean does (the measured spectra of dark skin are flatter than a
uniform layer predicts). Without it, and with the old blood range, mid tones (0.3-0.7, mid
haemoglobin) came out orange: CIELAB b* 26-32, hue angle 65-71 deg; now b* 24-27, hue 58-60 deg.
Measured faces are redder still (docs/look.md)."""
_SPREAD_X, _SPREAD_W = np.polynomial.hermite_e.hermegauss(9)  # nodes/weights for a standard normal
EPIDERMAL_BACKSCATTER = 0.015
"""Reflectance of the epidermis itself (before melanin acts): keeps the darkest skin from turning
black in blue, as measured dark-skin spectra do not."""


def _white_rgb() -> np.ndarray:
    xyz = np.ones_like(_WL_NM) @ _CMF
    return _XYZ_TO_RGB @ xyz


def reflectance_spectrum(melanin: float, blood: float) -> np.ndarray:
    """Diffuse reflectance per wavelength of `_WL_NM` for volume fractions of melanin and blood."""
    wl = _WL_NM
    mu_mel = 6.6e11 * wl**-3.33
    mu_base = 0.244 + 85.3 * np.exp(-(wl - 154.0) / 66.2)
    return EPIDERMAL_BACKSCATTER + _epidermis_round_trip(melanin, mu_mel, mu_base) * _dermis_reflectance(blood, mu_base)


def _epidermis_round_trip(melanin: float, mu_mel: np.ndarray, mu_base: np.ndarray) -> np.ndarray:
    """Transmission down and back up through the epidermis, averaged over the melanin's spread."""
    local = np.minimum(melanin * np.exp(MELANIN_SPREAD * _SPREAD_X - MELANIN_SPREAD**2 / 2), 1.0)  # mean = melanin
    weights = _SPREAD_W / _SPREAD_W.sum()
    mu_epi = local[:, None] * mu_mel + (1.0 - local[:, None]) * mu_base
    return weights @ np.exp(-2.0 * mu_epi * EPIDERMIS_CM)


def _dermis_reflectance(blood: float, mu_base: np.ndarray) -> np.ndarray:
    wl = _WL_NM
    mu_blood = 2.303 * np.interp(wl, _HBO2_NM, _HBO2_E) * BLOOD_G_PER_L / HB_G_PER_MOL
    mu_derm = blood * mu_blood + (1.0 - blood) * mu_base
    mus = 2e5 * wl**-1.5 + 2e12 * wl**-4.0
    return np.exp(-8.0 / np.sqrt(3.0 * (1.0 + mus / mu_derm)))


def pigment_albedo(melanin: float, blood: float) -> tuple[float, float, float]:
    """Linear sRGB albedo (equal-energy white -> 1) of skin with these pigment fractions."""
    xyz = reflectance_spectrum(melanin, blood) @ _CMF
    rgb = (_XYZ_TO_RGB @ xyz) / _white_rgb()
    rgb = np.clip(rgb, 0.002, 1.0)
    return (float(rgb[0]), float(rgb[1]), float(rgb[2]))


def lightness(rgb: tuple[float, float, float] | np.ndarray) -> float:
    """CIE L* of a linear sRGB colour (Y relative to white)."""
    return cielab(rgb)[0]


def blood_fraction(haemoglobin: float) -> float:
    lo, hi = BLOOD_RANGE
    return lo + (hi - lo) * float(np.clip(haemoglobin, 0.0, 1.0))


@lru_cache(maxsize=1)
def _tone_table() -> tuple[np.ndarray, np.ndarray]:
    """L* of the melanin grid at mid haemoglobin (monotonic decreasing in melanin)."""
    mel = np.geomspace(*MELANIN_RANGE, 200)
    blood = blood_fraction(0.5)
    lstar = np.array([lightness(pigment_albedo(m, blood)) for m in mel])
    return mel, lstar


def melanin_for_tone(skin_tone: float) -> float:
    """Melanin fraction for tone 0 (lightest) .. 1 (darkest), evenly spaced in L*."""
    mel, lstar = _tone_table()
    t = float(np.clip(skin_tone, 0.0, 1.0))
    target = lstar[0] + t * (lstar[-1] - lstar[0])
    return float(np.interp(-target, -lstar, mel))  # lstar decreases: interpolate on -L*


def ita_deg(rgb: tuple[float, float, float] | np.ndarray) -> float:
    """Individual typology angle (degrees) of a linear sRGB colour: atan((L* - 50) / b*), the
    dermatologists' skin-colour scale (> 55 very light ... < -30 dark)."""
    lstar, _, bstar = cielab(rgb)
    return float(np.degrees(np.arctan2(lstar - 50.0, bstar)))

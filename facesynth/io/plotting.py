"""Matplotlib helpers shared by stats and inspect: headless backend, atomic PNG saving."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # never needs a display; set before pyplot is imported

import matplotlib.pyplot as plt

from facesynth.io.codecs import write_file


def save_figure(fig: Any, path: Path, dpi: int = 100) -> Path:
    buf = io.BytesIO()
    # Fixed metadata keeps the PNG identical for identical data (no software/date stamps).
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    plt.close(fig)
    return write_file(path, buf.getvalue())


__all__ = ["plt", "save_figure"]

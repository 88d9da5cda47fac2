"""The dataset store: writing, verifying, reading, exporting and inspecting datasets (no bpy)."""

from __future__ import annotations

from facesynth.io.dataset import Dataset, Landmarks, Sample, open_dataset
from facesynth.io.store import DatasetWriter
from facesynth.io.verify import VerifyReport, verify

__all__ = ["Dataset", "DatasetWriter", "Landmarks", "Sample", "VerifyReport", "open_dataset", "verify"]

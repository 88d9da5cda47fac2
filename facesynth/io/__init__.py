"""The dataset store: writing, verifying, reading and exporting datasets (no bpy).

`facesynth.io.stats` and `facesynth.io.inspect` (matplotlib) are imported on demand.
"""

from __future__ import annotations

from facesynth.io.compare import compare_datasets
from facesynth.io.dataset import Dataset, Landmarks, Sample, open_dataset
from facesynth.io.export import export_webdataset
from facesynth.io.store import DatasetWriter
from facesynth.io.verify import VerifyReport, verify

__all__ = [
    "Dataset",
    "DatasetWriter",
    "Landmarks",
    "Sample",
    "VerifyReport",
    "compare_datasets",
    "export_webdataset",
    "open_dataset",
    "verify",
]

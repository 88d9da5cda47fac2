"""The export formats: one light table, read by the exporter and by the CLI's `--format` choice
(without importing the exporter and its codecs when the CLI starts)."""

from __future__ import annotations

FORMATS: tuple[str, ...] = ("webdataset", "coco")

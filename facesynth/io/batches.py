"""Batches of plain numpy arrays from a Dataset: what a training loop needs, without torch.

A torch `Dataset`/`DataLoader` wrapper belongs to the consumer package (facesynth-models); this
path stays numpy-only so any framework (JAX, TensorFlow, plain numpy) reads facesynth datasets.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

import numpy as np

from facesynth.errors import UserError


def collate(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One dict per batch: arrays of one shape stacked on a new first axis, everything else (ids,
    metadata, arrays of differing shapes, channel dicts) as lists in item order."""
    out: dict[str, Any] = {}
    for key in items[0]:
        values = [item.get(key) for item in items]
        numeric = all(isinstance(v, np.ndarray | np.generic | bool | int | float) for v in values)
        if numeric and len({np.shape(v) for v in values}) == 1:
            out[key] = np.stack([np.asarray(v) for v in values])
        else:
            out[key] = values
    return out


def iter_batches(
    items: Iterable[dict[str, Any]], batch_size: int, *, drop_last: bool = False
) -> Iterator[dict[str, Any]]:
    """`collate`d batches of `batch_size` items (the last one smaller unless `drop_last`)."""
    if batch_size < 1:
        raise UserError(f"batch_size must be at least 1, got {batch_size}")
    it = iter(items)
    while batch := list(islice(it, batch_size)):
        if drop_last and len(batch) < batch_size:
            return
        yield collate(batch)

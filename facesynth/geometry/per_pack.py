"""Memoise pure functions of a face pack's fixed geometry (parsing classes, neck vertices)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

T = TypeVar("T")


def per_pack(fn: Callable[[Any], T]) -> Callable[[Any], T]:
    """`fn(pack)` computed once per pack (keyed by name, sha256 and polygon count: packs are
    frozen, but numpy arrays make them unhashable)."""
    cache: dict[tuple[str, str, int], T] = {}

    @wraps(fn)
    def wrapper(pack: Any) -> T:
        key = (pack.name, pack.sha256, pack.n_polygons)
        if key not in cache:
            cache[key] = fn(pack)
        return cache[key]

    return wrapper

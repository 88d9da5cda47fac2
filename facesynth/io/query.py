"""Check the names a reader's user asks for: output kinds, splits and expressions.

A typo in `filter(split="tarin")` or `iter_arrays(kinds=["mask"])` would otherwise select
nothing (or silently drop an output) and look like a valid answer; here it is a `UserError`
that names the bad value and lists the known ones.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from facesynth.errors import UserError
from facesynth.outputs import OUTPUT_KINDS
from facesynth.recipe import presets
from facesynth.recipe.schema import Split

SPLITS: tuple[str, ...] = tuple(Split.model_fields)
RANDOM_MIX = "random"
"""The expression name of a sample whose weights were drawn by `expressions.random_mix`."""


def _unknown(what: str, value: object, known: Iterable[str]) -> UserError:
    known = list(known)
    close = difflib.get_close_matches(str(value), known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return UserError(f"unknown {what} {value!r}{hint}; known: {', '.join(known)}")


def _as_tuple(value: str | int | Iterable[str] | Iterable[int]) -> tuple:
    return (value,) if isinstance(value, str | int) else tuple(value)


def kinds(names: Iterable[str]) -> tuple[str, ...]:
    """Output kind names (rgb, depth, normals, masks, ..., and landmarks, dense_landmarks that live
    in the metadata)."""
    out = _as_tuple(names)
    for name in out:
        if name not in OUTPUT_KINDS:
            raise _unknown("output kind", name, OUTPUT_KINDS)
    return out


def splits(names: str | Iterable[str]) -> frozenset[str]:
    out = _as_tuple(names)
    for name in out:
        if name not in SPLITS:
            raise _unknown("split", name, SPLITS)
    return frozenset(out)


def expression_names() -> tuple[str, ...]:
    """Every expression name a sample's metadata can carry."""
    return (*presets.preset_names(), RANDOM_MIX)


def expressions(names: str | Iterable[str]) -> frozenset[str]:
    """Canonical expression names; the recipe's aliases ('fear' -> 'scared') are accepted."""
    out = set()
    for name in _as_tuple(names):
        canonical = RANDOM_MIX if str(name).strip().lower() == RANDOM_MIX else presets.canonical_preset(str(name))
        if canonical is None:
            raise _unknown("expression", name, expression_names())
        out.add(canonical)
    return frozenset(out)

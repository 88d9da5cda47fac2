"""Which sample indices a process works on: `--indices`, `--shard-index/--shard-count`, `--limit`.

Selections are lazy (a few `range`s), so a recipe of 100 million samples costs nothing until its
samples are asked for: `plan --limit 2` allocates two indices, not a list of every sample.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import overload

from facesynth.errors import UserError, quoted

_PART = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")
_MAX_PARTS = 10_000  # --indices items; the indices they cover are not materialised


class Indices(Sequence[int]):
    """Sorted, unique sample indices as a few ranges; a read-only sequence that compares equal to
    a list with the same items."""

    def __init__(self, ranges: Sequence[range] = ()) -> None:
        self._ranges = tuple(r for r in ranges if len(r))
        self._starts: list[int] = []
        total = 0
        for r in self._ranges:
            self._starts.append(total)
            total += len(r)
        self._len = total

    def __len__(self) -> int:
        return self._len

    @overload
    def __getitem__(self, i: int) -> int: ...
    @overload
    def __getitem__(self, i: slice) -> Indices: ...
    def __getitem__(self, i: int | slice) -> int | Indices:
        if isinstance(i, slice):
            start, stop, step = i.indices(self._len)
            if step != 1:
                raise ValueError("Indices slices take no step")
            return self._head(stop)._tail(start)
        if i < 0:
            i += self._len
        if not 0 <= i < self._len:
            raise IndexError(i)
        for offset, r in zip(reversed(self._starts), reversed(self._ranges), strict=True):
            if i >= offset:
                return r[i - offset]
        raise IndexError(i)  # unreachable

    def _head(self, n: int) -> Indices:
        out, left = [], n
        for r in self._ranges:
            if left <= 0:
                break
            out.append(r[:left])
            left -= len(r)
        return Indices(out)

    def _tail(self, skip: int) -> Indices:
        out, left = [], skip
        for r in self._ranges:
            out.append(r[left:] if left > 0 else r)
            left = max(0, left - len(r))
        return Indices(out)

    def __iter__(self) -> Iterator[int]:
        for r in self._ranges:
            yield from r

    def __contains__(self, value: object) -> bool:
        return any(value in r for r in self._ranges)

    def shard(self, index: int, count: int) -> Indices:
        """The indices i with i % count == index (round-robin shards)."""
        return Indices([range(r.start + (index - r.start) % count, r.stop, count) for r in self._ranges])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Indices | list | tuple | range):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Indices({', '.join(f'{r.start}-{r.stop - 1}' for r in self._ranges)})"


def parse_indices(expr: str, samples: int) -> Indices:
    """'0-9,20,30-31' -> sorted unique indices; ranges are inclusive."""
    parts = expr.split(",")
    if len(parts) > _MAX_PARTS:
        raise UserError(f"--indices: {len(parts):,} items; at most {_MAX_PARTS:,} (use ranges such as 0-999)")
    spans: list[tuple[int, int]] = []
    for part in parts:
        m = _PART.match(part)
        if not m:
            raise UserError(f"--indices: cannot read {quoted(part.strip(), 40)} (expected e.g. 0-9,20,30-39)")
        lo = int(m[1])
        hi = int(m[2]) if m[2] is not None else lo
        if lo > hi:
            raise UserError(f"--indices: range {lo}-{hi} runs backwards")
        if hi >= samples:
            raise UserError(f"--indices: {hi} is outside the recipe's samples 0-{samples - 1}")
        spans.append((lo, hi + 1))
    merged: list[list[int]] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return Indices([range(lo, hi) for lo, hi in merged])


def select_indices(samples: int, *, indices: str | None = None, shard_index: int | None = None,
                   shard_count: int | None = None, limit: int | None = None) -> Indices:
    """The indices this process owns. Shards take indices round-robin (i % N == I), so every shard
    gets a balanced share and the union of shards 0..N-1 is exactly the whole set."""
    chosen = parse_indices(indices, samples) if indices else Indices([range(samples)])
    if (shard_index is None) != (shard_count is None):
        raise UserError("--shard-index and --shard-count go together")
    if shard_count is not None and shard_index is not None:
        if shard_count < 1:
            raise UserError(f"--shard-count must be at least 1, got {shard_count}")
        if not 0 <= shard_index < shard_count:
            raise UserError(f"--shard-index must be in 0..{shard_count - 1}, got {shard_index}")
        chosen = chosen.shard(shard_index, shard_count)
    if limit is not None:
        if limit < 0:
            raise UserError(f"--limit must be at least 0, got {limit}")
        chosen = chosen[:limit]
    return chosen

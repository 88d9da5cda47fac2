"""Which sample indices a process works on: `--indices`, `--shard-index/--shard-count`, `--limit`."""

from __future__ import annotations

import re

from facesynth.errors import UserError

_PART = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")


def parse_indices(expr: str, samples: int) -> list[int]:
    """'0-9,20,30-31' -> sorted unique indices; ranges are inclusive."""
    out: set[int] = set()
    for part in expr.split(","):
        m = _PART.match(part)
        if not m:
            raise UserError(f"--indices: cannot read '{part.strip()}' (expected e.g. 0-9,20,30-39)")
        lo = int(m[1])
        hi = int(m[2]) if m[2] is not None else lo
        if lo > hi:
            raise UserError(f"--indices: range {lo}-{hi} runs backwards")
        if hi >= samples:
            raise UserError(f"--indices: {hi} is outside the recipe's samples 0-{samples - 1}")
        out.update(range(lo, hi + 1))
    return sorted(out)


def select_indices(samples: int, *, indices: str | None = None, shard_index: int | None = None,
                   shard_count: int | None = None, limit: int | None = None) -> list[int]:
    """The indices this process owns. Shards take indices round-robin (i % N == I), so every shard
    gets a balanced share and the union of shards 0..N-1 is exactly the whole set."""
    chosen = parse_indices(indices, samples) if indices else list(range(samples))
    if (shard_index is None) != (shard_count is None):
        raise UserError("--shard-index and --shard-count go together")
    if shard_count is not None and shard_index is not None:
        if shard_count < 1:
            raise UserError(f"--shard-count must be at least 1, got {shard_count}")
        if not 0 <= shard_index < shard_count:
            raise UserError(f"--shard-index must be in 0..{shard_count - 1}, got {shard_index}")
        chosen = [i for i in chosen if i % shard_count == shard_index]
    if limit is not None:
        if limit < 0:
            raise UserError(f"--limit must be at least 0, got {limit}")
        chosen = chosen[:limit]
    return chosen

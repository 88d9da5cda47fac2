"""Counting Blender's data-blocks: every ID collection of `bpy.data`, so a new kind (curves for
hair, node groups, ...) is watched without anyone adding it to a list."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def id_collections(bpy: Any) -> Iterator[tuple[str, Any]]:
    """(name, collection) for each `bpy.data` collection whose items are data-blocks (IDs)."""
    for prop in bpy.data.bl_rna.properties:
        if prop.type == "COLLECTION" and prop.fixed_type is not None and _is_id(prop.fixed_type):
            yield prop.identifier, getattr(bpy.data, prop.identifier)


def _is_id(struct: Any) -> bool:
    while struct is not None:
        if struct.identifier == "ID":
            return True
        struct = struct.base
    return False


def datablock_census(bpy: Any) -> dict[str, int]:
    """Every non-empty ID collection's length, and 'orphans': blocks no one uses (leak candidates)."""
    counts: dict[str, int] = {}
    orphans = 0
    for name, coll in id_collections(bpy):
        if len(coll):
            counts[name] = len(coll)
            orphans += sum(1 for block in coll if block.users == 0 and not block.use_fake_user)
    counts["orphans"] = orphans
    return counts

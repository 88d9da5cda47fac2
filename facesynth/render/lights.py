"""A pool of Blender light objects: reused across samples, extras hidden, never deleted.

Where a light goes comes from geometry's one placement function; this module only mirrors the
spec's kind, energy, colour and size into Blender.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from facesynth.render.color import kelvin_to_rgb
from facesynth.render.sync import assign, assign_matrix
from facesynth.render.units import length_to_m
from facesynth.sampling.spec import LightSpec

BLENDER_TYPE = {"point": "POINT", "area": "AREA", "spot": "SPOT", "sun": "SUN"}


class LightPool:
    def __init__(self, bpy: Any, collection: Any) -> None:
        self._bpy = bpy
        self._collection = collection
        self.objects: list[Any] = []
        self.created = 0

    def _grow(self, n: int) -> None:
        while len(self.objects) < n:
            k = len(self.objects)
            data = self._bpy.data.lights.new(f"facesynth_light_{k}", "POINT")
            obj = self._bpy.data.objects.new(f"facesynth_light_{k}", data)
            self._collection.objects.link(obj)
            self.objects.append(obj)
            self.created += 1

    def update(self, lights: tuple[LightSpec, ...], matrices_world_m: list[np.ndarray]) -> None:
        """Show one pooled light per spec at its 4x4 Blender matrix_world (metres); hide the rest."""
        self._grow(len(lights))
        for obj, spec, m in zip(self.objects, lights, matrices_world_m, strict=False):
            data = obj.data
            assign(data, "type", BLENDER_TYPE[spec.kind])
            data = obj.data  # changing the type re-types the data block
            assign(data, "energy", float(spec.energy))
            assign(data, "color", kelvin_to_rgb(spec.color_temperature_k))
            size_m = length_to_m(spec.size_mm)
            if spec.kind == "area":
                assign(data, "shape", "DISK")
                assign(data, "size", max(size_m, 1e-4))
            elif spec.kind in ("point", "spot"):
                assign(data, "shadow_soft_size", size_m / 2.0)
                if spec.kind == "spot":
                    assign(data, "spot_size", math.radians(spec.spot_angle_deg))
            assign_matrix(obj, m)
            assign(obj, "hide_render", False)
        for obj in self.objects[len(lights):]:
            assign(obj, "hide_render", True)

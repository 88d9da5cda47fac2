"""Re-export: the colour maths lives in facesynth.color (bpy-free, shared with geometry)."""

from facesynth.color import kelvin_to_rgb

__all__ = ["kelvin_to_rgb"]

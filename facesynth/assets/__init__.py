"""Face packs: the neutral face-model format, importers and the region table (no bpy)."""

from facesynth.assets.pack import FacePack
from facesynth.assets.registry import load_pack

__all__ = ["FacePack", "load_pack"]

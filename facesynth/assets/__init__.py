"""Face packs: the neutral face-model format, importers and the region table (no bpy)."""

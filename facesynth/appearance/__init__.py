"""Appearance models in plain numpy (no bpy): skin pigments, skin regions, clothing geometry."""

"""facesynth-models: train and evaluate networks on facesynth datasets (torch; never bpy)."""

__version__ = "0.1.0"

"""Running renders: the local loop over samples (one Blender per process) and its command."""

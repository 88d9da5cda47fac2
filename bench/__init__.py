"""facesynth's performance suite: `python -m bench [--quick]` (bench/runner.py) and the scripts it reuses."""

"""facesynth's test harness: synthetic samples shaped like real ones and the crash-resume drill.

Used by the tests and benchmarks of a source checkout; not part of the installed package (the
wheel ships `facesynth*` only). Run from the checkout root, or with it on PYTHONPATH.
"""

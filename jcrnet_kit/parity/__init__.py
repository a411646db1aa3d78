"""Parity between the two implementations: comparing arrays, the tolerance policy, recording layers, per-layer,
in-model, whole-model gradient and training-trajectory checks, and the verdict of ``jcrnet verify``."""

"""The weights shipped with the kit, used when a command is given no ``--weights``."""

from __future__ import annotations

from pathlib import Path

from jcrnet_kit.errors import KitError

#: Trained on the seeded synthetic set (torch naming, preset ``published``); shipped with the package.
DEFAULT_WEIGHTS = Path(__file__).parent / "assets" / "jcrnet-synthetic.safetensors"
#: The torch side of ``jcrnet verify --size 16x24 --layer-crop 8x12`` on those weights (``--reference-sample 256``), for
#: verifying on a machine without torch: ``jcrnet verify --reference`` with no path uses it.
DEFAULT_REFERENCE = Path(__file__).parent / "assets" / "jcrnet-synthetic.reference.safetensors"


def default_weights() -> Path:
    """The shipped weights file, or ``KitError`` if this installation lacks it."""
    if not DEFAULT_WEIGHTS.is_file():
        raise KitError(f"no --weights given and the shipped weights {DEFAULT_WEIGHTS} are missing")
    return DEFAULT_WEIGHTS

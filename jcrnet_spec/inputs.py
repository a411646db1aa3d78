"""Input contract shared by both implementations."""

from __future__ import annotations

from typing import Sequence


def validate_input_shape(shape: Sequence[int]) -> None:
    """Raise ``ValueError`` unless ``shape`` is N x 3 x H x W with even H and W.

    JCRNet has one stride-2 level, so an odd side cannot be restored by the decoder. The models refuse such an
    input rather than silently padding it; ``jcrnet enhance`` pads to even sides and crops the output back. A plain
    ``ValueError``: MindSpore's Graph mode raises only Python's own exception types from ``construct``.
    """
    if len(shape) != 4 or shape[1] != 3:
        raise ValueError(f"JCRNet expects an N x 3 x H x W image batch, got shape {tuple(shape)}")
    if shape[2] % 2 or shape[3] % 2:
        raise ValueError(f"JCRNet needs even H and W (one stride-2 level), got {shape[2]} x {shape[3]}; "
                         "pad the image to even sides and crop the output back")

"""An independent NumPy float64 forward pass of JCRNet (eval mode), read from the authors' published MindSpore file.

It shares no code with jcrnet_spec, torch_reference, mindspore_impl, convert or jcrnet_kit and imports neither torch
nor MindSpore, so an architecture misreading common to both implementations shows up as a disagreement with it.

>>> import jcrnet_oracle
>>> params = jcrnet_oracle.random_params("published", seed=0)  # MindSpore checkpoint naming, float32 arrays
>>> out = jcrnet_oracle.forward(params, images)  # images: N x 3 x H x W, even H and W
>>> out["enhanced"], out["stage1"], out["illum"], out["lbp"], out["x1_img"], out["x7_img"]

Parameters are keyed as in the published MindSpore checkpoint (``layout("published")``: 160 tensors; the shared
PReLU slopes are ``phit_6.body.1.w`` and ``shallow_feat7.1.body.1.w``). Variant ``torch-defaults`` adds
``<conv>.bias`` for the 35 convs whose bias the authors left at MindSpore's default and step sizes ``r0``, ``r6``
of shape (1,); its SFT LeakyReLU slope is 0.01 instead of 0.2. Points where the authors' code and JCRNET.md
disagree are listed in ``DISAGREEMENTS``.
"""

from jcrnet_oracle.layout import (
    CAB_SLOPE, PHI_SLOPE, UNUSED_MODULES, VARIANTS, Variant, check_params, get_variant, is_unused, layout,
    random_params,
)
from jcrnet_oracle.model import INTERMEDIATES, OUTPUTS, check_images, forward
from jcrnet_oracle.notes import DISAGREEMENTS, Disagreement

__all__ = [
    "CAB_SLOPE", "DISAGREEMENTS", "INTERMEDIATES", "OUTPUTS", "PHI_SLOPE", "UNUSED_MODULES", "VARIANTS",
    "Disagreement", "Variant", "check_images", "check_params", "forward", "get_variant", "is_unused", "layout",
    "random_params",
]

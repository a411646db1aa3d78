"""One framework's model as a NumPy function, for the commands that run JCRNet on images (``enhance``, ``eval``,
``bench``): built once with ``build_jcrnet(weights=...)`` of the framework's package, run in eval mode."""

from __future__ import annotations

import numpy as np

from convert.weights import Weights
from jcrnet_kit.errors import KitError
from jcrnet_kit.images.tiling import Forward

FRAMEWORKS = ("torch", "mindspore")


def build_forward(weights: Weights, framework: str, device: str = "CPU") -> Forward:
    """The ``enhanced`` output of ``framework``'s model holding ``weights`` on ``device`` (CPU or GPU; checked first
    with ``jcrnet_kit.devices.check_device``), in eval mode, without gradients."""
    if framework not in FRAMEWORKS:
        raise KitError(f"unknown framework {framework!r}; choose {' or '.join(FRAMEWORKS)}")
    import torch

    if framework == "torch":
        import torch_reference

        where = torch.device("cuda" if device == "GPU" else "cpu")
        model = torch_reference.build_jcrnet(weights=weights).eval().to(where)

        def run_torch(x: np.ndarray) -> np.ndarray:
            with torch.inference_mode():
                return model(torch.from_numpy(np.ascontiguousarray(x)).to(where))[0].cpu().numpy()

        return run_torch
    import mindspore as ms

    import mindspore_impl

    if device != "CPU":  # CPU is MindSpore's default here (``build_jcrnet`` configures it once)
        mindspore_impl.configure(device=device)
    net = mindspore_impl.build_jcrnet(weights=weights)
    net.set_train(False)
    return lambda x: net(ms.Tensor(np.ascontiguousarray(x)))[0].asnumpy()

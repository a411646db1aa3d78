"""Whole-model backward and training parity: the training loss (Charbonnier + 0.05 x edge loss on both outputs),
its gradient w.r.t. every parameter in eval and train mode, and 10 Adam steps from identical weights and batches
(BatchNorm on running statistics: sharp bars; on batch statistics, the recipe: drift bars);
MindSpore fp32 against torch fp32 and, like torch, against the fp64 oracle. Budgets:
``jcrnet_kit.parity.tolerances``."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

import mindspore as ms
import torch
from conftest import PRESETS, model_pair
from jcrnet_kit.parity import gradients, trajectories
from jcrnet_kit.parity.tolerances import CROSS_FRAMEWORK_LOSS_RTOL, SAME_LOSS_RTOL
from jcrnet_spec import recipe


@cache
def first_batch():
    return gradients.batches(1, seed=0)[0]


def test_loss_matches_dgunet_and_mindspore():
    """The loss as DGUNet writes it (strided assignment for the upsampling), torch and MindSpore: one number."""
    from mindspore_impl import loss as ms_loss
    from torch_reference import loss as torch_loss

    x, y = first_batch()
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    kernel = torch.tensor(recipe.gaussian_kernel(), dtype=torch.float32).expand(3, 1, 5, 5)

    def blur(img):
        return torch.nn.functional.conv2d(torch.nn.functional.pad(img, (2, 2, 2, 2), mode="replicate"), kernel,
                                          groups=3)

    def laplacian(img):
        filtered = blur(img)
        up = torch.zeros_like(filtered)
        up[:, :, ::2, ::2] = filtered[:, :, ::2, ::2] * 4
        return img - blur(up)

    dgunet = torch_loss.charbonnier(tx, ty) + 0.05 * torch_loss.charbonnier(laplacian(tx), laplacian(ty))
    ours = torch_loss.jcrnet_loss((tx,), ty)
    theirs = ms_loss.jcrnet_loss((ms.Tensor(x),), ms.Tensor(y))
    assert abs(float(ours) - float(dgunet)) <= SAME_LOSS_RTOL.value * abs(float(dgunet))
    assert abs(float(theirs) - float(ours)) <= CROSS_FRAMEWORK_LOSS_RTOL.value * abs(float(ours))


@pytest.mark.parametrize("mode", ["eval", "train"])
def test_whole_model_gradients(preset, mode):
    x, y = first_batch()
    checks = gradients.gradient_checks(preset, model_pair(preset).torch_state, x, y, mode == "train")
    assert len(checks) == 1 + sum(1 for _ in model_pair(preset).torch_model.parameters())
    failed = [c.describe() for c in checks if not c.passed]
    assert not failed, "\n".join(failed)


@pytest.mark.parametrize("mode", ["eval", "train"])
@pytest.mark.parametrize("preset", PRESETS)
def test_training_parity_10_adam_steps(preset, mode):
    result = trajectories.training_parity(preset, model_pair(preset).torch_state, steps=10, train=mode == "train")
    assert len(result.losses["mindspore"]) == 10
    assert result.passed, "; ".join(result.failures)


def test_adam_is_one_algorithm_with_torchs_eps_scaled_per_step():
    """MindSpore's nn.Adam puts eps outside the bias correction; torch with eps / sqrt(1 - b2^t) is the same."""
    from mindspore import nn

    rng = np.random.default_rng(0)
    w0 = rng.standard_normal(64).astype(np.float32)
    grads = [(rng.standard_normal(64) * 10.0 ** rng.uniform(-9, -3, 64)).astype(np.float32) for _ in range(5)]
    b1, b2 = recipe.ADAM_BETAS

    def run_torch(scaled: bool) -> np.ndarray:
        w = torch.nn.Parameter(torch.from_numpy(w0.copy()))
        opt = torch.optim.Adam([w], lr=recipe.ADAM_LR, betas=(b1, b2), eps=recipe.ADAM_EPS, foreach=False)
        for step, g in enumerate(grads, start=1):
            if scaled:
                opt.param_groups[0]["eps"] = recipe.ADAM_EPS / np.sqrt(1.0 - b2 ** step)
            w.grad = torch.from_numpy(g)
            opt.step()
        return w.detach().numpy()

    w = ms.Parameter(ms.Tensor(w0.copy()), name="w")
    opt = nn.Adam([w], learning_rate=recipe.ADAM_LR, beta1=b1, beta2=b2, eps=recipe.ADAM_EPS)
    for g in grads:
        opt((ms.Tensor(g),))
    moved = np.abs(run_torch(True) - w0).max()
    assert np.abs(w.asnumpy() - run_torch(True)).max() <= 1e-3 * moved
    assert np.abs(w.asnumpy() - run_torch(False)).max() > 1e-2 * moved

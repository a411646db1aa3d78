"""A catalogue of real porting bugs ("mutants"), each a small switch applied to the MindSpore model or to the
torch -> MindSpore weight conversion and undone afterwards (``applied(name)``). The torch reference is never touched,
so every failure a mutant causes is the port's. ``jcrnet_kit.mutants.runner`` runs the parity tests against each.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Callable, Dict, Iterator, Optional, Tuple

import numpy as np

from jcrnet_kit.mutants.patching import (
    patch, patch_after_init, patch_construct, patch_conversion, patch_everywhere, patch_leaf,
)

MUTANT_ENV = "JCRNET_MUTANT"


@dataclass(frozen=True)
class Mutant:
    """A porting bug. ``presets`` and ``families`` (``jcrnet_kit.parity.families.WEIGHTS``) are where its numbers
    can differ from torch's at all (empty: everywhere), ``why`` says why not elsewhere; ``numeric`` is False for a bug
    no number shows (only a structural check catches it); ``parts`` are the verification parts that can show it."""

    name: str
    bug: str  # the porting bug, as a porter would have written it
    patch: Callable[[contextlib.ExitStack], None]  # applies it; registers the undo on the stack
    applies: Callable[[str, str], bool] = lambda preset, family: True  # (preset, weights family)
    why: str = ""
    numeric: bool = True
    parts: Tuple[str, ...] = ("outputs", "in_model", "layers", "gradients")
    #: Image side (H, W) the mutant sweep needs to show it (None: the sweep's own); each layer alone then runs on the
    #: whole image, and only the whole-model outputs and the layers alone are run (the whole-model gradients and the
    #: training steps use fixed patches). For accuracy bugs whose error grows with the number of elements summed.
    size: Optional[Tuple[int, int]] = None
    #: Given a case's torch reference: "" where the case can show the bug, else why not (a property of the weights and
    #: input that ``applies`` cannot know in advance, such as exact zeros).
    shows: Callable[[object], str] = lambda reference: ""


def conv_has_bias_default(stack):
    from mindspore import nn

    patch_leaf(stack, "Conv2d", lambda leaf: nn.Conv2d(leaf.in_channels, leaf.out_channels, leaf.kernel_size,
                                                  stride=leaf.stride, pad_mode="pad", padding=leaf.pad))


def conv_pad_mode_same_default(stack):
    from mindspore import nn

    patch_leaf(stack, "Conv2d", lambda leaf: nn.Conv2d(leaf.in_channels, leaf.out_channels, leaf.kernel_size,
                                                  stride=leaf.stride, has_bias=leaf.bias))


def leaky_relu_default_slope(stack):
    from mindspore_impl import blocks

    patch_after_init(stack, blocks.SFTLayer, lambda self: setattr(self, "fused_slope", 0.2))


def leaky_relu_native_gradient(stack):
    from mindspore import nn, ops

    from mindspore_impl import blocks

    patch(stack, blocks, "leaky_relu", ops.leaky_relu)
    patch_leaf(stack, "LeakyReLU", lambda leaf: nn.LeakyReLU(alpha=leaf.negative_slope))


def prelu_native_gradient(stack):
    from mindspore import nn

    patch_leaf(stack, "PReLU", lambda leaf: nn.PReLU(channel=leaf.num_parameters, w=leaf.init))


def conv_bias_add_gradient(stack):
    from mindspore import nn

    patch_leaf(stack, "Conv2d", lambda leaf: nn.Conv2d(leaf.in_channels, leaf.out_channels, leaf.kernel_size,
                                                       stride=leaf.stride, pad_mode="pad", padding=leaf.pad,
                                                       has_bias=leaf.bias))


def batchnorm_momentum_convention(stack):
    from mindspore import nn

    patch_leaf(stack, "BatchNorm2d",
               lambda leaf: nn.BatchNorm2d(leaf.num_features, eps=leaf.eps, momentum=leaf.momentum))


def batchnorm_eps(stack):
    from mindspore import nn

    patch_leaf(stack, "BatchNorm2d",
               lambda leaf: nn.BatchNorm2d(leaf.num_features, eps=1e-3, momentum=1 - leaf.momentum))


def prelu_unshared(stack):
    import dataclasses

    import convert.weights
    import mindspore_impl
    from jcrnet_spec import assemble

    build = mindspore_impl.build_model

    def unshared(arch, make_leaf, make_block):
        return assemble(dataclasses.replace(arch, shared_groups=()), make_leaf, make_block)

    def build_unshared(*args):  # MindSpore's models only: the torch reference is never touched
        with contextlib.ExitStack() as inner:
            patch(inner, convert.weights, "assemble", unshared)
            return build(*args)

    patch(stack, mindspore_impl, "build_model", build_unshared)


def prelu_shared_across_models(stack):
    from mindspore_impl import layers

    made = {}
    original = layers.LEAF_FACTORIES["PReLU"]

    def once_per_process(leaf):  # ``def ResBlock(..., act=nn.PReLU())``: the default is made once, at import
        if leaf not in made:
            made[leaf] = original(leaf)
        return made[leaf]

    patch_leaf(stack, "PReLU", once_per_process)


def conv_transpose_weight_transposed(stack):
    patch_conversion(stack, lambda kind, name, a: a.transpose(1, 0, 2, 3).copy()
                if kind == "ConvTranspose2d" and name == "weight" else a)


def dense_weight_transposed(stack):
    patch_conversion(stack, lambda kind, name, a: a.T.copy() if kind == "Linear" and name == "weight" else a)


def batchnorm_gamma_beta_swapped(stack):
    import jcrnet_spec.naming as naming

    whole, local = naming.torch_to_mindspore, naming.torch_to_mindspore_at

    def swap(out, prefix_pairs):
        for gamma, beta in prefix_pairs:
            out[gamma], out[beta] = out[beta], out[gamma]
        return out

    def torch_to_mindspore(state, arch):
        out = whole(state, arch)
        norms = {e.layer for e in naming.param_table(arch) if e.kind == "BatchNorm2d"}
        return swap(out, [(f"{p}.gamma", f"{p}.beta") for p in norms])

    def torch_to_mindspore_at(state, arch, path):
        out = local(state, arch, path)
        names = [n.mindspore for n in naming.local_names(arch, path) if n.kind == "BatchNorm2d"]
        prefixes = {name.rsplit(".", 1)[0] if "." in name else "" for name in names}
        return swap(out, [(".".join(filter(None, (p, "gamma"))), ".".join(filter(None, (p, "beta"))))
                          for p in prefixes])

    patch_everywhere(stack, whole, torch_to_mindspore)
    patch_everywhere(stack, local, torch_to_mindspore_at)


def instance_norm_moving_statistics(stack):
    from mindspore import ops

    from mindspore_impl import layers

    def construct(self, x):  # ``use_batch_statistics=False``: normalise with the stored statistics
        mean = self.moving_mean.reshape(1, -1, 1, 1)
        var = self.moving_variance.reshape(1, -1, 1, 1)
        normed = (x - mean) / ops.sqrt(var + self.eps)
        return normed * self.gamma.reshape(1, -1, 1, 1) + self.beta.reshape(1, -1, 1, 1)

    patch_construct(stack, layers.InstanceNorm2d, construct)


def instance_norm_unbiased_variance(stack):
    from mindspore import ops

    from mindspore_impl import layers

    def construct(self, x):  # ``x.var(axis, ddof=1)``: torch's InstanceNorm uses the biased variance
        mean = x.mean(axis=(2, 3), keep_dims=True)
        count = x.shape[2] * x.shape[3]
        var = ops.square(x - mean).sum(axis=(2, 3), keepdims=True) / (count - 1)
        normed = (x - mean) / ops.sqrt(var + self.eps)
        return normed * self.gamma.reshape(1, -1, 1, 1) + self.beta.reshape(1, -1, 1, 1)

    patch_construct(stack, layers.InstanceNorm2d, construct)


def hin_wrong_half(stack):
    from mindspore import ops

    from mindspore_impl import blocks

    def construct(self, x):
        out = self.conv_1(x)
        if self.use_hin:
            kept, normed = ops.chunk(out, 2, axis=1)
            out = ops.cat([kept, self.norm(normed)], axis=1)
        out = self.relu_1(out)
        out = self.relu_2(self.conv_2(out))
        out = out + self.identity(x)
        if self.use_downsample:
            return self.downsample(out), out
        return out

    patch_construct(stack, blocks.UNetConvBlock, construct)


def avg_pool_wrong_axes(stack):
    from mindspore_impl import layers

    patch_construct(stack, layers.GlobalAvgPool, lambda self, x: x.mean(axis=2, keep_dims=True))


def concat_order_swapped(stack):
    from mindspore import ops

    from mindspore_impl import blocks

    def construct(self, x, bridge):
        return self.conv_block(ops.cat([bridge, self.up(x)], axis=1))

    patch_construct(stack, blocks.UNetUpBlock, construct)


def step_size_constant(stack):
    from mindspore_impl import layers

    original = layers.LEAF_FACTORIES["StepSize"]
    patch_leaf(stack, "StepSize", lambda leaf: original(leaf) if leaf.learnable else 0.5)


def sigmoid_vs_tanh(stack):
    from mindspore import nn

    from mindspore_impl import blocks

    patch_after_init(stack, blocks.IllumNet, lambda self: setattr(self, "tanh", nn.Tanh()))


def gradient_cut_rewrap(stack):
    from mindspore import Tensor

    from mindspore_impl import blocks

    original = blocks.IllumNet.construct

    def construct(self, x):  # the published ``Tensor(input)``; in PyNative only a host round trip cuts the graph
        return original(self, Tensor(x.asnumpy()))

    patch_construct(stack, blocks.IllumNet, construct)


def construct_named_forward(stack):
    from mindspore import nn

    from mindspore_impl import blocks

    cls = blocks.LightenBlock  # the published ``UpSample``: a Cell whose body is in ``forward``, a torch name
    patch(stack, cls, "forward", cls.construct)
    patch(stack, cls, "construct", nn.Cell.construct)


def lbp_returns_sum(stack):
    from mindspore_impl import blocks

    def construct(self, x):  # DLN's back-projection returns ``low + residual``; JCRNet's returns the residual only
        x = self.fusion(x)
        low = self.conv2(self.conv1_1(x))
        return low + self.conv3(self.local_weight1_1(x) - low)

    patch_construct(stack, blocks.LBP, construct)


def leaky_relu_ge_zero(stack):
    from mindspore import ops

    import mindspore_impl.compat as compat

    def leaky_relu(x, slope):  # ``x >= 0`` where torch's kink belongs to the left side: the gradient at 0 is 1
        return ops.where(x >= 0, x, x * slope)

    patch_everywhere(stack, compat.leaky_relu, leaky_relu)


def sft_condition_slope_as_fused(stack):
    from mindspore_impl import blocks

    patch_after_init(stack, blocks.SFTLayer, lambda self: setattr(self, "condition_slope", self.fused_slope))


def conv_weight_transposed_square(stack):
    patch_conversion(stack, lambda kind, name, a: a.transpose(1, 0, 2, 3).copy()
                     if kind == "Conv2d" and name == "weight" and a.shape[0] == a.shape[1] else a)


def condnet_missing_relu(stack):
    from mindspore import nn

    from mindspore_impl import blocks

    patch_after_init(stack, blocks.IllumNet, lambda self: self.CondNet.__setitem__(3, nn.Identity()))


def prelu_as_max(stack):
    from mindspore import nn, ops

    class MaxPReLU(nn.PReLU):  # max(x, w x): PReLU only while 0 <= w <= 1
        def construct(self, x):
            return ops.maximum(x, x * self.w.reshape(1, -1, 1, 1))

    patch_leaf(stack, "PReLU", lambda leaf: MaxPReLU(channel=leaf.num_parameters, w=leaf.init))


def batchnorm_running_var_ignored(stack):
    from mindspore import nn, ops

    class UnitVarianceBatchNorm(nn.BatchNorm2d):  # eval mode normalises by sqrt(1 + eps), as if var were 1
        def construct(self, x):
            if self.training:
                return super().construct(x)
            shape = (1, -1, 1, 1)
            unit = ops.ones_like(self.moving_variance).reshape(shape)
            normed = (x - self.moving_mean.reshape(shape)) / ops.sqrt(unit + self.eps)
            return normed * self.gamma.reshape(shape) + self.beta.reshape(shape)

    patch_leaf(stack, "BatchNorm2d",
               lambda leaf: UnitVarianceBatchNorm(leaf.num_features, eps=leaf.eps, momentum=1 - leaf.momentum))


def adam_eps_before_bias_correction(stack):
    from jcrnet_kit.train import optim

    def mindspore_adam(params, schedule):  # experimental.optim.Adam: the ops.Adam kernel, nn.Adam's eps placement
        from mindspore.experimental.optim import Adam
        from mindspore.experimental.optim.lr_scheduler import LambdaLR

        opt = Adam(params, lr=optim.BASE_LR, betas=(0.9, 0.999), eps=1e-8)
        return opt, LambdaLR(opt, lambda epoch: optim._from_epoch(schedule, epoch))

    patch(stack, optim, "mindspore_adam", mindspore_adam)


def _narrowing(stack, name: str, change) -> None:
    """Replace ``convert.dtypes.cast_floating`` with one whose narrowing casts (float16, bfloat16) go through
    ``change(float32 array, numpy dtype)``."""
    import numpy as np

    from convert import dtypes

    original = dtypes.cast_floating

    def cast_floating(tensors, dtype):
        if dtype not in ("float16", "bfloat16"):
            return original(tensors, dtype)
        target = dtypes.TARGET_DTYPES[dtype]
        return {k: change(np.asarray(v, np.float32), target) if dtypes.is_floating(v) else v
                for k, v in tensors.items()}

    cast_floating.__name__ = name
    patch_everywhere(stack, original, cast_floating)


def bfloat16_by_truncation(stack):
    import numpy as np

    def truncate(value, target):  # keep the top 16 bits: rounds toward zero where the cast rounds to nearest even
        if str(target) != "bfloat16":
            return value.astype(target)
        return (value.view(np.uint32) >> 16).astype(np.uint16).view(target)

    _narrowing(stack, "truncating_cast", truncate)


def narrowed_weights_scaled(stack):
    _narrowing(stack, "scaling_cast", lambda value, target: (value * 1.01).astype(target))


def _exact_zeros(preset: str, family: str) -> bool:
    """Where an input of the SFT condition's LeakyReLU is exactly 0: the published preset's dead edge branch."""
    return preset == "published" and family != "edge_on"


def _sft_condition_zeros(reference) -> str:
    """An SFT block checked alone gets a condition that is 0 over a whole 3x3 window somewhere, so its condition
    convs (no bias in the published preset) feed their LeakyReLU an exact 0. Returns "" then, else why not."""
    for layer in reference.layers:
        if "sft" in layer.path.rsplit(".", 1)[-1] and len(layer.inputs) == 2:
            cond = np.pad(np.abs(layer.inputs[1]).max(axis=1), ((0, 0), (1, 1), (1, 1)))
            if (np.lib.stride_tricks.sliding_window_view(cond, (3, 3), axis=(1, 2)).max(axis=(-2, -1)) == 0).any():
                return ""
    return "no SFT condition is 0 over a whole 3x3 window here (the edge branch is live with these weights), so no " \
           "LeakyReLU input is exactly 0"


def _edge_branch_live(preset: str, family: str) -> bool:
    return preset == "torch-defaults" or family == "edge_on"


_EDGE_BRANCH = "the published preset has no bias in the illumination net, so with weights whose conv15 is negative " \
               "everywhere (the shipped ones, some seeds) the edge branch (CondNet, the SFT condition convs) outputs " \
               "exactly 0"

CATALOGUE: Dict[str, Mutant] = {m.name: m for m in (
    Mutant("conv_has_bias_default", "nn.Conv2d(...) without has_bias: MindSpore's default is False, torch's True",
           conv_has_bias_default, numeric=False,
           why="caught before any number is computed: the port lacks biases that every checkpoint has, and strict "
               "loading refuses the model (a load error)"),
    Mutant("conv_pad_mode_same_default", "nn.Conv2d(...) without pad_mode and padding: MindSpore's default 'same' "
                                         "pads by itself (the same numbers here, but not the same layer)",
           conv_pad_mode_same_default, numeric=False,
           why="'same' pads as the spec does at every kernel and stride JCRNet uses (3x3 and 1x1 at stride 1, 4x4 at "
               "stride 2 on even sides): no number differs; conformance reads pad_mode back"),
    Mutant("leaky_relu_default_slope", "ops.leaky_relu(x) after SFT2 with MindSpore's default slope 0.2 where torch's "
                                       "F.leaky_relu(x) defaults to 0.01", leaky_relu_default_slope,
           applies=lambda preset, family: preset == "torch-defaults", why="the published slope is 0.2 already"),
    Mutant("leaky_relu_native_gradient", "MindSpore's own LeakyReLU: gradient (1 + slope) / 2 at exactly 0, torch's "
                                         "slope", leaky_relu_native_gradient, applies=_exact_zeros, parts=("layers",),
           shows=_sft_condition_zeros,
           why="the gradient differs at exactly 0 only: the SFT condition is exactly 0 where " + _EDGE_BRANCH +
               "; with biases (torch-defaults) or a live edge branch no input is exactly 0"),
    Mutant("leaky_relu_ge_zero", "LeakyReLU as where(x >= 0, x, slope * x): the same values, but gradient 1 at "
                                 "exactly 0 where torch's is the slope", leaky_relu_ge_zero, applies=_exact_zeros,
           parts=("layers",), shows=_sft_condition_zeros,
           why="the gradient differs at exactly 0 only (see leaky_relu_native_gradient)"),
    Mutant("prelu_native_gradient", "MindSpore's own nn.PReLU: the same values, but its CPU kernel sums a single "
                                    "slope's gradient over N*C*H*W elements with an error growing with their number "
                                    "(4e-4 of the result at 1x40x256x384)", prelu_native_gradient,
           parts=("layers",), size=(64, 96)),
    Mutant("conv_bias_add_gradient", "MindSpore's own nn.Conv2d: the same values, but its BiasAdd gradient kernel "
                                     "sums N*H*W elements with an error growing with their number (1.2e-5 of the "
                                     "result at 1x40x256x384)", conv_bias_add_gradient,
           applies=lambda preset, family: preset == "torch-defaults",
           why="the published preset's convs outside the LBP and the SAM have no bias, and the sums over the few "
               "biased ones stay within budget at the sweep's sizes (survived on published:shipped at 2x3x64x96)",
           parts=("layers",), size=(64, 96)),
    Mutant("sft_condition_slope_as_fused", "SFT condition LeakyReLU with the fused slope (0.2) where DGUNet's SFT uses "
                                           "0.1", sft_condition_slope_as_fused),
    Mutant("batchnorm_momentum_convention", "nn.BatchNorm2d(momentum=0.1) copied from torch: MindSpore's momentum is "
                                            "the weight of the old value (torch 0.1 = MindSpore 0.9)",
           batchnorm_momentum_convention),
    Mutant("batchnorm_eps", "BatchNorm eps 1e-3 (Keras's default) instead of 1e-5", batchnorm_eps),
    Mutant("prelu_unshared", "one PReLU per ResBlock where the published code shares one slope", prelu_unshared,
           numeric=False, why="the unshared model has four slopes where a checkpoint has one: strict loading refuses "
                              "it before any number is computed (a load error, not a numerical catch)"),
    Mutant("prelu_shared_across_models", "def ResBlock(..., act=nn.PReLU()): the default slope is made once and "
                                         "shared by every model in the process", prelu_shared_across_models,
           numeric=False, why="models built from the same weights hold the same slope anyway; conformance checks that "
                              "two models never share one"),
    Mutant("prelu_as_max", "PReLU written as max(x, w * x): equal to PReLU only while 0 <= w <= 1", prelu_as_max,
           applies=lambda preset, family: family == "prelu_slopes", why="every other family's slopes lie in [0, 1]"),
    Mutant("conv_weight_transposed_square", "conv weights converted with in and out channels swapped where they are "
                                            "equal, so shapes still match", conv_weight_transposed_square),
    Mutant("condnet_missing_relu", "CondNet's second ReLU dropped", condnet_missing_relu, applies=_edge_branch_live,
           why="CondNet's input is the edge map: " + _EDGE_BRANCH + "; it shows with torch-defaults (biases) and with "
               "edge_on weights"),
    Mutant("batchnorm_running_var_ignored", "eval-mode BatchNorm normalising by sqrt(1 + eps), as if the running "
                                            "variance were 1", batchnorm_running_var_ignored,
           why="shows wherever running variances are not 1: every family here (fresh weights would hide it)"),
    Mutant("bfloat16_by_truncation", "weights cast to bfloat16 by dropping the low 16 bits (truncation) instead of "
                                     "rounding to nearest even", bfloat16_by_truncation, parts=(),
           why="only `convert --dtype bfloat16` casts weights; the conversion tests catch it, not a verification case"),
    Mutant("narrowed_weights_scaled", "every weight narrowed to float16 / bfloat16 scaled by 1.01 on the way",
           narrowed_weights_scaled, parts=(),
           why="only `convert --dtype` narrows weights; the conversion tests catch it, not a verification case"),
    Mutant("adam_eps_before_bias_correction", "mindspore.experimental.optim.Adam taken for torch's Adam: it runs the "
                                              "ops.Adam kernel, eps before the bias correction",
           adam_eps_before_bias_correction, parts=("training",),
           why="only training runs an optimiser"),
    Mutant("conv_transpose_weight_transposed", "ConvTranspose weight converted as (out, in, kH, kW); both frameworks "
                                               "store (in, out, kH, kW)", conv_transpose_weight_transposed,
           numeric=False, why="a JCRNet conv-transpose weight is non-square (in != out): transposed, it has the wrong "
                              "shape and loading refuses the model (a load error)"),
    Mutant("dense_weight_transposed", "Linear -> Dense weight transposed; both store (out, in)",
           dense_weight_transposed, numeric=False,
           why="a JCRNet Linear is non-square: transposed, its weight has the wrong shape and loading refuses the "
               "model (a load error)"),
    Mutant("batchnorm_gamma_beta_swapped", "BatchNorm weight/bias mapped to beta/gamma", batchnorm_gamma_beta_swapped),
    Mutant("instance_norm_moving_statistics", "InstanceNorm normalising with its moving statistics (MindSpore keeps "
                                              "them; torch's affine InstanceNorm2d never uses any)",
           instance_norm_moving_statistics),
    Mutant("instance_norm_unbiased_variance", "InstanceNorm with the unbiased variance (ddof=1); torch's is biased",
           instance_norm_unbiased_variance),
    Mutant("hin_wrong_half", "half-instance-norm applied to the second half of the channels", hin_wrong_half),
    Mutant("avg_pool_wrong_axes", "global average pool as a mean over H only", avg_pool_wrong_axes, numeric=False,
           why="the pooled tensor then has W left over, which the reshape after it refuses on every input (a run "
               "error before any number)"),
    Mutant("concat_order_swapped", "UNetUpBlock concatenates [bridge, up] instead of [up, bridge]",
           concat_order_swapped),
    Mutant("step_size_constant", "published step sizes r0 = 0.4412, r6 = 0.4965 replaced by DGUNet's 0.5",
           step_size_constant, applies=lambda preset, family: preset == "published",
           why="torch-defaults' step sizes are learnable parameters (DGUNet's 0.5), which the mutant leaves alone"),
    Mutant("sigmoid_vs_tanh", "the illumination net's last activation built as nn.Tanh (its attribute is called "
                              "tanh; it is a Sigmoid)", sigmoid_vs_tanh),
    Mutant("construct_named_forward", "a Cell's body written as forward() (the torch name), as in the published "
                                      "UpSample: MindSpore never calls it", construct_named_forward, numeric=False,
           why="MindSpore raises when the cell is called (it has no construct): a run error before any number, which "
               "verify reports as the part's error"),
    Mutant("lbp_returns_sum", "LBP ported from DLN: returns low + conv3(...) where JCRNet's returns the residual "
                              "conv3(...) only", lbp_returns_sum),
    Mutant("gradient_cut_rewrap", "the illumination net re-wraps its input as a new Tensor, cutting the gradient",
           gradient_cut_rewrap),
)}

#: Mutants applied for the rest of the process (``activate``), with their undo stacks.
_active: Dict[str, contextlib.ExitStack] = {}


@contextlib.contextmanager
def applied(name: str) -> Iterator[Mutant]:
    """Apply mutant ``name`` inside the block; everything is restored on exit."""
    mutant = _mutant(name)
    with contextlib.ExitStack() as stack:
        mutant.patch(stack)
        yield mutant


def activate(name: str) -> Mutant:
    """Apply mutant ``name`` for the rest of the process (a whole test session)."""
    mutant = _mutant(name)
    stack = contextlib.ExitStack()
    mutant.patch(stack)
    _active[name] = stack
    return mutant


def _mutant(name: str) -> Mutant:
    if name not in CATALOGUE:
        raise KeyError(f"unknown mutant {name!r}; known: {', '.join(CATALOGUE)}")
    return CATALOGUE[name]

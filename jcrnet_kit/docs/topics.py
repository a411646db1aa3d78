"""The PyTorch -> MindSpore API map as data: one ``Topic`` per job JCRNet does (convolution, batch norm, ...), its
torch API and MindSpore (and ``mindspore.mint``) counterparts with the official page of each pair, the arguments that
differ with the defaults each row claims (verified against the installed libraries by ``jcrnet_kit.docs.introspect``),
where the kit does it, the mutants that show the difference matters and the parity tests that catch them. Every
statement a row makes is an executable claim in ``jcrnet_kit.docs.claims`` (linked by the row's title).
``jcrnet_kit.docs.api_map`` renders it as docs/API_MAPPING.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

from jcrnet_kit.docs.links import (
    API_PAGE, CONFORMANCE, LAYER_PARITY, LR_AND_OPTIMIZER, MAPPING_TABLE, MODEL_AND_CELL, TRAINING, diff_page,
)


class _Required:
    def __repr__(self) -> str:
        return "required"


#: The default of an argument that has none.
REQUIRED = _Required()
#: The default of an argument of a builtin whose signature neither ``inspect`` nor its docstring gives.
UNKNOWN = object()


@dataclass(frozen=True)
class Arg:
    """One argument, named in each API of its row ("" where that API has no such argument), with the default each
    row claims for it (verified against the installed library)."""

    torch: str
    mindspore: str
    mint: str
    defaults: Tuple[object, object, object]  # torch, MindSpore, mint (None where the name is "")
    note: str = ""


@dataclass(frozen=True)
class Api:
    """One torch API and its counterparts. ``mint`` is "" where MindSpore 2.10 has none; ``mint_cpu`` says whether
    that mint API does its job on CPU in MindSpore 2.10 (measured; ``parity_tests/test_docs.py`` runs each again) and
    ``mint_note`` how it fails where it does not. ``page`` is the official page for the pair (a "Differences with
    torch.X" page where one exists, else the mapping table), ``page_says`` what that page or table says of it."""

    torch: str
    mindspore: str
    mint: str = ""
    mint_cpu: Optional[bool] = None
    args: Tuple[Arg, ...] = ()
    page: str = ""
    page_says: str = ""
    mint_note: str = ""


@dataclass(frozen=True)
class Topic:
    """One row of the map: torch APIs that JCRNet uses for one job, their counterparts, what differs, where the kit
    does it, the mutants that show the difference matters and the parity tests that catch them."""

    title: str
    apis: Tuple[Api, ...]
    differences: Tuple[str, ...]
    kit: Tuple[str, ...]  # "file::function or class" of the kit's own code for it
    tests: Tuple[str, ...]  # pytest node ids
    mutants: Tuple[str, ...] = ()
    no_mutant: str = ""  # why no mutant shows it, where ``mutants`` is empty
    kind: str = ""  # the spec leaf kind whose parameter names ``PARAM_RULES`` gives
    names: Tuple[Tuple[str, str], ...] = ()  # other torch -> MindSpore names (not a leaf kind)

    @property
    def anchor(self) -> str:
        return "api-" + "".join(c if c.isalnum() else "-" for c in self.title.lower()).strip("-")


def _same(value) -> Tuple[object, object, object]:
    return (value, value, value)


CLAIMS_TEST = "parity_tests/test_docs.py::test_claim_holds"
OPTIM = "jcrnet_kit/train/optim.py::"

TOPICS: Tuple[Topic, ...] = (
    Topic(
        "Convolution",
        (Api("torch.nn.Conv2d", "mindspore.nn.Conv2d", "mindspore.mint.nn.Conv2d", False, (
            Arg("bias", "has_bias", "bias", (True, False, True),
                "MindSpore drops the bias unless asked: pitfall 1 of the published code"),
            Arg("padding", "padding", "padding", _same(0),
                "MindSpore: must be 0 unless `pad_mode='pad'` (else `ValueError`); a tuple is 4 values (top, bottom, "
                "left, right), torch's 2 (H, W)"),
            Arg("", "pad_mode", "", (None, "same", None),
                "`'same'` pads like TensorFlow (odd extra row / column at the bottom / right): torch's `padding=k//2` "
                "only at stride 1; the kit always passes `pad_mode='pad'` and the spec's padding"),
            Arg("groups", "group", "groups", _same(1)),
            Arg("padding_mode", "", "padding_mode", ("zeros", None, "zeros"),
                "MindSpore pads zeros only: `ops.pad(mode=...)` then a `'valid'` conv"),
        ), page=diff_page("Conv2d"), page_says="differences page"),),
        ("bias is on by default in torch and off in MindSpore",
         "padding: MindSpore's default `pad_mode='same'` pads by itself and rejects a non-zero `padding`; at stride 1 "
         "with odd kernels it gives torch's numbers, so only conformance (`pad_mode` read back from the cell) catches "
         "it; at stride 2 it pads like TensorFlow (bottom / right first) and the numbers differ",
         "a tuple `padding` is 4 values in MindSpore (top, bottom, left, right), 2 in torch",
         "weights are (out, in / groups, kH, kW) in both"),
        ("mindspore_impl/layers.py::conv2d", "torch_reference/layers.py::conv2d"),
        (f"{LAYER_PARITY}[published-stage1_encoder.body.0-eval]",
         CONFORMANCE + "test_mindspore_parameter_names_and_shapes",
         CONFORMANCE + "test_every_layer_matches_the_spec"),
        mutants=("conv_has_bias_default", "conv_pad_mode_same_default"),
        kind="Conv2d",
    ),
    Topic(
        "Transposed convolution",
        (Api("torch.nn.ConvTranspose2d", "mindspore.nn.Conv2dTranspose", "mindspore.mint.nn.ConvTranspose2d", False, (
            Arg("bias", "has_bias", "bias", (True, False, True)),
            Arg("padding", "padding", "padding", _same(0), "as for `Conv2d`: 0 unless `pad_mode='pad'`"),
            Arg("", "pad_mode", "", (None, "same", None),
                "JCRNet's 2x2 stride-2 up-sampling gives 2H x 2W either way; the kit passes `pad_mode='pad'`"),
            Arg("groups", "group", "groups", _same(1)),
            Arg("output_padding", "output_padding", "output_padding", _same(0),
                "MindSpore 2.10 appends zeros after the bias; torch computes that row and column (unused here)"),
        ), page=diff_page("Conv2dTranspose"), page_says="differences page"),),
        ("the class is `Conv2dTranspose` in `mindspore.nn`",
         "bias and pad_mode defaults as for `Conv2d`",
         "weights are (in, out / groups, kH, kW) in both: the conversion copies them as they are",
         "`output_padding` exists in 2.10 but fills the extra row and column with zeros where torch computes them"),
        ("mindspore_impl/layers.py::conv_transpose2d", "torch_reference/layers.py::conv_transpose2d"),
        (f"{LAYER_PARITY}[published-stage1_decoder.body.0-eval]",
         CONFORMANCE + "test_every_layer_matches_the_spec"),
        mutants=("conv_transpose_weight_transposed",),
        kind="ConvTranspose2d",
    ),
    Topic(
        "Weight initialisation",
        (Api("torch.nn.init.kaiming_uniform_", "mindspore.common.initializer.HeUniform",
             page=MODEL_AND_CELL + "#parameter-initialization",
             page_says="migration guide: parameter initialisation"),),
        ("default initialisation matches: `nn.Conv2d`, `Conv2dTranspose` and `Dense` draw weights from "
         "`HeUniform(a=sqrt(5))` = U(-1/sqrt(fan_in), 1/sqrt(fan_in)) and biases from the same range, as torch does",
         "the draws differ (other generators), so two freshly built models never hold the same numbers"),
        ("jcrnet_spec/weights.py::seeded_weights",),
        (CLAIMS_TEST, CONFORMANCE + "test_every_layer_matches_the_spec"),
        no_mutant="the kit never relies on default initialisation: both models get the same weights from the spec's "
                  "seeded weights or from a file",
    ),
    Topic(
        "Batch norm",
        (Api("torch.nn.BatchNorm2d", "mindspore.nn.BatchNorm2d", "mindspore.mint.nn.BatchNorm2d", False, (
            Arg("eps", "eps", "eps", _same(1e-5)),
            Arg("momentum", "momentum", "momentum", (0.1, 0.9, 0.1),
                "MindSpore's momentum weighs the old value: torch 0.1 is MindSpore 0.9 (mint takes torch's)"),
            Arg("affine", "affine", "affine", _same(True)),
            Arg("track_running_stats", "use_batch_statistics", "track_running_stats", (True, None, True),
                "MindSpore `None`: batch statistics in training, running ones in eval, like torch"),
        ), page=diff_page("BatchNorm2d"), page_says="differences page"),),
        ("momentum conventions are complementary: the kit passes `momentum=1 - spec momentum`",
         "parameters are renamed (below); torch's `num_batches_tracked` has no MindSpore counterpart",
         "the running variance is updated with the unbiased batch variance in both (measured on CPU)"),
        ("mindspore_impl/layers.py::batch_norm2d", "torch_reference/layers.py::batch_norm2d"),
        (f"{LAYER_PARITY}[published-illum-train]",
         f"{LAYER_PARITY}[published-illum-eval]",
         "parity_tests/test_layer_parity.py::test_batchnorm_running_variance_is_unbiased_in_both",
         CONFORMANCE + "test_every_layer_matches_the_spec"),
        mutants=("batchnorm_momentum_convention", "batchnorm_eps", "batchnorm_gamma_beta_swapped"),
        kind="BatchNorm2d",
    ),
    Topic(
        "Instance norm (half-instance-norm)",
        (Api("torch.nn.InstanceNorm2d", "mindspore.nn.InstanceNorm2d", "", None, (
            Arg("eps", "eps", "", (1e-5, 1e-5, None)),
            Arg("affine", "affine", "", (False, True, None),
                "JCRNet's is affine: the kit passes `affine=True` in torch"),
            Arg("track_running_stats", "", "", (False, None, None),
                "MindSpore's layer always holds moving statistics; they never reach the output"),
            Arg("momentum", "momentum", "", (0.1, 0.1, None), "only moves statistics that no output reads"),
         ), page=diff_page("InstanceNorm2d"), page_says="differences page (no platform note)"),
         Api("torch.nn.GroupNorm", "mindspore.nn.GroupNorm", "mindspore.mint.nn.GroupNorm", True, (
             Arg("num_groups", "num_groups", "num_groups", _same(REQUIRED), "C groups of C channels: instance norm"),
             Arg("num_channels", "num_channels", "num_channels", _same(REQUIRED)),
             Arg("eps", "eps", "eps", _same(1e-5)),
             Arg("affine", "affine", "affine", _same(True)),
         ), page=diff_page("GroupNorm"), page_says="differences page")),
        ("MindSpore 2.10's `nn.InstanceNorm2d` runs on GPU only (CPU: 'Unsupported op'; its docstring lists GPU "
         "alone, so no Ascend either), and 2.10 has no mint or ops instance norm",
         "`nn.GroupNorm(C, C)` runs on CPU and equals torch's affine InstanceNorm2d, but holds only `gamma` / `beta`: "
         "the kit's MindSpore `InstanceNorm2d` is built from reductions (biased variance, like torch) and keeps the "
         "native layer's four parameters so published checkpoints load strictly",
         "MindSpore stores `moving_mean` / `moving_variance` that torch's affine InstanceNorm has no buffer for",
         "HIN normalises the first half of the channels (`torch.chunk`, below)"),
        ("mindspore_impl/layers.py::InstanceNorm2d", "torch_reference/layers.py::instance_norm2d"),
        (f"{LAYER_PARITY}[published-stage1_encoder.body.1-eval]",
         CONFORMANCE + "test_mindspore_checkpoint_has_the_published_layout_and_reloads_strictly"),
        mutants=("instance_norm_moving_statistics", "instance_norm_unbiased_variance", "hin_wrong_half"),
        kind="InstanceNorm2d",
    ),
    Topic(
        "PReLU",
        (Api("torch.nn.PReLU", "mindspore.nn.PReLU", "mindspore.mint.nn.PReLU", True, (
            Arg("num_parameters", "channel", "num_parameters", _same(1)),
            Arg("init", "w", "init", _same(0.25)),
        ), page=diff_page("PReLU"), page_says="differences page"),),
        ("the slope is saved as `<path>.w` in MindSpore, `<path>.weight` in torch (a bare `nn.PReLU()` names its own "
         "Parameter `a`)",
         "sharing: a layer object used at several attribute paths is one parameter; torch's state_dict repeats it "
         "under every path, MindSpore saves it once under the last path (pitfall 3)",
         "a default argument `act=nn.PReLU()` is made once per process and shared by every model"),
        ("mindspore_impl/layers.py::prelu", "torch_reference/layers.py::prelu"),
        (CONFORMANCE + "test_shared_within_one_model_never_across_models",
         CONFORMANCE + "test_mindspore_parameter_names_and_shapes",
         "parity_tests/test_spec.py::test_shared_slopes_collapse_to_the_last_path"),
        mutants=("prelu_unshared", "prelu_shared_across_models"),
        kind="PReLU",
    ),
    Topic(
        "LeakyReLU (layer)",
        (Api("torch.nn.LeakyReLU", "mindspore.nn.LeakyReLU", "", None, (
            Arg("negative_slope", "alpha", "", (0.01, 0.2, None)),
            Arg("inplace", "", "", (False, None, None)),
        ), page=diff_page("LeakyReLU"), page_says="differences page (no word on the gradient at 0)"),),
        ("default slope 0.01 in torch, 0.2 in MindSpore",
         "gradient at exactly 0: torch gives the slope, MindSpore 2.10 `(1 + slope) / 2` (PyNative and Graph); the "
         "kit's `LeakyReLU` computes `where(x > 0, x, slope * x)` (`mindspore_impl/compat.py`), same values, torch's "
         "gradient"),
        ("mindspore_impl/layers.py::LeakyReLU", "mindspore_impl/compat.py::leaky_relu",
         "torch_reference/layers.py::leaky_relu"),
        ("parity_tests/test_layer_parity.py::test_leaky_relu_gradient_at_zero_is_torchs",
         f"{LAYER_PARITY}[published-illum.sft.sft0-eval]"),
        mutants=("leaky_relu_native_gradient",),
        kind="LeakyReLU",
    ),
    Topic(
        "leaky_relu (function)",
        (Api("torch.nn.functional.leaky_relu", "mindspore.ops.leaky_relu", "mindspore.mint.nn.functional.leaky_relu",
             False, (
                 Arg("negative_slope", "alpha", "negative_slope", (0.01, 0.2, 0.01),
                     "`F.leaky_relu(x)` after SFT2 relies on torch's 0.01 (pitfall 2)"),
                 Arg("inplace", "", "", (False, None, None)),
             ), page=diff_page("leaky_relu"), page_says="differences page"),),
        ("default slope 0.01 in torch (and mint), 0.2 in `ops`: always pass the slope",
         "gradient at 0 as for the layer"),
        ("mindspore_impl/blocks.py::SFTLayer", "mindspore_impl/compat.py::leaky_relu",
         "torch_reference/blocks.py::SFTLayer"),
        (f"{LAYER_PARITY}[torch-defaults-illum.sft.sft0-eval]",
         f"{LAYER_PARITY}[published-illum.sft.sft0-eval]"),
        mutants=("leaky_relu_default_slope", "leaky_relu_native_gradient"),
    ),
    Topic(
        "Linear",
        (Api("torch.nn.Linear", "mindspore.nn.Dense", "mindspore.mint.nn.Linear", True, (
            Arg("in_features", "in_channels", "in_features", _same(REQUIRED)),
            Arg("out_features", "out_channels", "out_features", _same(REQUIRED)),
            Arg("bias", "has_bias", "bias", _same(True)),
            Arg("", "activation", "", (None, None, None), "MindSpore's `Dense` can fuse an activation; unused here"),
        ), page=diff_page("Dense"), page_says="differences page"),),
        ("the class is `Dense` and the feature counts are called channels",
         "weights are (out, in) in both: copied as they are, never transposed"),
        ("mindspore_impl/layers.py::linear", "torch_reference/layers.py::linear"),
        (f"{LAYER_PARITY}[published-lbp.fusion-eval]",),
        mutants=("dense_weight_transposed",),
        kind="Linear",
    ),
    Topic(
        "Global average pool",
        (Api("torch.nn.AdaptiveAvgPool2d", "mindspore.nn.AdaptiveAvgPool2d", "mindspore.mint.nn.AdaptiveAvgPool2d",
             False, (Arg("output_size", "output_size", "output_size", _same(REQUIRED)),),
             page=MAPPING_TABLE, page_says="mapping table: 'Consistent'"),
         Api("torch.Tensor.mean", "mindspore.Tensor.mean", "mindspore.mint.mean", True,
             page=MAPPING_TABLE, page_says="mapping table: 'parameter names are inconsistent'")),
        ("`AdaptiveAvgPool2d(1)` is a mean over H and W; `mindspore.nn.AdaptiveAvgPool2d(1)` runs on CPU with torch's "
         "numbers and gradient",
         "the kit's MindSpore `GlobalAvgPool` writes it as `x.mean(axis=(2, 3), keep_dims=True)` (a one-line cell "
         "with no kernel question on any device; switching to `nn.AdaptiveAvgPool2d` is the MindSpore implementation's "
         "call); 2.10's `Tensor.mean` also accepts torch's `dim` / `keepdim`, `ops.mean` only `axis` / `keep_dims`"),
        ("mindspore_impl/layers.py::GlobalAvgPool", "torch_reference/layers.py::global_avg_pool"),
        (f"{LAYER_PARITY}[published-shallow_feat1.1.CA-eval]", f"{LAYER_PARITY}[published-lbp.fusion-eval]"),
        mutants=("avg_pool_wrong_axes",),
        kind="GlobalAvgPool",
    ),
    Topic(
        "Sigmoid",
        (Api("torch.nn.Sigmoid", "mindspore.nn.Sigmoid", "mindspore.mint.nn.Sigmoid", True,
             page=diff_page("Sigmoid"), page_says="differences page"),),
        ("no argument; the illumination net's attribute is called `tanh` but holds a Sigmoid",),
        ("torch_reference/layers.py::LEAF_FACTORIES", "mindspore_impl/layers.py::LEAF_FACTORIES"),
        (f"{LAYER_PARITY}[published-illum-eval]", CONFORMANCE + "test_every_layer_matches_the_spec"),
        mutants=("sigmoid_vs_tanh",),
        kind="Sigmoid",
    ),
    Topic(
        "ReLU",
        (Api("torch.nn.ReLU", "mindspore.nn.ReLU", "mindspore.mint.nn.ReLU", True, (
            Arg("inplace", "", "", (False, None, None)),
         ), page=diff_page("ReLU"), page_says="differences page (nn.ReLU: no inplace)"),
         Api("torch.nn.functional.relu", "mindspore.ops.relu", "mindspore.mint.nn.functional.relu", True, (
             Arg("inplace", "inplace", "inplace", _same(False), "`inplace=True`: no CPU kernel in MindSpore 2.10"),
         ), page=MAPPING_TABLE, page_says="mapping table: 'Consistent'")),
        ("same numbers and the same gradient (0 at 0); `nn.ReLU` has no in-place flag, 2.10's `ops.relu` and mint's "
         "have one, but `inplace=True` has no CPU kernel",),
        ("torch_reference/blocks.py::IllumNet", "mindspore_impl/blocks.py::IllumNet"),
        (CONFORMANCE + "test_every_layer_matches_the_spec", f"{LAYER_PARITY}[published-illum-eval]"),
        no_mutant="nothing differs to get wrong; a ReLU swapped for another activation is what `sigmoid_vs_tanh` "
                  "shows",
        kind="ReLU",
    ),
    Topic(
        "Concatenate and split",
        (Api("torch.cat", "mindspore.ops.cat", "mindspore.mint.cat", True, (
            Arg("tensors", "tensors", "tensors", _same(REQUIRED)),
            Arg("dim", "axis", "dim", _same(0), "`ops` says `axis`, torch and mint `dim`"),
         ), page=diff_page("cat"), page_says="differences page; table: 'parameter data types are inconsistent'"),
         Api("torch.chunk", "mindspore.ops.chunk", "mindspore.mint.chunk", True, (
             Arg("chunks", "chunks", "chunks", _same(REQUIRED)),
             Arg("dim", "axis", "dim", _same(0)),
         ), page=MAPPING_TABLE, page_says="mapping table: 'parameter names are inconsistent'")),
        ("same semantics; the axis argument is `axis` in `ops`",
         "`torch.cat` promotes mixed dtypes (float32 + float16 -> float32); `ops.cat` and `mint.cat` fail on them on "
         "CPU (in PyNative only at the next op): cast first",
         "order matters and nothing checks it but numbers: `[up, bridge]` in the decoder, the first half normalised "
         "in HIN"),
        ("mindspore_impl/blocks.py::UNetUpBlock", "mindspore_impl/blocks.py::UNetConvBlock",
         "torch_reference/blocks.py::UNetUpBlock"),
        (f"{LAYER_PARITY}[published-stage1_decoder.body.0-eval]",
         f"{LAYER_PARITY}[published-stage1_encoder.body.1-eval]",
         "parity_tests/test_mutants.py::test_concat_order_mutant_is_caught_by_the_decoder_layer_test"),
        mutants=("concat_order_swapped", "hin_wrong_half"),
    ),
    Topic(
        "Learnable step size",
        (Api("torch.nn.Parameter", "mindspore.Parameter", "", None, (
            Arg("data", "default_input", "", (None, REQUIRED, None)),
            Arg("requires_grad", "requires_grad", "", _same(True)[:2] + (None,)),
            Arg("", "name", "", (None, None, None), "MindSpore names it from the attribute path when left `None`"),
        ), page=diff_page("Parameter"), page_says="differences page"),),
        ("a `Parameter` held directly by a cell is saved under the attribute path itself (`r0`, `r6`)",
         "the published code hard-codes r0 = 0.4412, r6 = 0.4965 where DGUNet learns them from 0.5 (pitfall 4)"),
        ("mindspore_impl/layers.py::step_size", "torch_reference/layers.py::step_size"),
        (CONFORMANCE + "test_every_layer_matches_the_spec",
         "parity_tests/test_forward_parity.py::test_forward_parity_pynative"),
        mutants=("step_size_constant",),
        kind="StepSize",
    ),
    Topic(
        "Re-wrapping a tensor",
        (Api("torch.tensor", "mindspore.Tensor", "", None, page=MODEL_AND_CELL, page_says="not covered"),),
        ("`torch.tensor(t)` copies and detaches; `Tensor(x)` inside a MindSpore cell cuts the gradient in Graph mode "
         "and lets it flow in PyNative; a host round trip `Tensor(x.asnumpy())` cuts it in PyNative too (pitfall 7): "
         "the illumination net uses its input as it is",),
        ("mindspore_impl/blocks.py::IllumNet", "torch_reference/blocks.py::IllumNet"),
        (f"{LAYER_PARITY}[published-illum-eval]", TRAINING + "test_whole_model_gradients"),
        mutants=("gradient_cut_rewrap",),
    ),
    Topic(
        "Module and Cell",
        (Api("torch.nn.Module.train", "mindspore.nn.Cell.set_train", "", None, (
            Arg("mode", "mode", "", _same(True)[:2] + (None,)),
         ), page=MODEL_AND_CELL + "#training-and-evaluation-mode-switching", page_says="migration guide"),
         Api("torch.nn.Module.forward", "mindspore.nn.Cell.construct", "", None,
             page=MODEL_AND_CELL + "#network-basic-unit-cell", page_says="migration guide")),
        ("a Cell starts in inference mode (`training=False`; BatchNorm uses its moving statistics), a Module in "
         "training mode: call `set_train(True)` / `set_train(False)` as torch calls `train()` / `eval()`",
         "a Cell runs `construct`; one that defines only `forward` raises AttributeError when called (pitfall 9)"),
        ("jcrnet_kit/parity/gradients.py::build_mindspore", "mindspore_impl/blocks.py::UNetConvBlock"),
        (CONFORMANCE + "test_every_layer_matches_the_spec", CLAIMS_TEST),
        mutants=("construct_named_forward",),
    ),
    Topic(
        "Gradients",
        (Api("torch.autograd.grad", "mindspore.value_and_grad", "", None,
             page=LR_AND_OPTIMIZER + "#optimizer-execution-and-usage-differences", page_says="migration guide"),),
        ("`loss.backward()` then `opt.step()` becomes `loss, grads = value_and_grad(fn, None, weights)(x, y)` then "
         "`opt(grads)`; the same loss and gradients in PyNative and in Graph (`ms.jit`)",),
        ("jcrnet_kit/parity/gradients.py::mindspore_loss_fn", "jcrnet_kit/parity/gradients.py::torch_loss_and_grads"),
        (TRAINING + "test_whole_model_gradients",),
        mutants=("gradient_cut_rewrap", "leaky_relu_native_gradient"),
    ),
    Topic(
        "In-place updates",
        (Api("torch.Tensor.add_", "mindspore.Tensor.add_", "", None, page_says="not in the mapping table"),),
        ("in PyNative on CPU, MindSpore 2.10's `add_` / `mul_` return the right value and leave the tensor unchanged, "
         "silently; `copy_`, `ops.assign` and `ops.assign_add` do update: this is why `mint.optim.Adam` does not "
         "train there",),
        (OPTIM + "mindspore_adam",),
        ("parity_tests/test_optim.py::test_mindspore_adam_is_torch_adam_in_both_modes",),
        no_mutant="the kit's MindSpore code has no in-place tensor method; its optimiser updates by assignment",
    ),
    Topic(
        "Asynchronous errors",
        (Api("torch.cuda.synchronize", "mindspore.runtime.synchronize", "", None,
             page_says="not in the mapping table"),),
        ("PyNative launches MindSpore ops asynchronously: a failed launch (`ops.cat` of mixed dtypes) surfaces at the "
         "next op or `synchronize()`; on CPU the first `synchronize()` of a process does nothing (it logs 'CPU device "
         "is not supported'), so drain once at start-up before relying on it",),
        ("jcrnet_kit/docs/claims.py::drain",),
        ("parity_tests/test_docs.py::test_mint_cpu_claims_hold",),
        no_mutant="not a porting bug of the model; the claims and the mint test drain after every probe",
    ),
    Topic(
        "Loss: padding, grouped conv, mean, sqrt",
        (Api("torch.nn.functional.pad", "mindspore.ops.pad", "mindspore.mint.nn.functional.pad", False, (
            Arg("mode", "mode", "mode", _same("constant"), "`'replicate'` in the loss's blur"),
         ), page=diff_page("pad"), page_says="differences page"),
         Api("torch.nn.functional.conv2d", "mindspore.ops.conv2d", "mindspore.mint.nn.functional.conv2d", False, (
             Arg("padding", "padding", "padding", _same(0)),
             Arg("", "pad_mode", "", (None, "valid", None), "`ops.conv2d` defaults to `'valid'`, unlike `nn.Conv2d`"),
             Arg("groups", "groups", "groups", _same(1)),
         ), page=MAPPING_TABLE, page_says="mapping table: 'Consistent'"),
         Api("torch.mean", "mindspore.ops.mean", "mindspore.mint.mean", True,
             page=MAPPING_TABLE, page_says="mapping table: 'parameter names are inconsistent'"),
         Api("torch.sqrt", "mindspore.ops.sqrt", "mindspore.mint.sqrt", True,
             page=MAPPING_TABLE, page_says="mapping table: 'parameter names are inconsistent'")),
        ("the recipe loss (Charbonnier and its Laplacian edge term) uses the same numbers in both: `ops.pad` takes "
         "torch's 4-tuple (last dimension first) and `'replicate'`, `ops.conv2d(groups=C)` pads nothing by default",
         "mint's replicate pad and `conv2d` have no CPU kernel in 2.10"),
        ("mindspore_impl/loss.py::_blur", "torch_reference/loss.py::_blur", "mindspore_impl/loss.py::charbonnier"),
        ("parity_tests/test_training_parity.py::test_loss_matches_dgunet_and_mindspore",
         TRAINING + "test_whole_model_gradients"),
        no_mutant="the mutants patch the model or the conversion; the loss is pinned by its own parity test",
    ),
    Topic(
        "Adam",
        (Api("torch.optim.Adam", "mindspore.experimental.optim.AdamW", "", None, (
            Arg("lr", "lr", "", (1e-3, 1e-3, None)),
            Arg("betas", "betas", "", ((0.9, 0.999), (0.9, 0.999), None)),
            Arg("eps", "eps", "", (1e-8, 1e-8, None), "the same place: after the bias correction"),
            Arg("weight_decay", "weight_decay", "", (0, 1e-2, None),
                "pass `weight_decay=0.0`: then AdamW's decoupled decay is nothing and the step is torch's Adam"),
         ), page=MAPPING_TABLE, page_says="mapping table: torch.optim.AdamW -> experimental.optim.AdamW 'Consistent'"),
         Api("torch.optim.Adam", "mindspore.experimental.optim.Adam", "", None, (
             Arg("eps", "eps", "", (1e-8, 1e-8, None), "same value, nn.Adam's place: before the bias correction"),
         ), page=MAPPING_TABLE, page_says="mapping table: 'Consistent'"),
         Api("torch.optim.Adam", "mindspore.nn.Adam", "mindspore.mint.optim.Adam", False, (
             Arg("lr", "learning_rate", "lr", _same(1e-3)),
             Arg("betas", "beta1", "betas", ((0.9, 0.999), 0.9, (0.9, 0.999)), "MindSpore: `beta1`, `beta2`"),
             Arg("", "beta2", "", (None, 0.999, None)),
             Arg("eps", "eps", "eps", _same(1e-8),
                 "same value, different place: `nn.Adam` adds eps before the bias correction"),
             Arg("weight_decay", "weight_decay", "weight_decay", (0, 0.0, 0.0)),
         ), page=diff_page("Adam"), page_says="differences page: 'the same with default parameters'",
             mint_note="on CPU: no update in PyNative, trains under `ms.jit`; docstring: Ascend only")),
        ("the MindSpore optimiser that computes torch's Adam is `mindspore.experimental.optim.AdamW(..., "
         "weight_decay=0.0)`: the same step, to float32 rounding, in PyNative and in Graph; the kit's trainer uses it "
         "(`jcrnet_kit/train/optim.py`)",
         "`mindspore.experimental.optim.Adam` and `mindspore.nn.Adam` add eps to sqrt(v) before the bias correction, "
         "`lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)`: torch's Adam with eps / sqrt(1 - b2^t) at step t. "
         "Where gradients are near eps the steps differ by a large share of the update (JCRNet's training: "
         "[PORTING_GUIDE.md, section 6](PORTING_GUIDE.md#6-training-parity))",
         "`mindspore.mint.optim.Adam` is torch's formula but, on CPU in PyNative, changes nothing (its in-place "
         "updates are no-ops there); under `ms.jit` it trains"),
        (OPTIM + "mindspore_adam", OPTIM + "torch_adam"),
        ("parity_tests/test_optim.py::test_mindspore_adam_is_torch_adam_in_both_modes",
         TRAINING + "test_training_parity_10_adam_steps"),
        no_mutant="mutants patch the MindSpore model or the conversion, not the optimiser; the optimiser's claims and "
                  "the training-parity run pin it",
        names=(("state `exp_avg`", "`exp_avg.<name>` (experimental), `moment1.<name>` (nn.Adam)"),
               ("state `exp_avg_sq`", "`exp_avg_sq.<name>`, `moment2.<name>`"), ("step count", "`state_step`")),
    ),
    Topic(
        "Learning-rate schedule",
        (Api("torch.optim.lr_scheduler.LambdaLR", "mindspore.experimental.optim.lr_scheduler.LambdaLR", "", None, (
            Arg("lr_lambda", "lr_lambda", "", _same(REQUIRED)[:2] + (None,),
                "MindSpore passes the epoch as a float32 `Parameter`: `int(epoch)` before indexing"),
         ), page=MAPPING_TABLE, page_says="mapping table: 'No verbose input param, other functions are consistent'"),),
        ("a per-step learning rate reaches `experimental.optim` through its `LambdaLR` (or `ops.assign` on "
         "`param_groups[0]['lr']`) in PyNative and Graph; a Python float assigned there works in PyNative only and "
         "`Parameter.set_data` on it is lost after step 1",
         "`nn.Adam(learning_rate=[lr_1, ..., lr_T])` is also per step, but the list holds every step of the run"),
        (OPTIM + "mindspore_adam", OPTIM + "torch_adam"),
        ("parity_tests/test_optim.py::test_recipe_schedule_reaches_both_optimisers",
         "parity_tests/test_train.py::test_resume_continues_exactly"),
        no_mutant="mutants patch the model or the conversion; the schedule is pinned by its own tests",
    ),
    Topic(
        "Saving and loading weights",
        (Api("torch.save", "mindspore.save_checkpoint", "", None, (
            Arg("obj", "save_obj", "", _same(REQUIRED)[:2] + (None,), "`model.state_dict()` / the net itself"),
         ), page=MODEL_AND_CELL + "#parameter-saving-and-loading", page_says="migration guide"),
         Api("torch.load", "mindspore.load_checkpoint", "", None, (
             Arg("weights_only", "", "", (None, None, None),
                 "torch >= 2.6 treats `None` as `True`; the kit passes `weights_only=True` explicitly"),
             Arg("", "strict_load", "", (None, False, None), "name and dtype matching, as below"),
         ), page=MODEL_AND_CELL + "#parameter-saving-and-loading", page_says="migration guide"),
         Api("torch.nn.Module.load_state_dict", "mindspore.load_param_into_net", "", None, (
             Arg("strict", "strict_load", "", (True, False, None),
                 "different jobs: `strict_load` is name and dtype matching (`False`: by name suffix, casting); neither "
                 "value raises on a missing key, which keeps its initial value"),
         ), page=API_PAGE + "mindspore/mindspore.load_param_into_net.html", page_says="API page")),
        ("parameter names follow the rule table below (`gamma`/`beta`/`moving_*`, PReLU `w`); every other name is "
         "the attribute path, equal in both",
         "a shared parameter: torch repeats it under every path, MindSpore saves it once under the last path",
         "torch's `num_batches_tracked` and MindSpore's InstanceNorm moving statistics have no counterpart",
         "the kit always loads strictly: torch `strict=True`; MindSpore checks the key sets first, then "
         "`strict_load=True` (exact names and dtypes) and raises on a non-empty `param_not_load` / `ckpt_not_load`"),
        ("mindspore_impl/__init__.py::load_numpy_params", "torch_reference/__init__.py::load_numpy_state",
         "jcrnet_spec/naming.py::torch_to_mindspore"),
        (CONFORMANCE + "test_mindspore_checkpoint_has_the_published_layout_and_reloads_strictly",
         "parity_tests/test_convert.py::test_round_trip_pth_ckpt_safetensors_pth_is_bit_identical",
         "parity_tests/test_spec.py::test_shared_slopes_collapse_to_the_last_path"),
        mutants=("batchnorm_gamma_beta_swapped", "conv_transpose_weight_transposed", "dense_weight_transposed"),
    ),
    Topic(
        "ONNX export",
        (Api("torch.onnx.export", "mindspore.onnx.export", "", None, page_says="no official page", args=(
            Arg("dynamo", "", "", (True, None, None),
                "torch 2.13's default exporter needs `onnxscript`; the kit passes `dynamo=False`, opset 17"),
            Arg("opset_version", "", "", (None, None, None), "MindSpore writes opset 11"),
            Arg("dynamic_axes", "dynamic_axes", "", (None, None, None),
                "the kit makes N, H, W dynamic (torch) and repairs MindSpore's graph for dynamic H, W"),
         )),),
        ("`mindspore.onnx.export` is new; older MindSpore has `mindspore.export(file_format='ONNX')` "
         "(`mindspore_impl/compat.py::export_onnx` picks)",
         "both exports are run in onnxruntime against their source (<= 1e-4)"),
        ("mindspore_impl/compat.py::export_onnx", "convert/onnx_file.py::export_onnx"),
        ("parity_tests/test_convert_onnx.py::test_onnx_export_runs_in_onnxruntime_like_its_source",),
        no_mutant="the export is checked end to end in onnxruntime; no mutant patches it yet",
    ),
    Topic(
        "Containers",
        (Api("torch.nn.Sequential", "mindspore.nn.SequentialCell", "", None, page=diff_page("SequentialCell"),
             page_says="differences page"),
         Api("torch.nn.ModuleList", "mindspore.nn.CellList", "", None, page=MAPPING_TABLE,
             page_says="mapping table: 'parameter names are inconsistent'")),
        ("children are named by index in both (`body.0`, `body.1`), so checkpoint paths agree",),
        ("torch_reference/blocks.py::make_block", "mindspore_impl/blocks.py::make_block"),
        ("parity_tests/test_conformance.py::test_torch_state_dict_names_and_shapes",
         CONFORMANCE + "test_mindspore_parameter_names_and_shapes"),
        no_mutant="a wrong container shows as wrong key names, which the key-layout tests compare name for name",
    ),
)

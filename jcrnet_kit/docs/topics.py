"""The PyTorch -> MindSpore API map as data: one ``Topic`` per job JCRNet does (convolution, batch norm, ...), its
torch API and MindSpore (and ``mindspore.mint``) counterparts, the arguments that differ with the defaults each row
claims (verified against the installed libraries by ``jcrnet_kit.docs.introspect``), where the kit does it, the
mutants that show the difference matters and the parity tests that catch them. ``jcrnet_kit.docs.api_map`` renders
it as docs/API_MAPPING.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

from jcrnet_kit.docs.links import CONFORMANCE, LAYER_PARITY, TRAINING


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
    that mint API runs on CPU in MindSpore 2.10 (measured; ``parity_tests/test_docs.py`` runs each again)."""

    torch: str
    mindspore: str
    mint: str = ""
    mint_cpu: Optional[bool] = None
    args: Tuple[Arg, ...] = ()


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


TOPICS: Tuple[Topic, ...] = (
    Topic(
        "Convolution",
        (Api("torch.nn.Conv2d", "mindspore.nn.Conv2d", "mindspore.mint.nn.Conv2d", False, (
            Arg("bias", "has_bias", "bias", (True, False, True),
                "MindSpore drops the bias unless asked: pitfall 1 of the published code"),
            Arg("padding", "padding", "padding", _same(0),
                "MindSpore ignores `padding` unless `pad_mode='pad'`"),
            Arg("", "pad_mode", "", (None, "same", None),
                "`'same'` pads k//2 itself; the kit always passes `pad_mode='pad'` and the spec's padding"),
            Arg("groups", "group", "groups", _same(1)),
            Arg("padding_mode", "", "padding_mode", ("zeros", None, "zeros")),
        )),),
        ("bias is on by default in torch and off in MindSpore",
         "padding: MindSpore's default `pad_mode='same'` ignores `padding`; at stride 1 with odd kernels it gives the "
         "same numbers, so only conformance (`pad_mode` read back from the cell) catches it",
         "weights are (out, in, kH, kW) in both"),
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
            Arg("padding", "padding", "padding", _same(0)),
            Arg("", "pad_mode", "", (None, "same", None),
                "JCRNet's 2x2 stride-2 up-sampling gives 2H x 2W either way; the kit passes `pad_mode='pad'`"),
            Arg("groups", "group", "groups", _same(1)),
        )),),
        ("the class is `Conv2dTranspose` in `mindspore.nn`",
         "bias and pad_mode defaults as for `Conv2d`",
         "weights are (in, out/groups, kH, kW) in both: the conversion copies them as they are"),
        ("mindspore_impl/layers.py::conv_transpose2d", "torch_reference/layers.py::conv_transpose2d"),
        (f"{LAYER_PARITY}[published-stage1_decoder.body.0-eval]",
         CONFORMANCE + "test_every_layer_matches_the_spec"),
        mutants=("conv_transpose_weight_transposed",),
        kind="ConvTranspose2d",
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
        )),),
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
        )),),
        ("MindSpore 2.10's `nn.InstanceNorm2d` has no CPU kernel: the kit's MindSpore `InstanceNorm2d` is built from "
         "reductions (biased variance, like torch) and keeps that layer's four parameters so published checkpoints "
         "load strictly",
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
        )),),
        ("the slope is stored as `w` in MindSpore, `weight` in torch",
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
        )),),
        ("default slope 0.01 in torch, 0.2 in MindSpore",
         "gradient at exactly 0: torch gives the slope, MindSpore 2.10 `(1 + slope) / 2`; the kit's `LeakyReLU` "
         "computes `where(x > 0, x, slope * x)` (`mindspore_impl/compat.py`), same values, torch's gradient"),
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
             )),),
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
        )),),
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
             False, (Arg("output_size", "output_size", "output_size", _same(REQUIRED)),)),),
        ("`AdaptiveAvgPool2d(1)` is a mean over H and W; the kit's MindSpore `GlobalAvgPool` writes it as "
         "`x.mean(axis=(2, 3), keep_dims=True)` (`dim` is `axis`, `keepdim` is `keep_dims`)",),
        ("mindspore_impl/layers.py::GlobalAvgPool", "torch_reference/layers.py::global_avg_pool"),
        (f"{LAYER_PARITY}[published-shallow_feat1.1.CA-eval]", f"{LAYER_PARITY}[published-lbp.fusion-eval]"),
        mutants=("avg_pool_wrong_axes",),
        kind="GlobalAvgPool",
    ),
    Topic(
        "Sigmoid",
        (Api("torch.nn.Sigmoid", "mindspore.nn.Sigmoid", "mindspore.mint.nn.Sigmoid", True),),
        ("no argument; the illumination net's attribute is called `tanh` but holds a Sigmoid",),
        ("torch_reference/layers.py::LEAF_FACTORIES", "mindspore_impl/layers.py::LEAF_FACTORIES"),
        (f"{LAYER_PARITY}[published-illum-eval]", CONFORMANCE + "test_every_layer_matches_the_spec"),
        mutants=("sigmoid_vs_tanh",),
        kind="Sigmoid",
    ),
    Topic(
        "ReLU",
        (Api("torch.nn.ReLU", "mindspore.nn.ReLU", "mindspore.mint.nn.ReLU", True),
         Api("torch.nn.functional.relu", "mindspore.ops.relu", "mindspore.mint.nn.functional.relu", True, (
             Arg("inplace", "", "inplace", (False, None, False)),
         ))),
        ("no differing argument (MindSpore has no in-place flag)",),
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
         )),
         Api("torch.chunk", "mindspore.ops.chunk", "mindspore.mint.chunk", True, (
             Arg("chunks", "chunks", "chunks", _same(REQUIRED)),
             Arg("dim", "axis", "dim", _same(0)),
         ))),
        ("same semantics; the axis argument is `axis` in `ops`",
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
            Arg("requires_grad", "requires_grad", "", (True, UNKNOWN, None),
                "MindSpore's constructor takes it as a keyword (default True)"),
        )),),
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
        (Api("torch.tensor", "mindspore.Tensor", "", None),),
        ("`torch.tensor(t)` copies and detaches; `Tensor(t)` inside a MindSpore cell cuts the gradient in Graph mode "
         "(pitfall 7): the illumination net must use its input as it is",),
        ("mindspore_impl/blocks.py::IllumNet", "torch_reference/blocks.py::IllumNet"),
        (f"{LAYER_PARITY}[published-illum-eval]", TRAINING + "test_whole_model_gradients"),
        mutants=("gradient_cut_rewrap",),
    ),
    Topic(
        "Adam",
        (Api("torch.optim.Adam", "mindspore.nn.Adam", "mindspore.mint.optim.Adam", True, (
            Arg("lr", "learning_rate", "lr", _same(1e-3)),
            Arg("betas", "beta1", "betas", ((0.9, 0.999), 0.9, (0.9, 0.999)), "MindSpore: `beta1`, `beta2`"),
            Arg("", "beta2", "", (None, 0.999, None)),
            Arg("eps", "eps", "eps", _same(1e-8),
                "same value, different place: MindSpore adds eps before the bias correction"),
            Arg("weight_decay", "weight_decay", "weight_decay", (0, 0.0, 0.0)),
        )),),
        ("`mindspore.nn.Adam` computes `lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)`, torch "
         "`lr * m_hat / (sqrt(v_hat) + eps)`: one algorithm when torch's eps at step t is `eps / sqrt(1 - b2^t)` "
         "(the training-parity run sets that); left unmatched, 10 steps differ by 7-15% (relative L2)",),
        ("jcrnet_kit/parity/trajectories.py::train_mindspore", "jcrnet_kit/parity/trajectories.py::train_torch"),
        (TRAINING + "test_adam_is_one_algorithm_with_torchs_eps_scaled_per_step",
         TRAINING + "test_training_parity_10_adam_steps"),
        no_mutant="mutants patch the MindSpore model or the conversion, not the optimiser; the eps placement is "
                  "pinned directly by the Adam test",
        names=(("state `exp_avg`", "`moment1`"), ("state `exp_avg_sq`", "`moment2`")),
    ),
    Topic(
        "Saving and loading weights",
        (Api("torch.save", "mindspore.save_checkpoint", "", None, (
            Arg("obj", "save_obj", "", _same(REQUIRED)[:2] + (None,), "`model.state_dict()` / the net itself"),
         )),
         Api("torch.load", "mindspore.load_checkpoint", "", None, (
             Arg("weights_only", "", "", (None, None, None),
                 "torch >= 2.6 treats `None` as `True`; the kit passes `weights_only=True` explicitly"),
             Arg("", "strict_load", "", (None, False, None)),
         )),
         Api("torch.nn.Module.load_state_dict", "mindspore.load_param_into_net", "", None, (
             Arg("strict", "strict_load", "", (True, False, None),
                 "MindSpore loads non-strictly by default: missing keys keep their initial values silently"),
         ))),
        ("parameter names follow the rule table below (`gamma`/`beta`/`moving_*`, PReLU `w`); every other name is "
         "the attribute path, equal in both",
         "a shared parameter: torch repeats it under every path, MindSpore saves it once under the last path",
         "torch's `num_batches_tracked` and MindSpore's InstanceNorm moving statistics have no counterpart",
         "the kit always loads strictly (`strict=True`, `strict_load=True`)"),
        ("mindspore_impl/__init__.py::load_numpy_params", "torch_reference/__init__.py::load_numpy_state",
         "jcrnet_spec/naming.py::torch_to_mindspore"),
        (CONFORMANCE + "test_mindspore_checkpoint_has_the_published_layout_and_reloads_strictly",
         "parity_tests/test_convert.py::test_round_trip_pth_ckpt_safetensors_pth_is_bit_identical",
         "parity_tests/test_spec.py::test_shared_slopes_collapse_to_the_last_path"),
        mutants=("batchnorm_gamma_beta_swapped", "conv_transpose_weight_transposed", "dense_weight_transposed"),
    ),
    Topic(
        "ONNX export",
        (Api("torch.onnx.export", "mindspore.onnx.export", "", None, (
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
        (Api("torch.nn.Sequential", "mindspore.nn.SequentialCell", "", None),
         Api("torch.nn.ModuleList", "mindspore.nn.CellList", "", None)),
        ("children are named by index in both (`body.0`, `body.1`), so checkpoint paths agree",),
        ("torch_reference/blocks.py::make_block", "mindspore_impl/blocks.py::make_block"),
        ("parity_tests/test_conformance.py::test_torch_state_dict_names_and_shapes",
         CONFORMANCE + "test_mindspore_parameter_names_and_shapes"),
        no_mutant="a wrong container shows as wrong key names, which the key-layout tests compare name for name",
    ),
)

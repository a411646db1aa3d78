"""The pitfalls of the published MindSpore code (numbered as in the reference notes), each with the kit's answer, the
mutants that reproduce it and the parity tests that catch them: the data of docs/PORTING_GUIDE.md's pitfall table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

from jcrnet_kit.docs.links import CONFORMANCE, LAYER_PARITY


@dataclass(frozen=True)
class Pitfall:
    """One pitfall of the published MindSpore code (numbered as in the reference notes), the kit's answer, the
    mutants that reproduce it and the parity tests that catch them."""

    number: int
    pitfall: str
    fix: str
    mutants: Tuple[str, ...]
    tests: Tuple[str, ...]
    suggested_mutant: str = ""  # where no mutant in the catalogue reproduces it yet: the one to add


PITFALLS: Tuple[Pitfall, ...] = (
    Pitfall(1, "`nn.Conv2d` defaults `has_bias=False, pad_mode='same'` (torch: `bias=True, padding=0`)",
            "every conv passes `pad_mode='pad'`, `padding` and `has_bias` from the spec",
            ("conv_has_bias_default", "conv_pad_mode_same_default"),
            (f"{LAYER_PARITY}[published-stage1_encoder.body.0-eval]",
             CONFORMANCE + "test_mindspore_parameter_names_and_shapes",
             CONFORMANCE + "test_every_layer_matches_the_spec")),
    Pitfall(2, "`ops.leaky_relu` defaults to slope 0.2, torch's `F.leaky_relu` to 0.01 (SFT2)",
            "the slope is a spec option per preset (0.2 published, 0.01 torch-defaults), always passed",
            ("leaky_relu_default_slope",),
            (f"{LAYER_PARITY}[torch-defaults-illum.sft.sft0-eval]",)),
    Pitfall(3, "`def ResBlock(..., act=nn.PReLU())`: one slope shared by four blocks and by every model in the process",
            "sharing is spec data (`shared_groups`), per model instance",
            ("prelu_shared_across_models", "prelu_unshared"),
            (CONFORMANCE + "test_shared_within_one_model_never_across_models",
             CONFORMANCE + "test_mindspore_parameter_names_and_shapes")),
    Pitfall(4, "step sizes hard-coded to 0.4412 / 0.4965 where DGUNet learns them from 0.5",
            "preset `published` keeps the constants, `torch-defaults` learns them",
            ("step_size_constant",),
            (CONFORMANCE + "test_every_layer_matches_the_spec",
             "parity_tests/test_forward_parity.py::test_forward_parity_pynative")),
    Pitfall(5, "BatchNorm: momentum 0.9 is torch's 0.1; gamma/beta/moving_* names; no `num_batches_tracked`",
            "`momentum = 1 - spec momentum`; names from `PARAM_RULES`",
            ("batchnorm_momentum_convention", "batchnorm_gamma_beta_swapped", "batchnorm_eps"),
            (f"{LAYER_PARITY}[published-illum-train]", f"{LAYER_PARITY}[published-illum-eval]",
             "parity_tests/test_layer_parity.py::test_batchnorm_running_variance_is_unbiased_in_both")),
    Pitfall(6, "InstanceNorm2d: MindSpore keeps moving statistics torch has not, and in 2.10 runs on GPU only (no CPU, "
               "no Ascend)",
            "half-instance-norm built from reductions, keeping the four published parameters",
            ("instance_norm_moving_statistics", "instance_norm_unbiased_variance", "hin_wrong_half"),
            (f"{LAYER_PARITY}[published-stage1_encoder.body.1-eval]",
             CONFORMANCE + "test_mindspore_checkpoint_has_the_published_layout_and_reloads_strictly")),
    Pitfall(7, "`Tensor(input)` in the illumination net cuts the gradient in Graph mode",
            "the input is used as it is",
            ("gradient_cut_rewrap",),
            (f"{LAYER_PARITY}[published-illum-eval]",
             "parity_tests/test_training_parity.py::test_whole_model_gradients")),
    Pitfall(8, "PReLU's slope is `w`; Dense and ConvTranspose weights have the same layout in both",
            "names from `PARAM_RULES`; weights copied, never transposed",
            ("dense_weight_transposed", "conv_transpose_weight_transposed"),
            (f"{LAYER_PARITY}[published-lbp.fusion-eval]", f"{LAYER_PARITY}[published-stage1_decoder.body.0-eval]")),
    Pitfall(9, "the file does not run: `ipdb` calls, an IndentationError, `torch.abs` in the unused `mergeblock`, "
               "`forward` instead of `construct` in the unused `UpSample`",
            "the unused modules that hold parameters exist (strict loading) and are never called",
            ("construct_named_forward",),
            (f"{LAYER_PARITY}[published-lbp.conv1_1-eval]", f"{LAYER_PARITY}[published-lbp-eval]")),
    Pitfall(10, "against DLN: the fusion layer's reduction is 3 (DLN 16) and LBP returns the residual branch only",
            "the spec says so; both models follow it",
            ("lbp_returns_sum",),
            (f"{LAYER_PARITY}[published-lbp-eval]", f"{LAYER_PARITY}[torch-defaults-lbp-eval]")))

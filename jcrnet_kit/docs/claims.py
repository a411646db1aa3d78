"""The API map's executable claims: one function per claim, each linked to its row(s) of ``topics.TOPICS`` by title.

A claim function runs the behaviour in torch and in MindSpore (a step that must change the parameters, padding that
must raise or match, a gradient that must flow or be cut, in each mode), compares values, raises ``AssertionError``
when the claim is false and returns what it measured. Where a claim corrects an earlier text of the map or the guide,
or states a difference that could be misread, ``flip`` holds keyword arguments that make the function assert the
earlier text (or the opposite): run so it must raise, which shows the check can fail. Every bound is a ``CLAIM_*``
entry of ``jcrnet_kit.parity.tolerances``; where a claim cannot be measured on a CPU-only machine, ``not_here`` says
what and which platform it concerns.

PyNative runs MindSpore ops asynchronously: a failed launch can surface at the next op, so every probe that may fail
drains the queue with ``mindspore.runtime.synchronize()``, whose first call in a process does nothing on CPU (claim
``runtime_synchronize_first_call_is_a_noop_on_cpu``); ``run`` makes that first call before any claim.

Run them with ``jcrnet api-map --claims`` or ``parity_tests/test_docs.py``. Written for torch 2.13 (CPU) and MindSpore
2.10 on CPU; torch is imported first.
"""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import io
import logging
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F

import mindspore as ms
from jcrnet_kit.docs.links import (
    LR_AND_OPTIMIZER, MAPPING_TABLE, MAPPING_TABLE_MINT, MODEL_AND_CELL, API_PAGE, diff_page,
)
from jcrnet_kit.parity.tolerances import (
    CLAIM_DIFFERS, CLAIM_INIT_SPREAD, CLAIM_SAME_GRADIENT, CLAIM_SAME_NUMBERS, CLAIM_SAME_UPDATE, FLOAT32_ROUNDING,
)
from mindspore import Parameter, Tensor, mint, nn, ops
from mindspore_impl.compat import mode, quiet_python_log

#: The verdict of a claim on the map's (or guide's) earlier text.
VERDICTS = {
    "holds": "the earlier text was right",
    "wrong": "the earlier text said the opposite",
    "imprecise": "the earlier text was incomplete or misleading",
    "missing": "the earlier map did not say it",
    "new": "found while checking the map",
}


@dataclass(frozen=True)
class Claim:
    """One claim of the API map and the function that checks it."""

    slug: str
    rows: Tuple[str, ...]  # titles of the ``TOPICS`` rows it backs
    statement: str  # what the function asserts
    verdict: str  # on the earlier text (``VERDICTS``)
    func: Callable = field(repr=False, compare=False)
    earlier: str = ""  # the earlier text, where it was wrong or imprecise
    platform: str = "CPU"  # where it is measured
    not_here: str = ""  # what a CPU-only machine cannot measure of it, and which platform that concerns
    pages: Tuple[str, ...] = ()  # official pages (URLs, docs branch in the path)
    disagrees: str = ""  # where the measurement contradicts those pages
    silent: str = ""  # what of it those pages do not say
    api: str = ""  # the MindSpore API whose page ``disagrees`` concerns, where a row has several on one page
    flip: Optional[Dict[str, object]] = None  # arguments that make it assert the earlier / opposite text


CLAIMS: OrderedDict[str, Claim] = OrderedDict()


def claim(slug: str, rows, statement: str, verdict: str, **meta) -> Callable:
    def register(func: Callable) -> Callable:
        assert func.__name__ == "check_" + slug, (func.__name__, slug)
        assert verdict in VERDICTS and slug not in CLAIMS, slug
        CLAIMS[slug] = Claim(slug, (rows,) if isinstance(rows, str) else tuple(rows), statement, verdict, func,
                             **meta)
        return func
    return register


# --- helpers ---------------------------------------------------------------------------------------------------------

def first_line(error: BaseException) -> str:
    """``Type: first meaningful line`` of an exception (MindSpore's messages start with ``---`` section rules)."""
    for line in str(error).strip().splitlines():
        line = line.strip()
        if line and not set(line) <= set("-") and not line.startswith("- "):
            return f"{type(error).__name__}: {line[:160]}"
    return type(error).__name__


def drain() -> Optional[str]:
    """Wait for MindSpore's queued ops; the first line of an error they raised (None if none)."""
    try:
        ms.runtime.synchronize()
        return None
    except RuntimeError as error:
        return first_line(error)


def attempt(fn: Callable) -> Tuple[bool, object, str]:
    """Run ``fn`` (a Tensor result is brought to the host), then drain: (ran, value, error line)."""
    try:
        out = fn()
        if isinstance(out, Tensor):
            out = out.asnumpy()
    except Exception as error:  # noqa: BLE001  (a probe: any failure is data)
        late = drain()
        return False, None, first_line(error) + (f" | then: {late}" if late else "")
    late = drain()
    return (False, None, late) if late else (True, out, "")


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def tt(a) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a))


def mt(a) -> Tensor:
    return Tensor(np.ascontiguousarray(a))


def tnp(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy()


def maxdiff(a, b) -> float:
    return float(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64)).max())


def names(cell: nn.Cell) -> List[str]:
    return [p.name for p in cell.get_parameters()]


def copy_params(torch_module: torch.nn.Module, cell: nn.Cell, mapping: Dict[str, str]) -> None:
    """Copy torch parameters/buffers into MindSpore parameters (torch name -> MindSpore name)."""
    state = torch_module.state_dict()
    params = {p.name: p for p in cell.get_parameters()}
    for torch_name, ms_name in mapping.items():
        params[ms_name].set_data(mt(tnp(state[torch_name])))


def same(a, b, bound=CLAIM_SAME_NUMBERS) -> bool:
    return bound.holds(maxdiff(a, b))


def differs(a, b) -> bool:
    return maxdiff(a, b) > CLAIM_DIFFERS.value


def platforms(doc: Optional[str]) -> List[str]:
    """The "Supported Platforms" a MindSpore docstring lists."""
    doc = doc or ""
    part = doc[doc.find("Supported Platforms"):].split("Examples")[0]
    return [p for p in ("Ascend", "GPU", "CPU") if f"``{p}``" in part]


def _silenced_logger():
    from mindspore import log

    get = getattr(log, "_get_logger", None)
    return get() if get else None


CONV_WB = {"weight": "weight", "bias": "bias"}


# === Convolution ======================================================================================================

@claim("conv2d_bias_default", "Convolution",
       "torch.nn.Conv2d has a bias by default (bias=True); mindspore.nn.Conv2d has none (has_bias=False: no bias "
       "parameter at all); mint.nn.Conv2d takes torch's bias=True",
       "holds", pages=(diff_page("Conv2d"),), flip={"ms_default_bias": True})
def check_conv2d_bias_default(ms_default_bias: bool = False):
    t, m, k = torch.nn.Conv2d(3, 4, 3), nn.Conv2d(3, 4, 3), mint.nn.Conv2d(3, 4, 3)
    out = {"torch_bias": t.bias is not None, "ms_bias": m.bias is not None and bool(m.has_bias),
           "ms_parameters": names(m), "mint_bias": k.bias is not None}
    assert out["torch_bias"] and out["mint_bias"], out
    assert out["ms_bias"] is ms_default_bias, out
    return out


@claim("conv2d_padding_requires_pad_mode_pad", "Convolution",
       "padding must be 0 unless pad_mode='pad': nn.Conv2d(3, 3, 3, padding=1) raises ValueError (under the default "
       "'same' and under 'valid'; nn.Conv2dTranspose too); with pad_mode='pad' the numbers are torch's",
       "wrong", earlier="MindSpore ignores `padding` unless `pad_mode='pad'`", pages=(diff_page("Conv2d"),),
       flip={"earlier": True})
def check_conv2d_padding_requires_pad_mode_pad(earlier: bool = False):
    outcomes = {}
    for label, make in (("Conv2d default (same)", lambda: nn.Conv2d(3, 3, 3, padding=1)),
                        ("Conv2d valid", lambda: nn.Conv2d(3, 3, 3, pad_mode="valid", padding=1)),
                        ("Conv2dTranspose default (same)", lambda: nn.Conv2dTranspose(3, 3, 3, padding=1)),
                        ("Conv2dTranspose valid", lambda: nn.Conv2dTranspose(3, 3, 3, pad_mode="valid", padding=1))):
        try:
            make()
            outcomes[label] = "constructed (padding ignored)"
        except ValueError as error:
            outcomes[label] = first_line(error)
    x = rng().standard_normal((1, 3, 9, 9)).astype(np.float32)
    t = torch.nn.Conv2d(3, 4, 3, padding=1)
    m = nn.Conv2d(3, 4, 3, pad_mode="pad", padding=1, has_bias=True)
    copy_params(t, m, CONV_WB)
    out = {"pad_mode_pad_vs_torch": maxdiff(tnp(t(tt(x))), m(mt(x)).asnumpy()), **outcomes}
    raised = [v.startswith("ValueError") for v in outcomes.values()]
    assert (not any(raised)) if earlier else all(raised), out
    assert CLAIM_SAME_NUMBERS.holds(out["pad_mode_pad_vs_torch"]), out
    return out


@claim("conv2d_same_is_tensorflow_rule", "Convolution",
       "pad_mode='same' pads like TensorFlow: output ceil(H / stride), total padding max((ceil(H/s) - 1) * s + k - H, "
       "0), an odd extra row / column at the bottom / right; so a 3x3 stride-2 'same' conv differs from torch's "
       "padding=1 and equals pad_mode='pad', padding=(0, 1, 0, 1)",
       "imprecise", earlier="`'same'` pads k//2 itself", pages=(diff_page("Conv2d"),), flip={"earlier": True})
def check_conv2d_same_is_tensorflow_rule(earlier: bool = False):
    x = rng(1).standard_normal((1, 3, 16, 16)).astype(np.float32)
    t = torch.nn.Conv2d(3, 4, 3, stride=2, padding=1)
    same_cell = nn.Conv2d(3, 4, 3, stride=2, pad_mode="same", has_bias=True)
    tf_pad = nn.Conv2d(3, 4, 3, stride=2, pad_mode="pad", padding=(0, 1, 0, 1), has_bias=True)
    for cell in (same_cell, tf_pad):
        copy_params(t, cell, CONV_WB)
    a, b, c = tnp(t(tt(x))), same_cell(mt(x)).asnumpy(), tf_pad(mt(x)).asnumpy()
    out = {"shapes": (a.shape, b.shape), "same_vs_torch_padding_1": maxdiff(a, b),
           "same_vs_pad_0_1_0_1": maxdiff(b, c)}
    if earlier:  # "pads k//2": torch's padding=1 here
        assert same(a, b), out
    else:
        assert differs(a, b) and same(b, c), out
    return out


@claim("conv2d_same_equals_torch_at_stride1_odd_kernel", "Convolution",
       "at stride 1 with an odd kernel, pad_mode='same' gives the numbers of torch's padding=k//2, so a port that "
       "keeps MindSpore's default passes every numeric test there; only reading pad_mode back (conformance) sees it",
       "holds", pages=(diff_page("Conv2d"),))
def check_conv2d_same_equals_torch_at_stride1_odd_kernel():
    x = rng(2).standard_normal((1, 3, 11, 13)).astype(np.float32)
    out = {}
    for k in (1, 3, 5):
        t = torch.nn.Conv2d(3, 2, k, padding=k // 2)
        m = nn.Conv2d(3, 2, k, pad_mode="same", has_bias=True)
        copy_params(t, m, CONV_WB)
        out[f"kernel_{k}"] = maxdiff(tnp(t(tt(x))), m(mt(x)).asnumpy())
        assert CLAIM_SAME_NUMBERS.holds(out[f"kernel_{k}"]), out
    return out


@claim("conv2d_tuple_padding_is_4_values", "Convolution",
       "a tuple padding is 4 values (top, bottom, left, right) in mindspore.nn.Conv2d (a 2-tuple raises ValueError); "
       "torch's is 2 values (H, W), each applied to both sides: torch (1, 2) is MindSpore (1, 1, 2, 2)",
       "missing", pages=(diff_page("Conv2d"), diff_page("Conv2dTranspose")),
       disagrees="the Conv2d page says MindSpore's padding 'can only be input as int'; 2.10 (and the Conv2dTranspose "
                 "page) take a 4-tuple",
       flip={"torch_layout": True})
def check_conv2d_tuple_padding_is_4_values(torch_layout: bool = False):
    x = rng(3).standard_normal((1, 2, 8, 9)).astype(np.float32)
    try:
        nn.Conv2d(2, 2, 3, pad_mode="pad", padding=(1, 2))
        two = "accepted"
    except ValueError as error:
        two = first_line(error)
    t = torch.nn.Conv2d(2, 2, 3, padding=(1, 2))
    m = nn.Conv2d(2, 2, 3, pad_mode="pad", padding=(1, 2, 1, 2) if torch_layout else (1, 1, 2, 2), has_bias=True)
    copy_params(t, m, CONV_WB)
    out = {"two_tuple": two, "torch_(1,2)_vs_ms": maxdiff(tnp(t(tt(x))), m(mt(x)).asnumpy()) if
           tnp(t(tt(x))).shape == m(mt(x)).shape else f"shapes {tuple(t(tt(x)).shape)} vs {m(mt(x)).shape}"}
    assert two.startswith("ValueError"), out
    assert isinstance(out["torch_(1,2)_vs_ms"], float) and CLAIM_SAME_NUMBERS.holds(out["torch_(1,2)_vs_ms"]), out
    return out


@claim("conv2d_group_and_weight_layout", "Convolution",
       "torch's groups is `group` in mindspore.nn.Conv2d (default 1 in both); weights are (out, in / groups, kH, kW) "
       "in both, so a grouped conv's weights copied as they are give torch's numbers",
       "holds", pages=(diff_page("Conv2d"),))
def check_conv2d_group_and_weight_layout():
    x = rng(4).standard_normal((1, 4, 7, 7)).astype(np.float32)
    t = torch.nn.Conv2d(4, 6, 3, padding=1, groups=2)
    m = nn.Conv2d(4, 6, 3, pad_mode="pad", padding=1, group=2, has_bias=True)
    copy_params(t, m, CONV_WB)
    out = {"torch_weight": tuple(t.weight.shape), "ms_weight": tuple(m.weight.shape),
           "max_abs": maxdiff(tnp(t(tt(x))), m(mt(x)).asnumpy()),
           "defaults": (inspect.signature(torch.nn.Conv2d).parameters["groups"].default,
                        inspect.signature(nn.Conv2d).parameters["group"].default)}
    assert out["torch_weight"] == out["ms_weight"] == (6, 2, 3, 3) and out["defaults"] == (1, 1), out
    assert CLAIM_SAME_NUMBERS.holds(out["max_abs"]), out
    return out


@claim("conv2d_padding_mode", "Convolution",
       "torch's padding_mode ('zeros'; also 'reflect', 'replicate', 'circular') has no counterpart in "
       "mindspore.nn.Conv2d, whose pad_mode is the size rule and pads zeros; padding_mode='replicate' is "
       "ops.pad(mode='replicate') followed by a pad_mode='valid' conv",
       "holds", pages=(diff_page("Conv2d"),))
def check_conv2d_padding_mode():
    x = rng(5).standard_normal((1, 2, 6, 7)).astype(np.float32)
    t = torch.nn.Conv2d(2, 3, 3, padding=1, padding_mode="replicate")
    m = nn.Conv2d(2, 3, 3, pad_mode="valid", has_bias=True)
    copy_params(t, m, CONV_WB)
    got = m(ops.pad(mt(x), (1, 1, 1, 1), mode="replicate")).asnumpy()
    out = {"ms_has_padding_mode": "padding_mode" in inspect.signature(nn.Conv2d).parameters,
           "replicate_max_abs": maxdiff(tnp(t(tt(x))), got)}
    assert not out["ms_has_padding_mode"] and CLAIM_SAME_NUMBERS.holds(out["replicate_max_abs"]), out
    return out


@claim("mint_conv2d_has_no_cpu_kernel", "Convolution",
       "mindspore.mint.nn.Conv2d and mint.nn.functional.conv2d raise on CPU in MindSpore 2.10 (Conv2DExt "
       "unregistered); mindspore.nn.Conv2d and ops.conv2d run",
       "holds", not_here="mint's convolution on Ascend (its platform) is not measured here",
       pages=(MAPPING_TABLE_MINT,), disagrees="the r2.6.0 table lists mint.nn.Conv2d as 'Consistent' with no platform "
                                              "note")
def check_mint_conv2d_has_no_cpu_kernel():
    x = mt(rng().random((1, 4, 6, 6), np.float32))
    w = mt(np.ones((4, 1, 3, 3), np.float32))
    res = {"mint.nn.Conv2d": attempt(lambda: mint.nn.Conv2d(4, 4, 3, padding=1)(x)),
           "mint.nn.functional.conv2d": attempt(lambda: mint.nn.functional.conv2d(x, w, groups=4)),
           "nn.Conv2d": attempt(lambda: nn.Conv2d(4, 4, 3)(x)),
           "ops.conv2d": attempt(lambda: ops.conv2d(x, w, groups=4))}
    out = {k: "runs" if ran else error for k, (ran, _, error) in res.items()}
    assert not res["mint.nn.Conv2d"][0] and not res["mint.nn.functional.conv2d"][0], out
    assert res["nn.Conv2d"][0] and res["ops.conv2d"][0], out
    return out


# === Weight initialisation ============================================================================================

@claim("default_init_matches_torch", "Weight initialisation",
       "default initialisation matches torch's: mindspore.nn.Conv2d, Conv2dTranspose and Dense draw weights from "
       "HeUniform(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in)) and biases from U(-1/sqrt(fan_in), "
       "1/sqrt(fan_in)), as torch does (fan_in of a transposed conv: out_channels x kH x kW in both)",
       "missing", pages=(diff_page("Conv2d"), MODEL_AND_CELL + "#parameter-initialization"),
       flip={"bound_scale": float(np.sqrt(6.0))})
def check_default_init_matches_torch(bound_scale: float = 1.0):
    ms.set_seed(0)
    torch.manual_seed(0)
    out = {}
    spread = CLAIM_INIT_SPREAD.value
    for label, tm, mm, fan_in in (
            ("conv", torch.nn.Conv2d(32, 64, 3), nn.Conv2d(32, 64, 3, has_bias=True), 32 * 9),
            ("dense", torch.nn.Linear(256, 128), nn.Dense(256, 128), 256),
            ("conv_transpose", torch.nn.ConvTranspose2d(32, 16, 2, 2),
             nn.Conv2dTranspose(32, 16, 2, 2, has_bias=True), 16 * 4)):
        bound = bound_scale / np.sqrt(fan_in)
        stats = {}
        for who, w, b in (("torch", tnp(tm.weight), tnp(tm.bias)), ("ms", mm.weight.asnumpy(), mm.bias.asnumpy())):
            stats[who] = (float(np.abs(w).max() / bound), float(w.std() / (bound / np.sqrt(3.0))),
                          float(np.abs(b).max() / bound))
        out[label] = {"bound": round(float(bound), 5), "max/bound, std/uniform std, bias max/bound": stats}
        for w_max, w_std, b_max in stats.values():
            assert 1 - spread < w_max <= 1 + FLOAT32_ROUNDING.atol and abs(w_std - 1) < spread, out
            assert b_max <= 1 + FLOAT32_ROUNDING.atol, out
    return out


# === Transposed convolution ===========================================================================================

@claim("conv_transpose_class_and_defaults", "Transposed convolution",
       "torch.nn.ConvTranspose2d is mindspore.nn.Conv2dTranspose, with has_bias=False and pad_mode='same' by default "
       "(as nn.Conv2d); mint.nn.ConvTranspose2d keeps torch's name and bias=True",
       "holds", pages=(diff_page("Conv2dTranspose"),))
def check_conv_transpose_class_and_defaults():
    m = nn.Conv2dTranspose(2, 3, 2, stride=2)
    out = {"ms_bias": m.bias is not None and bool(m.has_bias),
           "ms_pad_mode": inspect.signature(nn.Conv2dTranspose).parameters["pad_mode"].default,
           "mint_bias": mint.nn.ConvTranspose2d(2, 3, 2, stride=2).bias is not None,
           "torch_bias": torch.nn.ConvTranspose2d(2, 3, 2, 2).bias is not None}
    assert out == {"ms_bias": False, "ms_pad_mode": "same", "mint_bias": True, "torch_bias": True}, out
    return out


@claim("conv_transpose_2x2_stride2_any_pad_mode", "Transposed convolution",
       "a 2x2 stride-2 Conv2dTranspose gives 2H x 2W under 'same', 'valid' and 'pad' (padding 0), and with torch's "
       "weights, (in, out / groups, kH, kW) in both and copied as they are, its numbers are torch's",
       "holds", pages=(diff_page("Conv2dTranspose"),))
def check_conv_transpose_2x2_stride2_any_pad_mode():
    x = rng(6).standard_normal((1, 4, 5, 7)).astype(np.float32)
    t = torch.nn.ConvTranspose2d(4, 6, 2, stride=2, groups=2)
    ref = tnp(t(tt(x)))
    out = {"torch_weight": tuple(t.weight.shape)}
    for pad_mode in ("same", "valid", "pad"):
        m = nn.Conv2dTranspose(4, 6, 2, stride=2, pad_mode=pad_mode, group=2, has_bias=True)
        copy_params(t, m, CONV_WB)
        got = m(mt(x)).asnumpy()
        out[pad_mode] = maxdiff(ref, got) if got.shape == ref.shape else f"shape {got.shape}"
        assert got.shape == (1, 6, 10, 14) and CLAIM_SAME_NUMBERS.holds(out[pad_mode]), out
    assert out["torch_weight"] == (4, 3, 2, 2), out
    return out


@claim("conv_transpose_output_padding", "Transposed convolution",
       "MindSpore 2.10's nn.Conv2dTranspose has output_padding (pad_mode='pad' only), but it appends zeros after the "
       "bias; torch computes that extra bottom row and right column (kernel taps and bias), so only the interior "
       "matches (JCRNet does not use output_padding)",
       "new", pages=(diff_page("Conv2dTranspose"),),
       disagrees="the page says MindSpore has no output_padding (2.10 has one) and calls torch's a one-sided zero "
                 "padding (torch computes real values there)",
       flip={"earlier": True})
def check_conv_transpose_output_padding(earlier: bool = False):
    x = rng(7).standard_normal((1, 2, 5, 5)).astype(np.float32)
    t = torch.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1)
    m = nn.Conv2dTranspose(2, 3, 3, stride=2, pad_mode="pad", padding=1, output_padding=1, has_bias=True)
    copy_params(t, m, CONV_WB)
    a, b = tnp(t(tt(x))), m(mt(x)).asnumpy()
    out = {"shapes": (a.shape, b.shape), "interior": maxdiff(a[..., :-1, :-1], b[..., :-1, :-1]),
           "last_row_and_column": max(maxdiff(a[..., -1, :], b[..., -1, :]), maxdiff(a[..., :, -1], b[..., :, -1])),
           "ms_last_row_and_column_abs_max": float(max(np.abs(b[..., -1, :]).max(), np.abs(b[..., :, -1]).max()))}
    assert a.shape == b.shape == (1, 3, 10, 10) and CLAIM_SAME_NUMBERS.holds(out["interior"]), out
    if earlier:  # "the same as torch's output_padding"
        assert CLAIM_SAME_NUMBERS.holds(out["last_row_and_column"]), out
    else:
        assert out["ms_last_row_and_column_abs_max"] == 0.0 and out["last_row_and_column"] > CLAIM_DIFFERS.value, out
    return out


@claim("mint_conv_transpose_has_no_cpu_kernel", "Transposed convolution",
       "mindspore.mint.nn.ConvTranspose2d raises on CPU in MindSpore 2.10 (its kernel is unregistered)",
       "holds", not_here="mint on Ascend (its platform) is not measured here", pages=(MAPPING_TABLE_MINT,))
def check_mint_conv_transpose_has_no_cpu_kernel():
    x = mt(rng().random((1, 4, 6, 6), np.float32))
    ran, _, error = attempt(lambda: mint.nn.ConvTranspose2d(4, 4, 2, stride=2)(x))
    assert not ran, "runs"
    return {"mint.nn.ConvTranspose2d": error}


# === Batch norm =======================================================================================================

def _bn_pair(momentum_ms: float = 0.9):
    t = torch.nn.BatchNorm2d(3, momentum=0.1)
    m = nn.BatchNorm2d(3, momentum=momentum_ms)
    with torch.no_grad():
        t.weight.uniform_(0.5, 1.5)
        t.bias.uniform_(-0.5, 0.5)
    copy_params(t, m, {"weight": "gamma", "bias": "beta"})
    return t, m


@claim("batchnorm_momentum_is_complementary", "Batch norm",
       "BatchNorm momentum conventions are complementary: torch's momentum=0.1 (the weight of the new batch "
       "statistic) is MindSpore's momentum=0.9 (the weight of the old value); mint.nn.BatchNorm2d takes torch's 0.1",
       "holds", pages=(diff_page("BatchNorm2d"),), flip={"ms_momentum": 0.1})
def check_batchnorm_momentum_is_complementary(ms_momentum: float = 0.9):
    r = rng(8)
    t, m = _bn_pair(ms_momentum)
    t.train()
    m.set_train(True)
    for _ in range(3):
        x = (r.standard_normal((4, 3, 5, 5)) * 2 + 1).astype(np.float32)
        t(tt(x))
        m(mt(x))
    out = {"running_mean": maxdiff(tnp(t.running_mean), m.moving_mean.asnumpy()),
           "running_var": maxdiff(tnp(t.running_var), m.moving_variance.asnumpy()),
           "mint_default_momentum": inspect.signature(mint.nn.BatchNorm2d).parameters["momentum"].default}
    assert CLAIM_SAME_NUMBERS.holds(out["running_mean"]) and CLAIM_SAME_NUMBERS.holds(out["running_var"]), out
    assert out["mint_default_momentum"] == 0.1, out
    return out


@claim("batchnorm_use_batch_statistics_none", "Batch norm",
       "use_batch_statistics=None (the default) normalises with the batch statistics in training (set_train(True)) "
       "and with the moving ones in inference, like torch's train() / eval() with track_running_stats=True; eps is "
       "1e-5 in both",
       "holds", pages=(diff_page("BatchNorm2d"),))
def check_batchnorm_use_batch_statistics_none():
    r = rng(9)
    t, m = _bn_pair()
    x = (r.standard_normal((4, 3, 5, 5)) * 2 + 1).astype(np.float32)
    t.train()
    m.set_train(True)
    train = maxdiff(tnp(t(tt(x))), m(mt(x)).asnumpy())
    t.eval()
    m.set_train(False)
    x2 = (r.standard_normal((2, 3, 5, 5)) * 3 - 1).astype(np.float32)
    out = {"train": train, "eval": maxdiff(tnp(t(tt(x2))), m(mt(x2)).asnumpy()),
           "eps": (inspect.signature(torch.nn.BatchNorm2d).parameters["eps"].default,
                   inspect.signature(nn.BatchNorm2d).parameters["eps"].default)}
    assert CLAIM_SAME_NUMBERS.holds(train) and CLAIM_SAME_NUMBERS.holds(out["eval"]) and out["eps"] == (1e-5, 1e-5), out
    return out


@claim("batchnorm_running_var_is_unbiased", "Batch norm",
       "the running variance is updated with the unbiased batch variance (n - 1) in both",
       "holds", not_here="GPU and Ascend kernels (the claim is measured on CPU)",
       pages=(diff_page("BatchNorm2d"),), flip={"ddof": 0})
def check_batchnorm_running_var_is_unbiased(ddof: int = 1):
    x = (rng(10).standard_normal((2, 3, 3, 3)) * 2 + 1).astype(np.float32)
    t, m = _bn_pair()
    t.train()
    m.set_train(True)
    t(tt(x))
    m(mt(x))
    expected = 0.9 + 0.1 * x.var(axis=(0, 2, 3), ddof=ddof)
    out = {"torch_vs_expected": maxdiff(tnp(t.running_var), expected),
           "ms_vs_expected": maxdiff(m.moving_variance.asnumpy(), expected)}
    assert FLOAT32_ROUNDING.holds(out["torch_vs_expected"]) and FLOAT32_ROUNDING.holds(out["ms_vs_expected"]), out
    return out


@claim("batchnorm_parameter_names", ("Batch norm", "Saving and loading weights"),
       "BatchNorm parameters are renamed: weight -> gamma, bias -> beta, running_mean -> moving_mean, running_var -> "
       "moving_variance; torch's num_batches_tracked has no MindSpore counterpart",
       "holds", pages=(diff_page("BatchNorm2d"),))
def check_batchnorm_parameter_names():
    holder = nn.SequentialCell(OrderedDict([("bn", nn.BatchNorm2d(2))]))
    out = {"torch": list(torch.nn.BatchNorm2d(2).state_dict()), "ms": names(holder)}
    assert out["torch"] == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"], out
    assert sorted(out["ms"]) == ["bn.beta", "bn.gamma", "bn.moving_mean", "bn.moving_variance"], out
    return out


@claim("mint_batchnorm_has_no_cpu_kernel", "Batch norm",
       "mindspore.mint.nn.BatchNorm2d raises on CPU in MindSpore 2.10 (its kernel is unregistered)",
       "holds", not_here="mint on Ascend (its platform) is not measured here", pages=(MAPPING_TABLE_MINT,))
def check_mint_batchnorm_has_no_cpu_kernel():
    x = mt(rng().random((2, 4, 6, 6), np.float32))
    ran, _, error = attempt(lambda: mint.nn.BatchNorm2d(4)(x))
    assert not ran, "runs"
    return {"mint.nn.BatchNorm2d": error}


# === Instance norm ====================================================================================================

@claim("instancenorm_platforms", "Instance norm (half-instance-norm)",
       "mindspore.nn.InstanceNorm2d runs on GPU only: on CPU it raises 'Unsupported op [InstanceNorm] on CPU', its "
       "docstring lists GPU alone (so no Ascend either), and MindSpore 2.10 has no mint or ops instance norm",
       "imprecise", earlier="MindSpore 2.10's `nn.InstanceNorm2d` has no CPU kernel",
       platform="CPU (GPU, Ascend: the docstring)",
       not_here="that it runs on GPU and not on Ascend is read from the docstring's 'Supported Platforms' (no GPU or "
                "NPU here)",
       pages=(diff_page("InstanceNorm2d"),),
       disagrees="the page has no platform note and says the layer 'implements the same function as PyTorch'",
       flip={"earlier": True})
def check_instancenorm_platforms(earlier: bool = False):
    x = mt(rng().random((1, 3, 5, 5), np.float32))
    ran, _, error = attempt(lambda: nn.InstanceNorm2d(3)(x))
    others = {name: hasattr(module, attr) for name, module, attr in (
        ("mint.nn.InstanceNorm2d", mint.nn, "InstanceNorm2d"), ("ops.instance_norm", ops, "instance_norm"),
        ("mint.nn.functional.instance_norm", mint.nn.functional, "instance_norm"))}
    out = {"cpu": error or "runs", "docstring_platforms": platforms(nn.InstanceNorm2d.__doc__), **others}
    if earlier:  # "no CPU kernel", read as: the other platforms have one
        assert "Ascend" in out["docstring_platforms"], out
    assert not ran and out["docstring_platforms"] == ["GPU"] and not any(others.values()), out
    return out


@claim("instancenorm_affine_default_and_parameters", ("Instance norm (half-instance-norm)",
                                                      "Saving and loading weights"),
       "affine defaults to False in torch and True in MindSpore; an affine torch layer stores weight / bias, "
       "MindSpore's gamma / beta, and MindSpore's layer also holds moving_mean / moving_variance (not trainable) that "
       "torch's has no buffer for",
       "holds", pages=(diff_page("InstanceNorm2d"),))
def check_instancenorm_affine_default_and_parameters():
    holder = nn.SequentialCell(OrderedDict([("norm", nn.InstanceNorm2d(2))]))
    out = {"torch_affine_default": torch.nn.InstanceNorm2d(2).affine,
           "ms_affine_default": inspect.signature(nn.InstanceNorm2d).parameters["affine"].default,
           "torch_affine_keys": list(torch.nn.InstanceNorm2d(2, affine=True).state_dict()),
           "ms_parameters": {p.name: p.requires_grad for p in holder.get_parameters()}}
    assert out["torch_affine_default"] is False and out["ms_affine_default"] is True, out
    assert out["torch_affine_keys"] == ["weight", "bias"], out
    assert out["ms_parameters"] == {"norm.moving_mean": False, "norm.moving_variance": False, "norm.gamma": True,
                                    "norm.beta": True}, out
    return out


def _affine_instance_norm(seed: int):
    x = (rng(seed).standard_normal((2, 4, 6, 5)) * 2 + 0.5).astype(np.float32)
    t = torch.nn.InstanceNorm2d(4, affine=True)
    with torch.no_grad():
        t.weight.uniform_(0.5, 1.5)
        t.bias.uniform_(-0.5, 0.5)
    return x, t


@claim("instancenorm_kit_reductions_equal_torch", "Instance norm (half-instance-norm)",
       "the kit's MindSpore InstanceNorm2d (reductions, biased variance) equals torch's affine InstanceNorm2d, "
       "forward and input gradient, and its moving statistics never reach the output",
       "holds", pages=(diff_page("InstanceNorm2d"),), flip={"unbiased": True})
def check_instancenorm_kit_reductions_equal_torch(unbiased: bool = False):
    from mindspore_impl.layers import InstanceNorm2d

    x, t = _affine_instance_norm(11)
    m = InstanceNorm2d(4, 1e-5)
    m.gamma.set_data(mt(tnp(t.weight)))
    m.beta.set_data(mt(tnp(t.bias)))
    xt = tt(x).requires_grad_(True)
    yt = t(xt)
    (yt * yt).sum().backward()
    if unbiased:  # what a port that uses the default unbiased variance (torch.var, np.var(ddof=1)) computes
        mean = x.mean(axis=(2, 3), keepdims=True)
        expected = (x - mean) / np.sqrt(x.var(axis=(2, 3), ddof=1, keepdims=True) + 1e-5)
        expected = expected * tnp(t.weight)[None, :, None, None] + tnp(t.bias)[None, :, None, None]
        yt = tt(expected.astype(np.float32))
    ym = m(mt(x)).asnumpy()
    grad = ms.grad(lambda v: (m(v) * m(v)).sum())(mt(x)).asnumpy()
    m.moving_mean.set_data(mt(np.full(4, 7.0, np.float32)))
    m.moving_variance.set_data(mt(np.full(4, 9.0, np.float32)))
    out = {"forward": maxdiff(tnp(yt), ym), "input_gradient": maxdiff(tnp(xt.grad), grad),
           "moving_statistics_effect": maxdiff(ym, m(mt(x)).asnumpy())}
    assert CLAIM_SAME_NUMBERS.holds(out["forward"]) and CLAIM_SAME_GRADIENT.holds(out["input_gradient"]), out
    assert out["moving_statistics_effect"] == 0.0, out
    return out


@claim("groupnorm_c_groups_equals_affine_instancenorm", "Instance norm (half-instance-norm)",
       "mindspore.nn.GroupNorm(C, C) runs on CPU (so does mint.nn.GroupNorm) and equals torch's affine "
       "InstanceNorm2d, forward and input gradient; it holds gamma / beta only (no moving statistics), so it cannot "
       "load a published checkpoint's InstanceNorm entries strictly, which is why the kit's layer is written from "
       "reductions",
       "missing", pages=(diff_page("GroupNorm"),))
def check_groupnorm_c_groups_equals_affine_instancenorm():
    x, t = _affine_instance_norm(12)
    g = nn.GroupNorm(4, 4)
    g.gamma.set_data(mt(tnp(t.weight)))
    g.beta.set_data(mt(tnp(t.bias)))
    ran, got, error = attempt(lambda: g(mt(x)))
    ran_mint, _, error_mint = attempt(lambda: mint.nn.GroupNorm(4, 4)(mt(x)))
    out = {"nn.GroupNorm on CPU": "runs" if ran else error, "mint.nn.GroupNorm on CPU": "runs" if ran_mint else
           error_mint, "parameters": names(g)}
    assert ran and ran_mint and out["parameters"] == ["gamma", "beta"], out
    xt = tt(x).requires_grad_(True)
    yt = t(xt)
    (yt * yt).sum().backward()
    out["forward"] = maxdiff(tnp(yt), got)
    out["input_gradient"] = maxdiff(tnp(xt.grad), ms.grad(lambda v: (g(v) * g(v)).sum())(mt(x)).asnumpy())
    assert CLAIM_SAME_NUMBERS.holds(out["forward"]) and CLAIM_SAME_GRADIENT.holds(out["input_gradient"]), out
    return out


# === PReLU ============================================================================================================

@claim("prelu_names_and_defaults", "PReLU",
       "PReLU: num_parameters is `channel`, init is `w` (defaults 1 and 0.25 in both); inside a model the slope is "
       "saved as `<path>.w` in MindSpore, `<path>.weight` in torch (a bare nn.PReLU cell names its own Parameter `a`, "
       "the name TroubleShooter maps to); same numbers; mint.nn.PReLU runs on CPU",
       "holds", pages=(diff_page("PReLU"),))
def check_prelu_names_and_defaults():
    x = rng(13).standard_normal((1, 3, 4, 4)).astype(np.float32)
    t = torch.nn.PReLU(3, init=0.1)
    m = nn.SequentialCell(OrderedDict([("act", nn.PReLU(channel=3, w=0.1))]))
    ran, got_mint, error = attempt(lambda: mint.nn.PReLU(3, 0.1)(mt(x)))
    sig_t, sig_m = inspect.signature(torch.nn.PReLU).parameters, inspect.signature(nn.PReLU).parameters
    out = {"defaults": (sig_t["num_parameters"].default, sig_t["init"].default, sig_m["channel"].default,
                        sig_m["w"].default),
           "torch_keys": list(t.state_dict()), "ms_names": names(m), "bare_cell_names": names(nn.PReLU()),
           "max_abs": maxdiff(tnp(t(tt(x))), m(mt(x)).asnumpy()), "mint_cpu": "runs" if ran else error}
    assert out["defaults"] == (1, 0.25, 1, 0.25) and out["torch_keys"] == ["weight"], out
    assert out["ms_names"] == ["act.w"] and out["bare_cell_names"] == ["a"], out
    assert CLAIM_SAME_NUMBERS.holds(out["max_abs"]) and ran and same(got_mint, tnp(t(tt(x)))), out
    return out


class _SharedTorch(torch.nn.Module):
    def __init__(self):
        super().__init__()
        act = torch.nn.PReLU()
        self.a = torch.nn.Sequential(torch.nn.Linear(2, 2), act)
        self.b = torch.nn.Sequential(torch.nn.Linear(2, 2), act)


class _SharedMs(nn.Cell):
    def __init__(self):
        super().__init__()
        act = nn.PReLU()
        self.a = nn.SequentialCell([nn.Dense(2, 2), act])
        self.b = nn.SequentialCell([nn.Dense(2, 2), act])


@claim("shared_layer_saved_once_under_last_path", ("PReLU", "Saving and loading weights"),
       "a layer object used at several attribute paths is one parameter: torch's state_dict repeats it under every "
       "path (named_parameters lists it once, under the first); MindSpore names it, and save_checkpoint stores it, "
       "once, under the last path",
       "holds", pages=(diff_page("Parameter"),), silent="no official page says how a shared parameter is named")
def check_shared_layer_saved_once_under_last_path():
    t, m = _SharedTorch(), _SharedMs()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "shared.ckpt")
        ms.save_checkpoint(m, path)
        saved = list(ms.load_checkpoint(path))
    out = {"torch_state_dict": [k for k in t.state_dict() if k.endswith("1.weight")],
           "torch_named_parameters": [k for k, _ in t.named_parameters() if k.endswith("1.weight")],
           "ms_names": [n for n in names(m) if n.endswith(".w")],
           "ms_checkpoint": [n for n in saved if n.endswith(".w")]}
    assert out["torch_state_dict"] == ["a.1.weight", "b.1.weight"], out
    assert out["torch_named_parameters"] == ["a.1.weight"], out
    assert out["ms_names"] == ["b.1.w"] and out["ms_checkpoint"] == ["b.1.w"], out
    return out


@claim("default_argument_layer_shared_across_models", "PReLU",
       "a default argument `act=nn.PReLU()` is evaluated once per process, so every model built with the default "
       "shares that one slope (Python semantics; the same in both frameworks)",
       "holds")
def check_default_argument_layer_shared_across_models():
    def make_ms(act=nn.PReLU()):  # noqa: B008  (the claim is about this default)
        return nn.SequentialCell([nn.Dense(2, 2), act])

    def make_torch(act=torch.nn.PReLU()):  # noqa: B008
        return torch.nn.Sequential(torch.nn.Linear(2, 2), act)

    m1, m2 = make_ms(), make_ms()
    t1, t2 = make_torch(), make_torch()
    m1[1].w.set_data(mt(np.array([0.7], np.float32)))
    with torch.no_grad():
        t1[1].weight.fill_(0.7)
    out = {"ms_second_model_slope": float(m2[1].w.asnumpy()[0]), "torch_second_model_slope": float(t2[1].weight[0])}
    assert out["ms_second_model_slope"] == out["torch_second_model_slope"] == float(np.float32(0.7)), out
    return out


# === LeakyReLU ========================================================================================================

@claim("leaky_relu_default_slope", ("LeakyReLU (layer)", "leaky_relu (function)"),
       "the default negative slope is 0.01 in torch (nn.LeakyReLU, F.leaky_relu) and in "
       "mint.nn.functional.leaky_relu, 0.2 in mindspore.nn.LeakyReLU and ops.leaky_relu: always pass the slope",
       "holds", pages=(diff_page("LeakyReLU"), diff_page("leaky_relu")), flip={"ms_slope": 0.01})
def check_leaky_relu_default_slope(ms_slope: float = 0.2):
    x = np.array([-2.0, -0.5, 0.0, 1.5], np.float32)
    out = {"torch_layer": tnp(torch.nn.LeakyReLU()(tt(x))).tolist(),
           "torch_function": tnp(F.leaky_relu(tt(x))).tolist(),
           "ms_layer": nn.LeakyReLU()(mt(x)).asnumpy().tolist(),
           "ms_function": ops.leaky_relu(mt(x)).asnumpy().tolist(),
           "mint_default": inspect.signature(mint.nn.functional.leaky_relu).parameters["negative_slope"].default}
    for key, slope in (("torch_layer", 0.01), ("torch_function", 0.01), ("ms_layer", ms_slope),
                       ("ms_function", ms_slope)):
        assert FLOAT32_ROUNDING.holds(maxdiff(out[key], np.where(x > 0, x, slope * x))), (key, out)
    assert out["mint_default"] == 0.01, out
    return out


@claim("leaky_relu_gradient_at_zero", "LeakyReLU (layer)",
       "the gradient of LeakyReLU at exactly 0 is the slope in torch but (1 + slope) / 2 in MindSpore 2.10 "
       "(ops.leaky_relu and nn.LeakyReLU, PyNative and Graph); where(x > 0, x, slope * x) gives the same values with "
       "torch's gradient",
       "holds", pages=(diff_page("LeakyReLU"),), silent="the page does not mention the gradient at 0",
       flip={"ms_gradient_at_zero_is_slope": True})
def check_leaky_relu_gradient_at_zero(ms_gradient_at_zero_is_slope: bool = False):
    slope = 0.2
    x = np.array([-1.0, 0.0, 1.0], np.float32)
    xt = tt(x).requires_grad_(True)
    F.leaky_relu(xt, slope).sum().backward()
    torch_grad = tnp(xt.grad)

    class Layer(nn.Cell):
        def __init__(self):
            super().__init__()
            self.act = nn.LeakyReLU(slope)

        def construct(self, v):
            return self.act(v).sum()

    class Function(nn.Cell):
        def construct(self, v):
            return ops.leaky_relu(v, slope).sum()

    class Where(nn.Cell):
        def construct(self, v):
            return ops.where(v > 0, v, v * slope).sum()

    out = {"torch": torch_grad.tolist()}
    for mode_name in ("pynative", "graph"):
        with mode(mode_name):
            for label, cell in (("nn.LeakyReLU", Layer()), ("ops.leaky_relu", Function()), ("where", Where())):
                out[f"{mode_name} {label}"] = ms.grad(cell)(mt(x)).asnumpy().tolist()
    native = torch_grad if ms_gradient_at_zero_is_slope else np.array([slope, (1 + slope) / 2, 1.0])
    for key, value in out.items():
        expected = torch_grad if key == "torch" or key.endswith("where") else native
        assert FLOAT32_ROUNDING.holds(maxdiff(value, expected)), (key, out)
    return out


@claim("mint_leaky_relu_has_no_cpu_kernel", "leaky_relu (function)",
       "mindspore.mint.nn.functional.leaky_relu raises on CPU in MindSpore 2.10 (LeakyReLUExt unregistered), and 2.10 "
       "has no mint.nn.LeakyReLU",
       "holds", not_here="mint on Ascend (its platform) is not measured here", pages=(MAPPING_TABLE_MINT,))
def check_mint_leaky_relu_has_no_cpu_kernel():
    x = mt(rng().standard_normal((2, 3)).astype(np.float32))
    ran, _, error = attempt(lambda: mint.nn.functional.leaky_relu(x, 0.2))
    out = {"mint.nn.functional.leaky_relu": error or "runs", "mint.nn.LeakyReLU exists": hasattr(mint.nn, "LeakyReLU")}
    assert not ran and not out["mint.nn.LeakyReLU exists"], out
    return out


# === Linear, pooling, activations =====================================================================================

@claim("dense_names_and_weight_layout", "Linear",
       "torch.nn.Linear is mindspore.nn.Dense(in_channels, out_channels, has_bias=True, activation=None); weights are "
       "(out, in) in both and copied as they are; mint.nn.Linear runs on CPU",
       "holds", pages=(diff_page("Dense"),))
def check_dense_names_and_weight_layout():
    x = rng(14).standard_normal((3, 5)).astype(np.float32)
    t = torch.nn.Linear(5, 2)
    m = nn.Dense(in_channels=5, out_channels=2)
    copy_params(t, m, CONV_WB)
    k = mint.nn.Linear(5, 2)
    k.weight.set_data(mt(tnp(t.weight)))
    k.bias.set_data(mt(tnp(t.bias)))
    ran, got_mint, error = attempt(lambda: k(mt(x)))
    sig = inspect.signature(nn.Dense).parameters
    out = {"shapes": (tuple(t.weight.shape), tuple(m.weight.shape)),
           "max_abs": maxdiff(tnp(t(tt(x))), m(mt(x)).asnumpy()),
           "has_bias_default": sig["has_bias"].default, "activation_default": sig["activation"].default,
           "mint_cpu": "runs" if ran else error}
    assert out["shapes"] == ((2, 5), (2, 5)) and CLAIM_SAME_NUMBERS.holds(out["max_abs"]), out
    assert out["has_bias_default"] is True and out["activation_default"] is None and ran, out
    assert same(got_mint, tnp(t(tt(x)))), out
    return out


@claim("global_avg_pool_is_a_mean", "Global average pool",
       "AdaptiveAvgPool2d(1) is a mean over H and W: mindspore.nn.AdaptiveAvgPool2d(1) runs on CPU and gives torch's "
       "numbers and input gradient, and so does x.mean(axis=(2, 3), keep_dims=True); 2.10's Tensor.mean also "
       "accepts torch's dim / keepdim, ops.mean only axis / keep_dims",
       "imprecise",
       earlier="the kit writes it as `x.mean(axis=(2, 3), keep_dims=True)` (`dim` is `axis`, `keepdim` is "
               "`keep_dims`)",
       pages=(MAPPING_TABLE, MAPPING_TABLE_MINT),
       disagrees="the r2.4.10 table says torch.Tensor.mean -> mindspore.Tensor.mean has inconsistent parameter names; "
                 "2.10 accepts dim / keepdim (the r2.6.0 table says 'Consistent')", api="mindspore.Tensor.mean",
       flip={"earlier": True})
def check_global_avg_pool_is_a_mean(earlier: bool = False):
    x = rng(15).standard_normal((2, 3, 5, 7)).astype(np.float32)
    xt = tt(x).requires_grad_(True)
    ref = torch.nn.AdaptiveAvgPool2d(1)(xt)
    (ref * ref).sum().backward()
    pool = nn.AdaptiveAvgPool2d(1)
    ran, got, error = attempt(lambda: pool(mt(x)))
    try:
        ops.mean(mt(x), dim=(2, 3))
        ops_dim = "accepted"
    except TypeError as error_dim:
        ops_dim = first_line(error_dim)
    if earlier:  # "`dim` is `axis`, `keepdim` is `keep_dims`": Tensor.mean would refuse torch's names
        try:
            mt(x).mean(dim=(2, 3), keepdim=True)
        except TypeError:
            pass
        else:
            raise AssertionError("Tensor.mean accepts dim / keepdim")
    out = {"nn.AdaptiveAvgPool2d": "runs" if ran else error,
           "axis_keep_dims": maxdiff(tnp(ref), mt(x).mean(axis=(2, 3), keep_dims=True).asnumpy()),
           "dim_keepdim": maxdiff(tnp(ref), mt(x).mean(dim=(2, 3), keepdim=True).asnumpy()), "ops.mean(dim=)": ops_dim}
    assert ran and same(tnp(ref), got), out
    out["nn.AdaptiveAvgPool2d_input_gradient"] = maxdiff(tnp(xt.grad), ms.grad(lambda v: (pool(v) * pool(v)).sum())(
        mt(x)).asnumpy())
    assert CLAIM_SAME_NUMBERS.holds(out["axis_keep_dims"]) and CLAIM_SAME_NUMBERS.holds(out["dim_keepdim"]), out
    assert CLAIM_SAME_GRADIENT.holds(out["nn.AdaptiveAvgPool2d_input_gradient"]), out
    assert ops_dim.startswith("TypeError"), out
    return out


@claim("mint_adaptive_avg_pool_has_no_cpu_kernel", "Global average pool",
       "mindspore.mint.nn.AdaptiveAvgPool2d raises on CPU in MindSpore 2.10 (AdaptiveAvgPool2DExt unregistered; its "
       "docstring lists Ascend only) while mindspore.nn.AdaptiveAvgPool2d runs",
       "holds", not_here="mint on Ascend (its platform) is not measured here", pages=(MAPPING_TABLE_MINT,))
def check_mint_adaptive_avg_pool_has_no_cpu_kernel():
    x = mt(rng().random((1, 4, 6, 6), np.float32))
    ran, _, error = attempt(lambda: mint.nn.AdaptiveAvgPool2d(1)(x))
    ran_nn, _, _ = attempt(lambda: nn.AdaptiveAvgPool2d(1)(x))
    assert not ran and ran_nn, error
    return {"mint.nn.AdaptiveAvgPool2d": error, "nn.AdaptiveAvgPool2d": "runs"}


@claim("sigmoid_and_relu_equal", ("Sigmoid", "ReLU"),
       "nn.Sigmoid, nn.ReLU and ops.relu give torch's numbers (ReLU's gradient at 0 is 0 in both) and take no "
       "argument that differs; their mint versions run on CPU",
       "holds", pages=(diff_page("Sigmoid"), diff_page("ReLU")))
def check_sigmoid_and_relu_equal():
    x = np.array([-3.0, -0.5, 0.0, 0.25, 4.0], np.float32)
    xt = tt(x).requires_grad_(True)
    torch.relu(xt).sum().backward()
    res = {"mint.nn.Sigmoid": attempt(lambda: mint.nn.Sigmoid()(mt(x))),
           "mint.nn.ReLU": attempt(lambda: mint.nn.ReLU()(mt(x))),
           "mint.nn.functional.relu": attempt(lambda: mint.nn.functional.relu(mt(x)))}
    out = {"sigmoid": maxdiff(tnp(torch.sigmoid(tt(x))), nn.Sigmoid()(mt(x)).asnumpy()),
           "relu": maxdiff(tnp(F.relu(tt(x))), ops.relu(mt(x)).asnumpy()),
           "relu_gradient": (tnp(xt.grad).tolist(), ms.grad(lambda v: ops.relu(v).sum())(mt(x)).asnumpy().tolist()),
           **{k: "runs" if ran else error for k, (ran, _, error) in res.items()}}
    assert FLOAT32_ROUNDING.holds(out["sigmoid"]) and out["relu"] == 0.0, out
    assert out["relu_gradient"][0] == out["relu_gradient"][1], out
    assert all(ran for ran, _, _ in res.values()), out
    return out


@claim("relu_inplace_flag", "ReLU",
       "MindSpore 2.10's ops.relu(input, inplace=False) has an in-place flag (so has mint.nn.functional.relu), but "
       "inplace=True has no CPU kernel (InplaceReLU unregistered); nn.ReLU has no flag",
       "wrong", earlier="no differing argument (MindSpore has no in-place flag)",
       pages=(diff_page("ReLU"), MAPPING_TABLE),
       silent="the ReLU page is about nn.ReLU (no inplace, right); none says that ops.relu has one, nor that its "
              "inplace=True has no CPU kernel",
       flip={"earlier": True})
def check_relu_inplace_flag(earlier: bool = False):
    sig = inspect.signature(ops.relu).parameters
    x = np.array([-1.0, 2.0], np.float32)
    ran, _, error = attempt(lambda: ops.relu(mt(x), inplace=True))
    ran_mint, _, error_mint = attempt(lambda: mint.nn.functional.relu(mt(x), inplace=True))
    out = {"ops.relu has inplace": "inplace" in sig, "inplace default": sig["inplace"].default if "inplace" in sig
           else None, "ops.relu(inplace=True) on CPU": error or "runs",
           "mint relu(inplace=True) on CPU": error_mint or "runs", "nn.ReLU arguments": list(
               inspect.signature(nn.ReLU).parameters)}
    if earlier:
        assert not out["ops.relu has inplace"], out
    else:
        assert out["ops.relu has inplace"] and out["inplace default"] is False, out
        assert not ran and not ran_mint and out["nn.ReLU arguments"] == [], out
    return out


# === Concatenate and split ============================================================================================

@claim("cat_and_chunk_same_semantics", "Concatenate and split",
       "torch.cat / chunk = ops.cat / chunk (axis=) = mint.cat / chunk (dim=), default 0; chunk splits uneven sizes "
       "the same way (ceil-sized pieces, the last smaller)",
       "holds", pages=(diff_page("cat"), MAPPING_TABLE))
def check_cat_and_chunk_same_semantics():
    r = rng(16)
    a, b = r.standard_normal((1, 2, 3)).astype(np.float32), r.standard_normal((1, 3, 3)).astype(np.float32)
    ref = tnp(torch.cat([tt(a), tt(b)], dim=1))
    x = r.standard_normal((1, 5, 2)).astype(np.float32)
    shapes = {n: ([tuple(c.shape) for c in torch.chunk(tt(x), n, dim=1)],
                  [tuple(c.shape) for c in ops.chunk(mt(x), n, axis=1)],
                  [tuple(c.shape) for c in mint.chunk(mt(x), n, dim=1)]) for n in (2, 3)}
    out = {"ops.cat": maxdiff(ref, ops.cat([mt(a), mt(b)], axis=1).asnumpy()),
           "mint.cat": maxdiff(ref, mint.cat([mt(a), mt(b)], dim=1).asnumpy()), "chunk_shapes": shapes,
           "chunk_values": max(maxdiff(tnp(p), q.asnumpy()) for p, q in zip(torch.chunk(tt(x), 3, dim=1),
                                                                           ops.chunk(mt(x), 3, axis=1)))}
    assert out["ops.cat"] == out["mint.cat"] == out["chunk_values"] == 0.0, out
    assert all(s[0] == s[1] == s[2] for s in shapes.values()), out
    return out


@claim("cat_needs_equal_dtypes", "Concatenate and split",
       "torch.cat promotes mixed dtypes (float32 + float16 -> float32); ops.cat and mint.cat fail on mixed dtypes on "
       "CPU ('KernelMod Init Failed: Concat'), in PyNative only at the next op or synchronize: cast first",
       "missing", pages=(diff_page("cat"), MAPPING_TABLE), flip={"earlier": True})
def check_cat_needs_equal_dtypes(earlier: bool = False):
    a32, a16 = np.ones(2, np.float32), np.ones(2, np.float16)
    res = {"ops.cat": attempt(lambda: ops.cat([mt(a32), mt(a16)])),
           "mint.cat": attempt(lambda: mint.cat([mt(a32), mt(a16)]))}
    out = {"torch": str(torch.cat([tt(a32), tt(a16)]).dtype), **{k: "runs" if ran else error
                                                                 for k, (ran, _, error) in res.items()}}
    assert out["torch"] == "torch.float32", out
    if earlier:  # "same semantics": MindSpore promotes too
        assert res["ops.cat"][0] and res["mint.cat"][0], out
    else:
        assert not res["ops.cat"][0] and not res["mint.cat"][0], out
    return out


# === Parameters, re-wrapping, Module and Cell, gradients ==============================================================

@claim("parameter_defaults_and_names", "Learnable step size",
       "torch.nn.Parameter(data=None, requires_grad=True); mindspore.Parameter(default_input, name=None, "
       "requires_grad=True) needs its data and reads requires_grad from its constructor (default True); a Parameter "
       "held directly by a cell is named by its attribute path (r0, inner.r0 when nested)",
       "holds", pages=(diff_page("Parameter"),))
def check_parameter_defaults_and_names():
    try:
        Parameter()  # noqa  (MindSpore needs the data)
        needs_data = "accepted"
    except TypeError as error:
        needs_data = first_line(error)

    class Step(nn.Cell):
        def __init__(self):
            super().__init__()
            self.r0 = Parameter(Tensor(np.full((1,), 0.5, np.float32)))

    class Outer(nn.Cell):
        def __init__(self):
            super().__init__()
            self.inner = Step()

    out = {"torch_parameter_without_data": tuple(torch.nn.Parameter().shape), "ms_parameter_without_data": needs_data,
           "ms_requires_grad_default": Parameter(Tensor(np.ones(1, np.float32)), name="p").requires_grad,
           "ms_init_signature_default": inspect.signature(Parameter.__init__).parameters["requires_grad"].default,
           "names": (names(Step()), names(Outer()))}
    assert out["torch_parameter_without_data"] == (0,) and needs_data.startswith("TypeError"), out
    assert out["ms_requires_grad_default"] is True is out["ms_init_signature_default"], out
    assert out["names"] == (["r0"], ["inner.r0"]), out
    return out


@claim("tensor_rewrap_cuts_gradient_in_graph_mode_only", "Re-wrapping a tensor",
       "`Tensor(x)` inside a cell cuts the gradient in Graph mode (the input gradient is 0 where it is 6); in PyNative "
       "it flows; a host round trip `Tensor(x.asnumpy())` cuts it in PyNative too; torch.tensor(t) copies and "
       "detaches",
       "imprecise", earlier="`Tensor(x)` inside a cell cuts the gradient (guide section 5, pitfall 7)",
       pages=(MODEL_AND_CELL,), silent="no official page says so", flip={"earlier": True})
def check_tensor_rewrap_cuts_gradient_in_graph_mode_only(earlier: bool = False):
    class Plain(nn.Cell):
        def __init__(self):
            super().__init__()
            self.w = Parameter(Tensor(np.full((3,), 2.0, np.float32)), name="w")

        def construct(self, x):
            return (x * self.w).sum()

    class Rewrap(Plain):
        def construct(self, x):
            return (Tensor(x) * self.w).sum()

    class HostRoundTrip(Plain):
        def construct(self, x):
            return (Tensor(x.asnumpy()) * self.w).sum()

    x = mt(np.ones(3, np.float32))
    out = {}
    for mode_name in ("pynative", "graph"):
        for cls in (Plain, Rewrap) + ((HostRoundTrip,) if mode_name == "pynative" else ()):  # no host code in a graph
            with mode(mode_name):
                out[f"{mode_name} {cls.__name__}"] = float(np.abs(ms.grad(cls(), grad_position=0)(x).asnumpy()).sum())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch suggests clone().detach()
        out["torch.tensor(t).requires_grad"] = torch.tensor(torch.ones(3, requires_grad=True)).requires_grad
    assert out["pynative Plain"] == out["graph Plain"] == 6.0, out
    assert out["graph Rewrap"] == 0.0 and out["pynative HostRoundTrip"] == 0.0, out
    assert out["pynative Rewrap"] == (0.0 if earlier else 6.0), out
    assert out["torch.tensor(t).requires_grad"] is False, out
    return out


@claim("cell_starts_in_inference_mode", "Module and Cell",
       "a MindSpore Cell starts in inference mode (training=False: a fresh BatchNorm normalises with its moving "
       "statistics), a torch Module in training mode; set_train(True) / set_train(False) are train() / eval()",
       "missing", pages=(diff_page("BatchNorm2d"), MODEL_AND_CELL + "#training-and-evaluation-mode-switching"),
       flip={"earlier": True})
def check_cell_starts_in_inference_mode(earlier: bool = False):
    x = (rng(17).standard_normal((4, 2, 3, 3)) * 3 + 2).astype(np.float32)
    t, m = torch.nn.BatchNorm2d(2), nn.BatchNorm2d(2)
    fresh_t, fresh_m = tnp(t(tt(x))), m(mt(x)).asnumpy()
    m.set_train(True)
    out = {"torch_training": torch.nn.Linear(1, 1).training, "ms_training": nn.Dense(1, 1).training,
           "fresh_outputs": maxdiff(fresh_t, fresh_m), "after_set_train": maxdiff(fresh_t, m(mt(x)).asnumpy()),
           "fresh_ms_vs_moving_statistics": maxdiff(fresh_m, x / np.sqrt(1 + 1e-5))}
    if earlier:  # "a Cell starts in training mode, like a Module"
        assert out["ms_training"] is True and same(fresh_t, fresh_m), out
    assert out["torch_training"] is True and out["ms_training"] is False, out
    assert out["fresh_outputs"] > CLAIM_DIFFERS.value and CLAIM_SAME_NUMBERS.holds(out["after_set_train"]), out
    assert CLAIM_SAME_NUMBERS.holds(out["fresh_ms_vs_moving_statistics"]), out
    return out


@claim("cell_calls_construct_not_forward", "Module and Cell",
       "a Cell runs `construct`: a Cell that defines only torch's `forward` raises AttributeError ('the method "
       "construct is not defined') when called; it never falls back to `forward`",
       "missing", pages=(MODEL_AND_CELL + "#network-basic-unit-cell",))
def check_cell_calls_construct_not_forward():
    class OnlyForward(nn.Cell):
        def forward(self, v):
            return v * 2

    class TorchOnlyForward(torch.nn.Module):
        def forward(self, v):
            return v * 2

    try:
        OnlyForward()(mt(np.ones(2, np.float32)))
        called = "ran"
    except AttributeError as error:
        called = first_line(error)
    out = {"ms_cell_with_forward_only": called, "torch_module_with_forward": tnp(TorchOnlyForward()(torch.ones(2)))
           .tolist()}
    assert called.startswith("AttributeError") and "construct" in called, out
    assert out["torch_module_with_forward"] == [2.0, 2.0], out
    return out


class _TorchNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(4)
        self.act = torch.nn.PReLU()
        self.fc = torch.nn.Linear(4, 2)

    def forward(self, v):
        return self.fc(self.act(self.bn(self.conv(v))).mean(dim=(2, 3)))


class _MsNet(nn.Cell):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, pad_mode="pad", padding=1, has_bias=True)
        self.bn = nn.BatchNorm2d(4)
        self.act = nn.PReLU()
        self.fc = nn.Dense(4, 2)

    def construct(self, v):
        return self.fc(self.act(self.bn(self.conv(v))).mean(axis=(2, 3)))


_NET_NAMES = {"conv.weight": "conv.weight", "conv.bias": "conv.bias", "bn.weight": "bn.gamma", "bn.bias": "bn.beta",
              "act.weight": "act.w", "fc.weight": "fc.weight", "fc.bias": "fc.bias"}


def _squared_error(net: nn.Cell) -> Callable:
    def forward(v, target):
        return ((net(v) - target) ** 2).mean()
    return forward


@claim("value_and_grad_equals_autograd", "Gradients",
       "mindspore.value_and_grad(fn, None, weights) gives torch autograd's loss and parameter gradients "
       "(loss.backward()), in PyNative and in Graph mode (jit), for a conv + BatchNorm (training) + PReLU + Dense net",
       "missing", pages=(LR_AND_OPTIMIZER + "#optimizer-execution-and-usage-differences",))
def check_value_and_grad_equals_autograd():
    r = rng(18)
    x, y = r.standard_normal((2, 3, 6, 6)).astype(np.float32), r.standard_normal((2, 2)).astype(np.float32)
    t = _TorchNet().train()
    loss_t = ((t(tt(x)) - tt(y)) ** 2).mean()
    loss_t.backward()
    torch_grads = {k: tnp(p.grad) for k, p in t.named_parameters()}
    out = {}
    for mode_name in ("pynative", "graph"):
        m = _MsNet()
        copy_params(t, m, _NET_NAMES)
        m.set_train(True)
        params = m.trainable_params()
        fn = ms.value_and_grad(_squared_error(m), None, params)
        loss_m, grads = (ms.jit(fn) if mode_name == "graph" else fn)(mt(x), mt(y))
        by_name = {p.name: g.asnumpy() for p, g in zip(params, grads)}
        out[f"{mode_name} loss"] = abs(float(loss_t) - float(loss_m.asnumpy()))
        out[f"{mode_name} gradients"] = max(maxdiff(torch_grads[k], by_name[v]) for k, v in _NET_NAMES.items())
        assert CLAIM_SAME_NUMBERS.holds(out[f"{mode_name} loss"]), out
        assert CLAIM_SAME_GRADIENT.holds(out[f"{mode_name} gradients"]), out
    return out


@claim("inplace_tensor_methods_are_silent_noops_on_cpu", "In-place updates",
       "in PyNative on CPU, MindSpore 2.10's Tensor.add_ and mul_ (on a Parameter too) return the right value but "
       "leave the tensor unchanged, with no error even after synchronize; copy_ and ops.assign / assign_add do update "
       "(this is why mint.optim.Adam does not train there)",
       "new", not_here="GPU and Ascend are not measured here", flip={"earlier": True})
def check_inplace_tensor_methods_are_silent_noops_on_cpu(earlier: bool = False):
    def fresh(name):
        return Parameter(mt(np.zeros(2, np.float32)), name=name)

    one = mt(np.ones(2, np.float32))
    out = {}
    p = fresh("a")
    returned = p.add_(one)
    out["Parameter.add_ (after, returned)"] = (p.asnumpy().tolist(), returned.asnumpy().tolist())
    p = fresh("b")
    p.copy_(one)
    returned = p.mul_(3.0)
    out["Parameter.mul_ (after, returned)"] = (p.asnumpy().tolist(), returned.asnumpy().tolist())
    t = mt(np.zeros(2, np.float32))
    t.add_(one)
    out["Tensor.add_"] = t.asnumpy().tolist()
    p = fresh("c")
    p.copy_(one)
    out["copy_"] = p.asnumpy().tolist()
    p = fresh("d")
    ops.assign_add(p, one)
    out["ops.assign_add"] = p.asnumpy().tolist()
    out["error after synchronize"] = drain()
    torch_p = torch.zeros(2)
    torch_p.add_(torch.ones(2))
    out["torch add_"] = tnp(torch_p).tolist()
    assert out["torch add_"] == [1.0, 1.0], out
    if earlier:  # "add_ updates in place, as in torch"
        assert out["Tensor.add_"] == [1.0, 1.0], out
    assert out["Parameter.add_ (after, returned)"] == ([0.0, 0.0], [1.0, 1.0]), out
    assert out["Parameter.mul_ (after, returned)"] == ([1.0, 1.0], [3.0, 3.0]), out
    assert out["Tensor.add_"] == [0.0, 0.0] and out["error after synchronize"] is None, out
    assert out["copy_"] == out["ops.assign_add"] == [1.0, 1.0], out
    return out


@claim("runtime_synchronize_first_call_is_a_noop_on_cpu", "Asynchronous errors",
       "on CPU, the first mindspore.runtime.synchronize() of a process logs 'CPU device is not supported' and returns "
       "without synchronising (its docstring lists Ascend and GPU); later calls synchronise and re-raise a failed "
       "asynchronous launch (so drain once at start-up before relying on it)",
       "new", not_here="GPU and Ascend (where the docstring says it works) are not measured here")
def check_runtime_synchronize_first_call_is_a_noop_on_cpu():
    code = """
import os
import torch, numpy as np, mindspore as ms
from mindspore import Tensor, ops
ms.set_device("CPU")
x = Tensor(np.ones(2, np.float32))
def probe():
    try:
        ops.relu(x, inplace=True)
    except RuntimeError:
        return "raised at the call"
    for i in (1, 2):
        try:
            ms.runtime.synchronize()
        except RuntimeError:
            return f"raised at synchronize call {i}"
    return "never raised"
print("FIRST:" + probe())
print("SECOND:" + probe())
"""
    env = dict(os.environ, GLOG_v="3", ONEDNN_MAX_CPU_ISA=os.environ.get("ONEDNN_MAX_CPU_ISA", "AVX2"))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    lines = dict(line.split(":", 1) for line in proc.stdout.splitlines() if ":" in line)
    out = {"first probe": lines.get("FIRST"), "second probe": lines.get("SECOND"),
           "logs 'CPU device is not supported'": "CPU device is not supported" in proc.stderr, "rc": proc.returncode}
    assert proc.returncode == 0, (out, proc.stderr[-500:])
    assert out["first probe"] in ("raised at synchronize call 2", "never raised"), out
    assert out["second probe"] in ("raised at synchronize call 1", "raised at the call"), out
    assert out["first probe"] != out["second probe"], out
    return out


@claim("loss_functional_ops_match", "Loss: padding, grouped conv, mean, sqrt",
       "the recipe loss's F.pad(mode='replicate') is ops.pad(mode='replicate') (a 4-tuple, last dimension first, as "
       "torch), F.conv2d(groups=C) is ops.conv2d(groups=C) (default pad_mode='valid' = padding 0), torch.mean / sqrt "
       "are ops.mean / sqrt, all with torch's numbers; mint's replicate pad and conv2d have no CPU kernel",
       "missing", pages=(diff_page("pad"), MAPPING_TABLE))
def check_loss_functional_ops_match():
    r = rng(21)
    x = r.standard_normal((1, 3, 7, 9)).astype(np.float32)
    k = r.standard_normal((3, 1, 5, 5)).astype(np.float32)
    pad_t, pad_m = F.pad(tt(x), (2, 1, 3, 0), mode="replicate"), ops.pad(mt(x), (2, 1, 3, 0), mode="replicate")
    conv_t, conv_m = F.conv2d(pad_t, tt(k), groups=3), ops.conv2d(pad_m, mt(k), groups=3)
    d = x - 0.3
    charbonnier_t = torch.mean(torch.sqrt(tt(d) * tt(d) + 1e-6))
    charbonnier_m = ops.mean(ops.sqrt(mt(d) * mt(d) + 1e-6))
    res = {"mint replicate pad": attempt(lambda: mint.nn.functional.pad(mt(x), (2, 2, 2, 2), mode="replicate")),
           "mint conv2d": attempt(lambda: mint.nn.functional.conv2d(mt(x), mt(k), groups=3))}
    out = {"pad": maxdiff(tnp(pad_t), pad_m.asnumpy()), "grouped_conv": maxdiff(tnp(conv_t), conv_m.asnumpy()),
           "charbonnier": abs(float(charbonnier_t) - float(charbonnier_m.asnumpy())),
           **{name: "runs" if ran else error for name, (ran, _, error) in res.items()}}
    assert out["pad"] == 0.0 and CLAIM_SAME_NUMBERS.holds(out["grouped_conv"]), out
    assert FLOAT32_ROUNDING.holds(out["charbonnier"]), out
    assert not any(ran for ran, _, _ in res.values()), out
    return out


# === Optimisers =======================================================================================================

LR, BETAS, EPS, STEPS = 2e-4, (0.9, 0.999), 1e-8, 10
#: Loss weight of each of the toy net's 4 outputs: gradient rows from ~1 down to ~1e-12, around Adam's eps (1e-8).
_OUTPUT_WEIGHTS = np.array([1.0, 1e-4, 1e-8, 1e-12], np.float32)


def _toy_problem():
    r = rng(19)
    return (r.standard_normal((4, 3)).astype(np.float32), r.standard_normal(4).astype(np.float32),
            r.standard_normal((8, 3)).astype(np.float32), r.standard_normal((8, 4)).astype(np.float32))


def _flat(weight, bias) -> np.ndarray:
    return np.concatenate([np.asarray(weight, np.float64).ravel(), np.asarray(bias, np.float64).ravel()])


def _torch_run(make_opt, lrs=None, eps_like_nn_adam: bool = False) -> Tuple[np.ndarray, np.ndarray]:
    """(final, start) weights of ``STEPS`` steps of a torch optimiser on the toy problem; ``lrs``: per-step rates set
    in ``param_groups`` before each step; ``eps_like_nn_adam``: eps at step t set to eps / sqrt(1 - b2^t)."""
    w0, b0, x, y = _toy_problem()
    m = torch.nn.Linear(3, 4)
    with torch.no_grad():
        m.weight.copy_(tt(w0))
        m.bias.copy_(tt(b0))
    opt = make_opt(m.parameters())
    for step in range(1, STEPS + 1):
        if lrs is not None:
            opt.param_groups[0]["lr"] = lrs[step - 1]
        if eps_like_nn_adam:
            opt.param_groups[0]["eps"] = EPS / np.sqrt(1.0 - BETAS[1] ** step)
        opt.zero_grad()
        (((m(tt(x)) - tt(y)) ** 2) * tt(_OUTPUT_WEIGHTS)).mean().backward()
        opt.step()
    return _flat(tnp(m.weight), tnp(m.bias)), _flat(w0, b0)


def _torch_adam(lrs=None, eps_like_nn_adam: bool = False):
    return _torch_run(lambda p: torch.optim.Adam(p, lr=LR, betas=BETAS, eps=EPS), lrs, eps_like_nn_adam)


def _ms_run(make_opt, graph: bool, before_step=None, after_step=None):
    """(final weights, optimiser, late error) of ``STEPS`` MindSpore train steps (value_and_grad + optimiser) on the
    toy problem; ``graph``: the train step compiled with ``ms.jit``."""
    w0, b0, x, y = _toy_problem()
    net = nn.Dense(3, 4)
    net.weight.set_data(mt(w0))
    net.bias.set_data(mt(b0))
    opt = make_opt(net.trainable_params())
    weights = mt(_OUTPUT_WEIGHTS)

    def forward(v, target):
        return (((net(v) - target) ** 2) * weights).mean()

    grad_fn = ms.value_and_grad(forward, None, opt.parameters)

    def train_step(v, target):
        loss, grads = grad_fn(v, target)
        opt(grads)
        return loss

    step_fn = ms.jit(train_step) if graph else train_step
    for step in range(STEPS):
        if before_step:
            before_step(opt, step)
        step_fn(mt(x), mt(y))
        if after_step:
            after_step(opt, step)
    return _flat(net.weight.asnumpy(), net.bias.asnumpy()), opt, drain()


def _off(reference: np.ndarray, start: np.ndarray, got: np.ndarray) -> float:
    """max |got - reference| as a share of the reference's largest update."""
    return maxdiff(reference, got) / float(np.abs(reference - start).max())


@claim("experimental_adamw_without_decay_equals_torch_adam", "Adam",
       "mindspore.experimental.optim.AdamW(weight_decay=0.0) is torch.optim.Adam: eps added after the bias correction, "
       "param x (1 - lr x 0) the parameter itself; 10 steps from the same weights with gradients from ~1 down to "
       "1e-12 agree to float32 rounding, in PyNative and in Graph (jit train step); the kit's MindSpore optimiser",
       "new", pages=(MAPPING_TABLE,), flip={"weight_decay": 1e-2})
def check_experimental_adamw_without_decay_equals_torch_adam(weight_decay: float = 0.0):
    from mindspore.experimental.optim import AdamW

    ref, start = _torch_adam()
    out = {"torch_largest_update": float(np.abs(ref - start).max())}
    for graph in (False, True):
        got, _, error = _ms_run(lambda p: AdamW(p, lr=LR, betas=BETAS, eps=EPS, weight_decay=weight_decay), graph)
        key = "graph" if graph else "pynative"
        out[f"{key} vs torch (share of update)"] = _off(ref, start, got)
        assert error is None and CLAIM_SAME_UPDATE.value > out[f"{key} vs torch (share of update)"], out
    return out


@claim("experimental_adam_places_eps_like_nn_adam", "Adam",
       "mindspore.experimental.optim.Adam runs the ops.Adam kernel, which adds eps to sqrt(v) before the bias "
       "correction, like nn.Adam: it equals nn.Adam and torch.optim.Adam with eps / sqrt(1 - b2^t) at step t, not "
       "torch.optim.Adam (off by a large share of the update where gradients are near eps)",
       "new", pages=(MAPPING_TABLE,),
       disagrees="the r2.4.10 table calls torch.optim.Adam -> mindspore.experimental.optim.Adam 'Consistent', and its "
                 "docstring prints torch's formula (eps after the bias correction); 2.10 computes nn.Adam's",
       api="mindspore.experimental.optim.Adam",
       flip={"earlier": True})
def check_experimental_adam_places_eps_like_nn_adam(earlier: bool = False):
    from mindspore.experimental.optim import Adam

    plain, start = _torch_adam()
    scaled, _ = _torch_adam(eps_like_nn_adam=True)
    out = {}
    for graph in (False, True):
        key = "graph" if graph else "pynative"
        got, _, error = _ms_run(lambda p: Adam(p, lr=LR, betas=BETAS, eps=EPS), graph)
        nn_adam, _, _ = _ms_run(lambda p: nn.Adam(p, learning_rate=LR, beta1=BETAS[0], beta2=BETAS[1], eps=EPS), graph)
        out[f"{key} vs torch.optim.Adam"] = _off(plain, start, got)
        out[f"{key} vs torch, eps scaled"] = _off(scaled, start, got)
        out[f"{key} vs nn.Adam"] = _off(nn_adam, start, got)
        assert error is None, out
        if earlier:  # "the same as torch.optim.Adam"
            assert CLAIM_SAME_UPDATE.value > out[f"{key} vs torch.optim.Adam"], out
        assert out[f"{key} vs torch.optim.Adam"] > CLAIM_DIFFERS.value, out
        assert CLAIM_SAME_UPDATE.value > max(out[f"{key} vs torch, eps scaled"], out[f"{key} vs nn.Adam"]), out
    return out


@claim("nn_adam_eps_placement", "Adam",
       "mindspore.nn.Adam adds eps to sqrt(v) before the bias correction, lr * sqrt(1 - b2^t) / (1 - b1^t) * m / "
       "(sqrt(v) + eps): it equals torch.optim.Adam whose eps at step t is eps / sqrt(1 - b2^t); with torch's plain "
       "eps they differ by a large share of the update where gradients are near eps",
       "holds", pages=(diff_page("Adam"),),
       disagrees="the page says nn.Adam 'can override the function of torch.optim.Adam, and the function is the same "
                 "with default parameters' and calls eps 'Consistent'",
       flip={"earlier": True})
def check_nn_adam_eps_placement(earlier: bool = False):
    plain, start = _torch_adam()
    scaled, _ = _torch_adam(eps_like_nn_adam=True)
    got, opt, error = _ms_run(lambda p: nn.Adam(p, learning_rate=LR, beta1=BETAS[0], beta2=BETAS[1], eps=EPS), False)
    out = {"vs torch, eps scaled": _off(scaled, start, got), "vs torch.optim.Adam": _off(plain, start, got),
           "state_names": (opt.moment1[0].name, opt.moment2[0].name)}
    assert error is None, out
    if earlier:  # the page: "the same with default parameters"
        assert CLAIM_SAME_UPDATE.value > out["vs torch.optim.Adam"], out
    assert CLAIM_SAME_UPDATE.value > out["vs torch, eps scaled"], out
    assert out["vs torch.optim.Adam"] > CLAIM_DIFFERS.value, out
    return out


@claim("nn_adam_defaults", "Adam",
       "mindspore.nn.Adam(learning_rate=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0) has "
       "torch.optim.Adam's defaults under other names (lr, betas); torch's state exp_avg / exp_avg_sq is moment1 / "
       "moment2 in nn.Adam, exp_avg / exp_avg_sq in experimental.optim",
       "holds", pages=(diff_page("Adam"),))
def check_nn_adam_defaults():
    from mindspore.experimental.optim import AdamW

    a = nn.Adam([Parameter(mt(np.ones(2, np.float32)), name="q")])
    x = AdamW([Parameter(mt(np.ones(2, np.float32)), name="q2")])
    t = torch.optim.Adam([torch.nn.Parameter(torch.ones(2))]).defaults
    ms_values = [float(v.asnumpy()) if isinstance(v, Tensor) else float(v)
                 for v in (a.learning_rate, a.beta1, a.beta2, a.eps, a.weight_decay)]
    torch_values = [float(np.float32(v)) for v in (t["lr"], t["betas"][0], t["betas"][1], t["eps"], t["weight_decay"])]
    out = {"ms": ms_values, "torch (as float32)": torch_values, "nn.Adam state": (a.moment1[0].name, a.moment2[0].name),
           "experimental state": (x.exp_avg[0].name, x.exp_avg_sq[0].name)}
    assert ms_values == torch_values, out
    assert out["nn.Adam state"] == ("moment1.q", "moment2.q"), out
    assert out["experimental state"] == ("exp_avg.q2", "exp_avg_sq.q2"), out
    return out


@claim("mint_adam_on_cpu", "Adam",
       "mindspore.mint.optim.Adam on CPU: in PyNative each step returns True and changes nothing (state_step stays 0: "
       "its in-place add_ is a no-op there); in Graph mode (jit train step) it trains and equals torch.optim.Adam; "
       "its docstring lists Ascend only",
       "imprecise", earlier="mint.optim.Adam runs on CPU", platform="CPU (docstring: Ascend)",
       not_here="Ascend, the one platform its docstring lists, is not measured here",
       pages=(MAPPING_TABLE_MINT,),
       disagrees="the r2.6.0 table maps torch.optim.Adam to mint.optim.Adam ('functions are consistent') with no "
                 "platform note",
       flip={"earlier": True})
def check_mint_adam_on_cpu(earlier: bool = False):
    ref, start = _torch_adam()
    out = {}
    for graph in (False, True):
        got, opt, error = _ms_run(lambda p: mint.optim.Adam(p, lr=LR, betas=BETAS, eps=EPS), graph)
        key = "graph" if graph else "pynative"
        out[f"{key} moved"] = maxdiff(got, start)
        out[f"{key} vs torch (share of update)"] = _off(ref, start, got)
        out[f"{key} state_step"] = int(opt.state_step.asnumpy().ravel()[0])
        out[f"{key} error"] = error
    out["docstring_platforms"] = platforms(mint.optim.Adam.__doc__)
    if earlier:  # "runs on CPU": it trains in PyNative like anywhere else
        assert CLAIM_SAME_UPDATE.value > out["pynative vs torch (share of update)"], out
    assert out["pynative moved"] == 0.0 and out["pynative state_step"] == 0, out
    assert CLAIM_SAME_UPDATE.value > out["graph vs torch (share of update)"] and out["graph state_step"] == STEPS, out
    assert out["docstring_platforms"] == ["Ascend"], out
    return out


@claim("experimental_per_step_learning_rate", "Learning-rate schedule",
       "mindspore.experimental.optim follows a per-step learning rate like torch (param_groups[0]['lr'] set before "
       "each step) when it changes through its lr_scheduler (LambdaLR, stepped after each step) or ops.assign on "
       "param_groups[0]['lr'], in PyNative and in Graph (jit train step); assigning a Python float there works in "
       "PyNative only (Graph keeps the first value), and Parameter.set_data on it is lost after the first step in both",
       "new", pages=(LR_AND_OPTIMIZER + "#runtime-hyperparameter-modification", MAPPING_TABLE),
       disagrees="the migration page says MindSpore does not support changing optimiser parameters during training "
                 "except through its own learning-rate classes; experimental.optim takes torch-style schedulers and "
                 "assignments")
def check_experimental_per_step_learning_rate():
    from mindspore.experimental.optim import AdamW
    from mindspore.experimental.optim.lr_scheduler import LambdaLR

    lrs = [LR * step / STEPS * 5 for step in range(1, STEPS + 1)]
    ref, start = _torch_run(lambda p: torch.optim.Adam(p, lr=LR, betas=BETAS, eps=EPS), lrs)
    const, _ = _torch_adam()

    def make(p):
        return AdamW(p, lr=LR, betas=BETAS, eps=EPS, weight_decay=0.0)

    def setter(how):
        def before(opt, step):
            if how == "float":
                opt.param_groups[0]["lr"] = float(lrs[step])
            elif how == "ops.assign":
                ops.assign(opt.param_groups[0]["lr"], Tensor(lrs[step], ms.float32))
            elif how == "set_data":
                opt.param_groups[0]["lr"].set_data(Tensor(lrs[step], ms.float32))
        return before

    out = {"torch schedule vs constant (share of update)": _off(ref, start, const)}
    for graph in (False, True):
        key = "graph" if graph else "pynative"
        schedulers = []

        def with_scheduler(p, schedulers=schedulers):
            opt = AdamW(p, lr=1.0, betas=BETAS, eps=EPS, weight_decay=0.0)
            schedulers.append(LambdaLR(opt, lambda epoch: lrs[min(int(epoch), STEPS - 1)]))
            return opt

        got, _, _ = _ms_run(with_scheduler, graph,
                            after_step=lambda opt, step, schedulers=schedulers: schedulers[-1].step())
        out[f"{key} LambdaLR"] = _off(ref, start, got)
        for how in ("ops.assign", "float", "set_data"):
            got, _, _ = _ms_run(make, graph, before_step=setter(how))
            out[f"{key} {how}"] = _off(ref, start, got)
    works = {k: CLAIM_SAME_UPDATE.value > v for k, v in out.items() if k.startswith(("pynative", "graph"))}
    assert out["torch schedule vs constant (share of update)"] > CLAIM_DIFFERS.value, out
    assert works == {"pynative LambdaLR": True, "pynative ops.assign": True, "pynative float": True,
                     "pynative set_data": False, "graph LambdaLR": True, "graph ops.assign": True,
                     "graph float": False, "graph set_data": False}, out
    return out


@claim("nn_adam_learning_rate_list_is_per_step", "Learning-rate schedule",
       "mindspore.nn.Adam(learning_rate=[lr_1, ..., lr_T]) uses lr_t at step t, like torch setting "
       "param_groups[0]['lr'] = lr_t before step t (with torch's eps scaled to nn.Adam's placement); the list holds "
       "every step of the run, built before step 1",
       "missing", pages=(LR_AND_OPTIMIZER + "#dynamic-learning-rate-differences",))
def check_nn_adam_learning_rate_list_is_per_step():
    lrs = [LR * step / STEPS * 5 for step in range(1, STEPS + 1)]
    ref, start = _torch_run(lambda p: torch.optim.Adam(p, lr=LR, betas=BETAS, eps=EPS), lrs, eps_like_nn_adam=True)
    out = {}
    for graph in (False, True):
        got, _, error = _ms_run(lambda p: nn.Adam(p, learning_rate=lrs, beta1=BETAS[0], beta2=BETAS[1], eps=EPS),
                                graph)
        key = "graph" if graph else "pynative"
        out[f"{key} vs torch (share of update)"] = _off(ref, start, got)
        assert error is None and CLAIM_SAME_UPDATE.value > out[f"{key} vs torch (share of update)"], out
    return out


# === Saving and loading ===============================================================================================

@claim("save_checkpoint_round_trip", "Saving and loading weights",
       "torch.save(obj=state_dict) and mindspore.save_checkpoint(save_obj=cell) round-trip a model's parameters "
       "exactly; save_checkpoint takes the cell itself (or a list of parameters)",
       "holds", pages=(MODEL_AND_CELL + "#parameter-saving-and-loading",))
def check_save_checkpoint_round_trip():
    m = nn.SequentialCell([nn.Conv2d(2, 3, 3, has_bias=True), nn.BatchNorm2d(3)])
    tm = torch.nn.Conv2d(2, 3, 3)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "m.ckpt")
        ms.save_checkpoint(save_obj=m, ckpt_file_name=path)
        loaded = ms.load_checkpoint(path)
        torch_path = os.path.join(folder, "t.pth")
        torch.save(obj=tm.state_dict(), f=torch_path)
        torch_loaded = torch.load(torch_path, weights_only=True)
    out = {"ms_names": list(loaded),
           "ms": max(maxdiff(loaded[p.name].asnumpy(), p.asnumpy()) for p in m.get_parameters()),
           "torch": max(maxdiff(tnp(torch_loaded[k]), tnp(v)) for k, v in tm.state_dict().items())}
    assert out["ms"] == out["torch"] == 0.0 and len(out["ms_names"]) == 6, out
    return out


class _Pickled:
    pass


@claim("torch_load_weights_only_default", "Saving and loading weights",
       "torch >= 2.6 treats torch.load(weights_only=None) as True: a pickle of an arbitrary object is refused unless "
       "weights_only=False (the kit passes weights_only=True)",
       "holds")
def check_torch_load_weights_only_default():
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "obj.pt")
        torch.save({"obj": _Pickled()}, path)
        try:
            torch.load(path)
            default = "loaded"
        except Exception as error:  # noqa: BLE001  (torch raises UnpicklingError)
            default = first_line(error)
        explicit = type(torch.load(path, weights_only=False)["obj"]).__name__
    out = {"default": default, "weights_only=False": explicit, "torch": torch.__version__}
    assert default.startswith("UnpicklingError") and explicit == "_Pickled", out
    return out


@claim("load_param_into_net_strict_load", "Saving and loading weights",
       "strict_load (default False in load_param_into_net and load_checkpoint) controls name and dtype matching: False "
       "also loads by name suffix and casts dtypes (float16 into float32), True needs exact names and raises on a "
       "dtype mismatch. Neither raises on a missing key: both return (param_not_load, ckpt_not_load) and leave those "
       "parameters at their initial values, where torch's strict=True raises; so the kit checks the key sets itself",
       "imprecise", earlier="MindSpore loads non-strictly by default: missing keys keep their initial values silently",
       pages=(API_PAGE + "mindspore/mindspore.load_param_into_net.html",), flip={"earlier": True})
def check_load_param_into_net_strict_load(earlier: bool = False):
    def fresh():
        return nn.SequentialCell([nn.Dense(2, 2), nn.Dense(2, 2)])

    def param(name, value, dtype=np.float32):
        return Parameter(mt(np.full((2, 2), value, dtype)), name=name)

    out = {}
    for strict in (False, True):
        net = fresh()
        before = net[1].weight.asnumpy().copy()
        try:
            missing, _ = ms.load_param_into_net(net, {"0.weight": param("0.weight", 3.0)}, strict_load=strict)
            out[f"missing keys, strict_load={strict}"] = {
                "param_not_load": missing, "1.weight unchanged": bool(np.array_equal(before, net[1].weight.asnumpy()))}
        except Exception as error:  # noqa: BLE001  (a probe)
            out[f"missing keys, strict_load={strict}"] = first_line(error)
        net = fresh()
        _, unused = ms.load_param_into_net(net, {"prefix.0.weight": param("prefix.0.weight", 3.0)}, strict_load=strict)
        out[f"name suffix, strict_load={strict}"] = {"loaded": float(net[0].weight.asnumpy()[0, 0]) == 3.0,
                                                     "ckpt_not_load": unused}
        net = fresh()
        with quiet_python_log():
            try:
                ms.load_param_into_net(net, {"0.weight": param("0.weight", 3.0, np.float16)}, strict_load=strict)
                out[f"float16 into float32, strict_load={strict}"] = f"loaded as {net[0].weight.dtype}"
            except Exception as error:  # noqa: BLE001  (a probe)
                out[f"float16 into float32, strict_load={strict}"] = first_line(error)
    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 2))
    try:
        net.load_state_dict({"0.weight": torch.ones(2, 2)}, strict=True)
        out["torch strict=True, missing keys"] = "loaded"
    except RuntimeError as error:
        out["torch strict=True, missing keys"] = first_line(error)
    out["defaults"] = (inspect.signature(ms.load_param_into_net).parameters["strict_load"].default,
                       inspect.signature(ms.load_checkpoint).parameters["strict_load"].default)
    if earlier:  # implied: strict_load=True rejects missing keys
        assert isinstance(out["missing keys, strict_load=True"], str), out
    for strict in (False, True):
        missing = out[f"missing keys, strict_load={strict}"]
        assert isinstance(missing, dict) and "1.weight" in missing["param_not_load"], out
        assert missing["1.weight unchanged"], out
    assert out["name suffix, strict_load=False"]["loaded"] and not out["name suffix, strict_load=True"]["loaded"], out
    assert out["float16 into float32, strict_load=False"].startswith("loaded as Float32"), out
    assert out["float16 into float32, strict_load=True"].startswith("RuntimeError"), out
    assert out["torch strict=True, missing keys"].startswith("RuntimeError") and out["defaults"] == (False, False), out
    return out


@claim("jcrnet_key_counts", "Saving and loading weights",
       "JCRNet (published): torch's state_dict has 168 tensors, MindSpore's net 160 parameters: the 8 "
       "num_batches_tracked counters have no counterpart and the two shared PReLU slopes are stored once each (6 "
       "torch keys -> 2 MindSpore names)",
       "holds", flip={"torch_count": 160})
def check_jcrnet_key_counts(torch_count: int = 168):
    import mindspore_impl
    import torch_reference

    model = torch_reference.build_jcrnet("published")
    state = model.state_dict()
    ms_names = names(mindspore_impl.build_jcrnet("published"))
    prelu_paths = [n for n, m in model.named_modules(remove_duplicate=False) if isinstance(m, torch.nn.PReLU)]
    out = {"torch": len(state), "mindspore": len(ms_names),
           "num_batches_tracked": len([k for k in state if k.endswith("num_batches_tracked")]),
           "prelu_paths": len(prelu_paths), "prelu_in_mindspore": len([n for n in ms_names if n.endswith(".w")])}
    assert out["torch"] == torch_count and out["mindspore"] == 160 and out["num_batches_tracked"] == 8, out
    assert out["prelu_paths"] - out["prelu_in_mindspore"] == 4, out
    return out


# === ONNX export, containers ==========================================================================================

@claim("torch_onnx_export_default_needs_onnxscript", "ONNX export",
       "torch 2.13's torch.onnx.export defaults to dynamo=True, which needs onnxscript; dynamo=False (the TorchScript "
       "exporter, opset 17 here) works without it",
       "holds", not_here="where onnxscript is installed the default exporter runs; the check then only reports it")
def check_torch_onnx_export_default_needs_onnxscript():
    import onnx

    has_onnxscript = importlib.util.find_spec("onnxscript") is not None
    with tempfile.TemporaryDirectory() as folder:
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                torch.onnx.export(torch.nn.Linear(2, 2), (torch.ones(1, 2),), os.path.join(folder, "a.onnx"))
            default = "exported"
        except Exception as error:  # noqa: BLE001  (a probe)
            default = first_line(error)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(torch.nn.Linear(2, 2), (torch.ones(1, 2),), os.path.join(folder, "b.onnx"),
                              dynamo=False, opset_version=17)
        opset = onnx.load(os.path.join(folder, "b.onnx")).opset_import[0].version
    out = {"dynamo default": inspect.signature(torch.onnx.export).parameters["dynamo"].default,
           "onnxscript installed": has_onnxscript, "default export": default, "dynamo=False opset": opset}
    assert out["dynamo default"] is True and opset == 17, out
    assert has_onnxscript or "onnxscript" in default, out
    return out


@claim("mindspore_onnx_export", "ONNX export",
       "mindspore.onnx.export(net, *inputs, file_name, ..., dynamic_axes=None) exists in 2.10 and writes opset 11; "
       "mindspore.export(file_format='ONNX') still works but logs that it will be deleted",
       "holds")
def check_mindspore_onnx_export():
    import onnx

    x = mt(np.ones((1, 2), np.float32))
    logger = _silenced_logger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    with tempfile.TemporaryDirectory() as folder:
        ms.onnx.export(nn.Dense(2, 2), x, file_name=os.path.join(folder, "m.onnx"))
        opset = [(o.domain, o.version) for o in onnx.load(os.path.join(folder, "m.onnx")).opset_import]
        level = logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING)
        try:
            ms.export(nn.Dense(2, 2), x, file_name=os.path.join(folder, "old"), file_format="ONNX")
        finally:
            logger.removeHandler(handler)
            logger.setLevel(level)
        written = os.path.exists(os.path.join(folder, "old.onnx"))
    out = {"opset": opset, "dynamic_axes argument": "dynamic_axes" in inspect.signature(ms.onnx.export).parameters,
           "old export written": written, "old export log": stream.getvalue().strip()[:120]}
    assert ("", 11) in opset and out["dynamic_axes argument"] and written, out
    assert "mindspore.onnx.export" in out["old export log"], out
    return out


@claim("containers_name_children_by_index", "Containers",
       "nn.Sequential / SequentialCell built from a list and nn.ModuleList / CellList name their children by index "
       "(body.0, body.1) in both, so checkpoint paths agree; SequentialCell(OrderedDict) uses the keys",
       "holds", pages=(diff_page("SequentialCell"), MAPPING_TABLE))
def check_containers_name_children_by_index():
    class TorchHolder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.seq = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.Linear(2, 2))
            self.body = torch.nn.ModuleList([torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)])

    class MsHolder(nn.Cell):
        def __init__(self):
            super().__init__()
            self.seq = nn.SequentialCell([nn.Dense(2, 2), nn.ReLU(), nn.Dense(2, 2)])
            self.body = nn.CellList([nn.Dense(2, 2), nn.Dense(2, 2)])

    ordered = nn.SequentialCell(OrderedDict([("conv", nn.Dense(2, 2)), ("act", nn.ReLU())]))
    out = {"torch": list(TorchHolder().state_dict()), "ms": names(MsHolder()), "ordered_dict": names(ordered)}
    assert sorted(out["torch"]) == sorted(out["ms"]) and out["ordered_dict"] == ["conv.weight", "conv.bias"], out
    return out


# === runner ===========================================================================================================

@dataclass
class Outcome:
    """One claim run: passed (or, flipped, raised as it must), seconds, what it measured or why it failed."""

    slug: str
    flipped: bool
    passed: bool
    seconds: float
    measured: Optional[dict]
    error: str


_warmed = []


def _warm_synchronize() -> None:
    """The first ``synchronize()`` of a process does nothing on CPU (and logs an error); make it here, silently."""
    if not _warmed:
        with quiet_python_log():
            drain()
        _warmed.append(True)


def run(claim: Claim, flip: bool = False) -> Outcome:
    """Run one claim from fixed seeds. ``flip``: against its earlier / opposite text, where it passes only by failing
    one of its assertions (a crash is not a failed claim); a claim without ``flip`` arguments cannot be flipped."""
    if flip and not claim.flip:
        return Outcome(claim.slug, True, False, 0.0, None, "nothing to flip: the claim has no flip arguments")
    _warm_synchronize()
    torch.manual_seed(0)
    ms.set_seed(0)
    started = time.perf_counter()
    measured, error, asserted = None, "", False
    try:
        measured = claim.func(**(claim.flip if flip else {}))
    except AssertionError as why:
        error, asserted = str(why.args[0] if why.args else "assertion")[:600], True
    except Exception as why:  # noqa: BLE001  (reported as the claim's failure)
        error = first_line(why)
    late = drain()
    if late:
        error, asserted = f"late MindSpore error: {late}" + (f" (after: {error})" if error else ""), False
    passed = asserted if flip else not error
    return Outcome(claim.slug, flip, passed, time.perf_counter() - started, measured, error)


def by_row() -> Dict[str, List[Claim]]:
    """Row title -> its claims, in definition order."""
    rows: Dict[str, List[Claim]] = {}
    for item in CLAIMS.values():
        for row in item.rows:
            rows.setdefault(row, []).append(item)
    return rows

"""Both implementations against ``jcrnet_oracle``, a NumPy float64 forward pass that shares no code with the kit.

The cross-framework tests compare torch_reference with mindspore_impl, which are built from one spec; a misreading
of the architecture shared by both passes them. The oracle was written from the authors' MindSpore file instead, so
the last two tests apply two such shared misreadings and check that the oracle comparison fails while the two
implementations still agree with each other.
"""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Callable, Dict, Optional, Tuple

import torch  # first, before MindSpore

import mindspore as ms
import numpy as np
import pytest

import jcrnet_oracle
import mindspore_impl
import torch_reference
from jcrnet_kit.parity.tolerances import INDEPENDENT_ORACLE
from jcrnet_spec import architecture, mindspore_keys

ORACLE_RTOL = INDEPENDENT_ORACLE.value
CROSS_RTOL = INDEPENDENT_ORACLE.value  # the mutant tests show the cross-framework check passing where the oracle fails

REPO = Path(__file__).resolve().parents[1]
MS_LAYOUT = Path(__file__).parent / "fixtures" / "authors_ms_checkpoint_layout.tsv"
FORBIDDEN = ("torch", "mindspore", "jcrnet_spec", "torch_reference", "mindspore_impl", "convert", "jcrnet_kit")
COMPARED = ("enhanced", "stage1") + jcrnet_oracle.INTERMEDIATES
#: (preset, input shape, seed): batch 2, even H and W, H < W and H > W.
CASES = (("published", (2, 3, 32, 48), 0), ("published", (2, 3, 40, 24), 1),
         ("torch-defaults", (2, 3, 32, 48), 2), ("torch-defaults", (2, 3, 40, 24), 3))
MUTANT_CASE = ("published", (2, 3, 16, 24), 1)  # small: only needs to show a gross failure

#: Module attribute -> the tensors its call reveals, from (positional inputs, output).
TAPS: Dict[str, Callable] = {
    "sam12": lambda args, out: {"x1_img": args[1], "sam_feats": out[0]},
    "illum": lambda args, out: {"illum": out},
    "shallow_feat7": lambda args, out: {"x7_img": args[0]},
    "lbp": lambda args, out: {"lbp": out},
}


def build_models(preset: str, ms_params: Dict[str, np.ndarray]):
    """torch model and MindSpore net of ``preset`` in eval mode, loaded with MindSpore-named ``ms_params``."""
    model = torch_reference.build_jcrnet(preset, weights=ms_params).eval()
    net = mindspore_impl.build_jcrnet(preset, weights=ms_params)
    net.set_train(False)
    return model, net


def _run(model, call, to_numpy) -> Dict[str, np.ndarray]:
    seen: Dict[str, np.ndarray] = {}

    def tap(reveal):
        return lambda _module, args, out: seen.update({k: to_numpy(v) for k, v in reveal(args, out).items()})

    handles = [getattr(model, name).register_forward_hook(tap(reveal)) for name, reveal in TAPS.items()]
    try:
        enhanced, stage1 = call()
    finally:
        for handle in handles:
            handle.remove()
    return {"enhanced": to_numpy(enhanced), "stage1": to_numpy(stage1), **seen}


def run_torch(model, images: np.ndarray) -> Dict[str, np.ndarray]:
    with torch.no_grad():
        return _run(model, lambda: model(torch.from_numpy(images)), lambda t: t.detach().numpy().copy())


def run_mindspore(net, images: np.ndarray) -> Dict[str, np.ndarray]:
    from mindspore_impl.compat import mode

    with mode("pynative"):  # forward hooks run in PyNative only (Graph mode would compile the taps' source)
        return _run(net, lambda: net(ms.Tensor(images)), lambda t: t.asnumpy().copy())


@cache
def oracle_case(preset: str, shape: Tuple[int, ...], seed: int):
    params = jcrnet_oracle.random_params(preset, seed)
    images = np.random.default_rng(1000 + seed).uniform(0.0, 1.0, shape).astype(np.float32)
    return params, images, jcrnet_oracle.forward(params, images, preset)


def relative_errors(got: Dict[str, np.ndarray], reference: Dict[str, np.ndarray],
                    scale: Optional[Dict[str, np.ndarray]] = None) -> Dict[str, float]:
    """max |got - reference| / max |scale| (scale defaults to reference) per compared tensor, shapes checked first."""
    out = {}
    for name in COMPARED:
        assert got[name].shape == reference[name].shape, f"{name}: {got[name].shape} vs {reference[name].shape}"
        diff = np.abs(got[name].astype(np.float64) - reference[name].astype(np.float64)).max()
        out[name] = float(diff / np.abs((scale or reference)[name]).max())
    return out


def _table(**errors: Dict[str, float]) -> str:
    return "\n".join(f"{who:>10}: " + "  ".join(f"{k} {v:.2e}" for k, v in e.items()) for who, e in errors.items())


def compare_with_oracle(preset: str, shape: Tuple[int, ...], seed: int):
    """Relative errors of torch vs oracle, MindSpore vs oracle and torch vs MindSpore (on the oracle's scale)."""
    params, images, reference = oracle_case(preset, shape, seed)
    model, net = build_models(preset, params)
    got_torch, got_ms = run_torch(model, images), run_mindspore(net, images)
    return (relative_errors(got_torch, reference), relative_errors(got_ms, reference),
            relative_errors(got_torch, got_ms, scale=reference))


def _read_layout(path: Path):
    rows = []
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, shape = line.split("\t")[:2]
            rows.append((key, tuple(int(d) for d in shape.strip("()").split(",") if d.strip())))
    return rows


def test_oracle_layout_is_the_published_checkpoint():
    assert jcrnet_oracle.layout("published") == _read_layout(MS_LAYOUT)  # keys, shapes and save order


def test_oracle_torch_defaults_layout():
    published = dict(jcrnet_oracle.layout("published"))
    extra = {k: s for k, s in jcrnet_oracle.layout("torch-defaults") if k not in published}
    assert sorted(k for k in extra if not k.endswith(".bias")) == ["r0", "r6"]
    assert sum(k.endswith(".bias") for k in extra) == 35
    assert set(jcrnet_oracle.layout("torch-defaults")) == set(mindspore_keys(architecture("torch-defaults")))


def test_oracle_refuses_bad_params_and_images():
    params = jcrnet_oracle.random_params("published", 0)
    images = np.zeros((1, 3, 8, 8))
    broken = {k: v for k, v in params.items() if k != "tail.weight"}
    broken["tail.bias"] = np.zeros(3, np.float32)
    broken["concat67.weight"] = np.zeros((56, 80, 1, 1), np.float32)
    with pytest.raises(ValueError) as error:
        jcrnet_oracle.forward(broken, images)
    for part in ("missing 1 key(s): tail.weight", "unexpected 1 key(s): tail.bias",
                 "concat67.weight: shape expected (56, 80, 3, 3), found (56, 80, 1, 1)"):
        assert part in str(error.value)
    with pytest.raises(ValueError, match="missing 37 key"):
        jcrnet_oracle.forward(params, images, "torch-defaults")
    with pytest.raises(ValueError, match="even H and W"):
        jcrnet_oracle.forward(params, np.zeros((1, 3, 8, 7)))


def test_oracle_imports_no_framework_and_no_kit_code():
    for source in (REPO / "jcrnet_oracle").glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            assert not [n for n in names if n.split(".")[0] in FORBIDDEN], f"{source.name} imports {names}"
    code = "import json, sys, jcrnet_oracle; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert not [m for m in loaded if m.split(".")[0] in FORBIDDEN]


@pytest.mark.parametrize("preset, shape, seed", CASES, ids=[f"{p}-{s[2]}x{s[3]}" for p, s, _ in CASES])
def test_implementations_match_the_oracle(preset, shape, seed):
    torch_err, ms_err, cross_err = compare_with_oracle(preset, shape, seed)
    report = _table(torch=torch_err, mindspore=ms_err, cross=cross_err)
    assert max(torch_err.values()) <= ORACLE_RTOL, report
    assert max(ms_err.values()) <= ORACLE_RTOL, report


def _lbp_returning_low_plus_residual(self, x):
    x = self.fusion(x)
    low = self.conv2(self.conv1_1(x))
    return low + self.conv3(self.local_weight1_1(x) - low)


def _assert_only_the_oracle_sees_it(errors, changed, unchanged):
    torch_err, ms_err, cross_err = errors
    report = _table(torch=torch_err, mindspore=ms_err, cross=cross_err)
    for err in (torch_err, ms_err):
        assert all(err[name] > ORACLE_RTOL for name in changed), report
        assert all(err[name] <= ORACLE_RTOL for name in unchanged), report
    assert max(cross_err.values()) <= CROSS_RTOL, report


def test_oracle_catches_a_shared_lbp_misreading(monkeypatch):
    """The bug in BOTH block files: LBP returns low + residual. Measured over seeds 0-4 and three sizes: enhanced off
    by 0.17-0.40 of its scale, lbp by 0.5-1.3; everything upstream unchanged; torch vs MindSpore <= 1.9e-6."""
    import mindspore_impl.blocks
    import torch_reference.blocks

    monkeypatch.setattr(torch_reference.blocks.LBP, "forward", _lbp_returning_low_plus_residual)
    monkeypatch.setattr(mindspore_impl.blocks.LBP, "construct", _lbp_returning_low_plus_residual)
    _assert_only_the_oracle_sees_it(compare_with_oracle(*MUTANT_CASE), changed=("enhanced", "lbp"),
                                    unchanged=("stage1", "x1_img", "sam_feats", "illum", "x7_img"))


@pytest.fixture
def set_spec_constant():
    """Sets a constant of ``jcrnet_spec.architecture`` for one test. ``architecture`` caches its trees, so the
    cache is cleared after each change and again after the constant is restored."""
    spec_module = importlib.import_module("jcrnet_spec.architecture")
    clear = getattr(architecture, "cache_clear", lambda: None)
    with pytest.MonkeyPatch.context() as patch:
        yield lambda name, value: (patch.setattr(spec_module, name, value), clear())
    clear()


def test_oracle_catches_a_shared_spec_constant_change(set_spec_constant):
    """UNET_SLOPE 0.2 -> 0.1, followed by both frameworks. Measured over seeds 0-4 and three sizes, relative to each
    tensor's scale: enhanced 0.9-1.3e-2, stage1 2.1-3.0e-2, sam_feats 0.12-0.19, illum 4.5-7.1e-3, x7_img 1.9-3.1e-3;
    torch vs MindSpore <= 1.9e-6."""
    set_spec_constant("UNET_SLOPE", 0.1)
    _assert_only_the_oracle_sees_it(compare_with_oracle(*MUTANT_CASE), changed=("enhanced", "stage1", "sam_feats",
                                                                                 "illum", "x7_img"),
                                    unchanged=("x1_img", "lbp"))

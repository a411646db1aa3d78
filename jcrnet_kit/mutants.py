"""A catalogue of real porting bugs ("mutants"), each a small switch applied to the MindSpore model or to the
torch -> MindSpore weight conversion, and the runner behind ``jcrnet mutants``: the test suite must catch every one.

Each mutant patches MindSpore-side code (a leaf factory, a block's ``construct``, the assembly) or the conversion
functions and undoes it afterwards (``applied(name)``). The runner runs a fast subset of the parity tests once per
mutant in a subprocess with ``$JCRNET_MUTANT`` set (``parity_tests/conftest.py`` applies it) and records which test
ids fail. The torch reference is never touched, so every failure is the port's.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence

MUTANT_ENV = "JCRNET_MUTANT"
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutant:
    name: str
    bug: str  # the porting bug, as a porter would have written it
    patch: Callable[[contextlib.ExitStack], None]  # applies it; registers the undo on the stack


def _set(stack: contextlib.ExitStack, owner, name: str, value) -> None:
    """Set ``owner.name`` (or ``owner[name]`` for a dict) to ``value`` until the stack closes."""
    if isinstance(owner, dict):
        old = owner[name]
        owner[name] = value
        stack.callback(owner.__setitem__, name, old)
    elif isinstance(owner, type) and name not in owner.__dict__:  # inherited: remove the override afterwards
        setattr(owner, name, value)
        stack.callback(delattr, owner, name)
    else:
        old = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
        setattr(owner, name, value)
        stack.callback(setattr, owner, name, old)


def _set_everywhere(stack: contextlib.ExitStack, original, replacement) -> None:
    """Replace every module-level reference to ``original`` (``from x import f`` copies included)."""
    for module in list(sys.modules.values()):
        for name, value in list(getattr(module, "__dict__", {}).items()):
            if value is original:
                _set(stack, module, name, replacement)


def _leaf(stack, kind: str, factory) -> None:
    from mindspore_impl import layers

    _set(stack, layers.LEAF_FACTORIES, kind, factory)


def _construct(stack, cls, construct) -> None:
    _set(stack, cls, "construct", construct)


def _after_init(stack, cls, extra: Callable) -> None:
    original = cls.__init__

    def __init__(self, node, children):
        original(self, node, children)
        extra(self)

    _set(stack, cls, "__init__", __init__)


def _conversion(stack, transform: Callable[[str, str, object], object]) -> None:
    """Wrap both torch -> MindSpore converters (whole model, one layer) so that ``transform(kind, mindspore leaf name,
    array)`` rewrites each converted array."""
    import jcrnet_spec.naming as naming

    whole, local = naming.torch_to_mindspore, naming.torch_to_mindspore_at

    def torch_to_mindspore(state, arch):
        out = whole(state, arch)
        for entry in naming.param_table(arch):
            if entry.mindspore_key is not None:
                out[entry.mindspore_key] = transform(entry.kind, entry.rule.mindspore, out[entry.mindspore_key])
        return out

    def torch_to_mindspore_at(state, arch, path):
        out = local(state, arch, path)
        for n in naming.local_names(arch, path):
            if n.mindspore is not None:
                out[n.mindspore] = transform(n.kind, n.rule.mindspore, out[n.mindspore])
        return out

    _set_everywhere(stack, whole, torch_to_mindspore)
    _set_everywhere(stack, local, torch_to_mindspore_at)


def conv_has_bias_default(stack):
    from mindspore import nn

    _leaf(stack, "Conv2d", lambda leaf: nn.Conv2d(leaf.in_channels, leaf.out_channels, leaf.kernel_size,
                                                  stride=leaf.stride, pad_mode="pad", padding=leaf.pad))


def conv_pad_mode_same_default(stack):
    from mindspore import nn

    _leaf(stack, "Conv2d", lambda leaf: nn.Conv2d(leaf.in_channels, leaf.out_channels, leaf.kernel_size,
                                                  stride=leaf.stride, has_bias=leaf.bias))


def leaky_relu_default_slope(stack):
    from mindspore_impl import blocks

    _after_init(stack, blocks.SFTLayer, lambda self: setattr(self, "fused_slope", 0.2))


def leaky_relu_native_gradient(stack):
    from mindspore import nn, ops

    from mindspore_impl import blocks

    _set(stack, blocks, "leaky_relu", ops.leaky_relu)
    _leaf(stack, "LeakyReLU", lambda leaf: nn.LeakyReLU(alpha=leaf.negative_slope))


def batchnorm_momentum_convention(stack):
    from mindspore import nn

    _leaf(stack, "BatchNorm2d", lambda leaf: nn.BatchNorm2d(leaf.num_features, eps=leaf.eps, momentum=leaf.momentum))


def batchnorm_eps(stack):
    from mindspore import nn

    _leaf(stack, "BatchNorm2d", lambda leaf: nn.BatchNorm2d(leaf.num_features, eps=1e-3, momentum=1 - leaf.momentum))


def prelu_unshared(stack):
    import dataclasses

    import mindspore_impl
    from jcrnet_spec import assemble

    def unshared(arch, make_leaf, make_block):
        return assemble(dataclasses.replace(arch, shared_groups=()), make_leaf, make_block)

    _set(stack, mindspore_impl, "assemble", unshared)


def prelu_shared_across_models(stack):
    from mindspore_impl import layers

    made = {}
    original = layers.LEAF_FACTORIES["PReLU"]

    def once_per_process(leaf):  # ``def ResBlock(..., act=nn.PReLU())``: the default is made once, at import
        if leaf not in made:
            made[leaf] = original(leaf)
        return made[leaf]

    _leaf(stack, "PReLU", once_per_process)


def conv_transpose_weight_transposed(stack):
    _conversion(stack, lambda kind, name, a: a.transpose(1, 0, 2, 3).copy()
                if kind == "ConvTranspose2d" and name == "weight" else a)


def dense_weight_transposed(stack):
    _conversion(stack, lambda kind, name, a: a.T.copy() if kind == "Linear" and name == "weight" else a)


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

    _set_everywhere(stack, whole, torch_to_mindspore)
    _set_everywhere(stack, local, torch_to_mindspore_at)


def instance_norm_moving_statistics(stack):
    from mindspore import ops

    from mindspore_impl import layers

    def construct(self, x):  # ``use_batch_statistics=False``: normalise with the stored statistics
        mean = self.moving_mean.reshape(1, -1, 1, 1)
        var = self.moving_variance.reshape(1, -1, 1, 1)
        normed = (x - mean) / ops.sqrt(var + self.eps)
        return normed * self.gamma.reshape(1, -1, 1, 1) + self.beta.reshape(1, -1, 1, 1)

    _construct(stack, layers.InstanceNorm2d, construct)


def instance_norm_unbiased_variance(stack):
    from mindspore import ops

    from mindspore_impl import layers

    def construct(self, x):  # ``x.var(axis, ddof=1)``: torch's InstanceNorm uses the biased variance
        mean = x.mean(axis=(2, 3), keep_dims=True)
        count = x.shape[2] * x.shape[3]
        var = ops.square(x - mean).sum(axis=(2, 3), keepdims=True) / (count - 1)
        normed = (x - mean) / ops.sqrt(var + self.eps)
        return normed * self.gamma.reshape(1, -1, 1, 1) + self.beta.reshape(1, -1, 1, 1)

    _construct(stack, layers.InstanceNorm2d, construct)


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

    _construct(stack, blocks.UNetConvBlock, construct)


def avg_pool_wrong_axes(stack):
    from mindspore_impl import layers

    _construct(stack, layers.GlobalAvgPool, lambda self, x: x.mean(axis=2, keep_dims=True))


def concat_order_swapped(stack):
    from mindspore import ops

    from mindspore_impl import blocks

    def construct(self, x, bridge):
        return self.conv_block(ops.cat([bridge, self.up(x)], axis=1))

    _construct(stack, blocks.UNetUpBlock, construct)


def step_size_constant(stack):
    from mindspore_impl import layers

    original = layers.LEAF_FACTORIES["StepSize"]
    _leaf(stack, "StepSize", lambda leaf: original(leaf) if leaf.learnable else 0.5)


def sigmoid_vs_tanh(stack):
    from mindspore import nn

    from mindspore_impl import blocks

    _after_init(stack, blocks.IllumNet, lambda self: setattr(self, "tanh", nn.Tanh()))


def gradient_cut_rewrap(stack):
    from mindspore import Tensor

    from mindspore_impl import blocks

    original = blocks.IllumNet.construct

    def construct(self, x):  # the published ``Tensor(input)``; in PyNative only a host round trip cuts the graph
        return original(self, Tensor(x.asnumpy()))

    _construct(stack, blocks.IllumNet, construct)


def construct_named_forward(stack):
    from mindspore import nn

    from mindspore_impl import blocks

    cls = blocks.LightenBlock  # the published ``UpSample``: a Cell whose body is in ``forward``, a torch name
    _set(stack, cls, "forward", cls.construct)
    _set(stack, cls, "construct", nn.Cell.construct)


def lbp_returns_sum(stack):
    from mindspore_impl import blocks

    def construct(self, x):  # DLN's back-projection returns ``low + residual``; JCRNet's returns the residual only
        x = self.fusion(x)
        low = self.conv2(self.conv1_1(x))
        return low + self.conv3(self.local_weight1_1(x) - low)

    _construct(stack, blocks.LBP, construct)


CATALOGUE: Dict[str, Mutant] = {m.name: m for m in (
    Mutant("conv_has_bias_default", "nn.Conv2d(...) without has_bias: MindSpore's default is False, torch's True",
           conv_has_bias_default),
    Mutant("conv_pad_mode_same_default", "nn.Conv2d(...) without pad_mode: MindSpore's default 'same' ignores "
                                         "padding (the same numbers here, but not the same layer)",
           conv_pad_mode_same_default),
    Mutant("leaky_relu_default_slope", "ops.leaky_relu(x) after SFT2 with MindSpore's default slope 0.2 where torch's "
                                       "F.leaky_relu(x) defaults to 0.01", leaky_relu_default_slope),
    Mutant("leaky_relu_native_gradient", "MindSpore's own LeakyReLU: gradient (1 + slope) / 2 at exactly 0, torch's "
                                         "slope", leaky_relu_native_gradient),
    Mutant("batchnorm_momentum_convention", "nn.BatchNorm2d(momentum=0.1) copied from torch: MindSpore's momentum is "
                                            "the weight of the old value (torch 0.1 = MindSpore 0.9)",
           batchnorm_momentum_convention),
    Mutant("batchnorm_eps", "BatchNorm eps 1e-3 (Keras's default) instead of 1e-5", batchnorm_eps),
    Mutant("prelu_unshared", "one PReLU per ResBlock where the published code shares one slope", prelu_unshared),
    Mutant("prelu_shared_across_models", "def ResBlock(..., act=nn.PReLU()): the default slope is made once and "
                                         "shared by every model in the process", prelu_shared_across_models),
    Mutant("conv_transpose_weight_transposed", "ConvTranspose weight converted as (out, in, kH, kW); both frameworks "
                                               "store (in, out, kH, kW)", conv_transpose_weight_transposed),
    Mutant("dense_weight_transposed", "Linear -> Dense weight transposed; both store (out, in)",
           dense_weight_transposed),
    Mutant("batchnorm_gamma_beta_swapped", "BatchNorm weight/bias mapped to beta/gamma", batchnorm_gamma_beta_swapped),
    Mutant("instance_norm_moving_statistics", "InstanceNorm normalising with its moving statistics (MindSpore keeps "
                                              "them; torch's affine InstanceNorm2d never uses any)",
           instance_norm_moving_statistics),
    Mutant("instance_norm_unbiased_variance", "InstanceNorm with the unbiased variance (ddof=1); torch's is biased",
           instance_norm_unbiased_variance),
    Mutant("hin_wrong_half", "half-instance-norm applied to the second half of the channels", hin_wrong_half),
    Mutant("avg_pool_wrong_axes", "global average pool as a mean over H only", avg_pool_wrong_axes),
    Mutant("concat_order_swapped", "UNetUpBlock concatenates [bridge, up] instead of [up, bridge]",
           concat_order_swapped),
    Mutant("step_size_constant", "published step sizes r0 = 0.4412, r6 = 0.4965 replaced by DGUNet's 0.5",
           step_size_constant),
    Mutant("sigmoid_vs_tanh", "the illumination net's last activation built as nn.Tanh (its attribute is called "
                              "tanh; it is a Sigmoid)", sigmoid_vs_tanh),
    Mutant("construct_named_forward", "a Cell's body written as forward() (the torch name), as in the published "
                                      "UpSample: MindSpore never calls it", construct_named_forward),
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


#: The tests each mutant runs against, in this order: the per-layer test of every composite block (a leaf's bug shows
#: in the blocks around it; leaves are left out to keep the run short), conformance, whole-model backward and forward.
SUITE = (
    "parity_tests/test_layer_parity.py::test_layer_parity[<every block>]",
    "parity_tests/test_conformance.py",
    "parity_tests/test_training_parity.py::test_whole_model_gradients",
    "parity_tests/test_forward_parity.py::test_forward_parity_pynative",
)


def suite_tests() -> List[str]:
    """``SUITE`` as pytest node ids."""
    from jcrnet_spec import PRESETS, Block, architecture
    from jcrnet_spec.dataflow import depends_on_mode, layers

    tests = []
    for preset in PRESETS:
        for path, node in layers(architecture(preset)):
            if isinstance(node, Block):
                for mode in (("eval", "train") if depends_on_mode(node) else ("eval",)):
                    tests.append(f"parity_tests/test_layer_parity.py::test_layer_parity[{preset}-{path}-{mode}]")
    return tests + list(SUITE[1:])


def failing_tests(output: str) -> List[str]:
    """Node ids of the FAILED / ERROR lines of pytest's short summary (``-rfE``)."""
    ids = []
    for line in output.splitlines():
        for tag in ("FAILED ", "ERROR "):
            if line.startswith(tag):
                node = line[len(tag):].split(" - ")[0].strip()
                if node not in ids:
                    ids.append(node)
    return ids


def run_suite(mutant: Optional[str], tests: Optional[Sequence[str]] = None, timeout: float = 900,
              threads: Optional[int] = None) -> dict:
    """Run ``tests`` (default ``suite_tests()``) in a subprocess with ``mutant`` applied (None: unmutated); returns
    the failing test ids and the time taken. ``threads`` caps the subprocess's math threads."""
    tests = suite_tests() if tests is None else tests
    env = {k: v for k, v in os.environ.items() if k != MUTANT_ENV}
    if threads:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    if mutant:
        env[MUTANT_ENV] = mutant
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH"))))
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
                           "-rfE", "--tb=no", *tests], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    failed = failing_tests(proc.stdout)
    if proc.returncode not in (0, 1) and not failed:
        failed = [f"(pytest exited {proc.returncode}: {proc.stdout.strip().splitlines()[-1:] or proc.stderr[-200:]})"]
    return {"failed": failed, "seconds": round(time.perf_counter() - start, 1), "returncode": proc.returncode}


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("mutants", help="run the parity tests against a catalogue of porting bugs")
    p.add_argument("--json", type=Path, default=None, help="write the results here")
    p.add_argument("--only", default=None, help="comma-separated mutant names (default: all)")
    p.add_argument("--jobs", type=int, default=2, help="mutants run at once (default 2)")
    p.add_argument("--list", action="store_true", help="list the catalogue and exit")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from jcrnet_kit.errors import KitError

    if args.list:
        for mutant in CATALOGUE.values():
            print(f"{mutant.name:<34} {mutant.bug}")
        return 0
    names = list(CATALOGUE) if not args.only else [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in CATALOGUE]
    if unknown:
        raise KitError(f"unknown mutant(s) {', '.join(unknown)}; see jcrnet mutants --list")
    print(f"jcrnet mutants: {len(names)} porting bugs, each against {len(suite_tests())} tests "
          f"({'; '.join(s.split('/')[-1] for s in SUITE)}), {args.jobs} at a time")
    jobs = max(1, args.jobs)
    threads = max(1, (os.cpu_count() or 1) // jobs)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        runs = list(pool.map(lambda name: run_suite(name, threads=threads), [None, *names]))
    baseline, results = runs[0], dict(zip(names, runs[1:]))
    if baseline["failed"]:
        raise KitError(f"the unmutated suite fails ({', '.join(baseline['failed'][:3])}); fix that first")
    print(f"unmutated suite passes ({baseline['seconds']} s)")
    rows = []
    for name in names:
        caught_by = results[name]["failed"]
        rows.append({"name": name, "bug": CATALOGUE[name].bug, "caught": bool(caught_by), "caught_by": caught_by,
                     "seconds": results[name]["seconds"]})
        first = caught_by[0] if caught_by else "SURVIVED"
        more = f" (+{len(caught_by) - 1} more)" if len(caught_by) > 1 else ""
        print(f"{'caught  ' if caught_by else 'SURVIVED'} {name:<34} {first}{more}")
    caught = sum(row["caught"] for row in rows)
    print(f"{caught}/{len(rows)} mutants caught")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        from convert.atomic import write_text

        write_text(args.json, json.dumps({"total": len(rows), "caught": caught, "suite": list(SUITE),
                                         "mutants": rows}, indent=2))
        print(f"wrote {args.json}")
    return 0 if caught == len(rows) else 1

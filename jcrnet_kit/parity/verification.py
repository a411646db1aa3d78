"""``jcrnet verify``'s engine: one case (weights, image, MindSpore mode) checked the way the test suite checks the port.

The torch side (fp32 and the fp64 oracle) is computed first into a ``Reference`` (live, or read from a reference
file on a machine without torch); the MindSpore side is then run part by part and judged against it:

1. whole-model outputs;
2. every spec layer inside the whole model (forward, execution order);
3. every spec layer alone on what it receives inside the model (a small crop of the image): output, input and
   parameter gradients, running statistics, eval and train mode — the per-layer test of the suite;
4. the whole-model backward (loss and every parameter's gradient, eval and train mode);
5. training parity (Adam steps in eval and train mode).

A MindSpore part that raises is a failed part with its error named, never a traceback; the verdict names the first
failing layer in execution order (preferring a layer that fails alone: its own computation differs) and counts the
layers the case exercised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

from jcrnet_kit.parity.checks import Check
from jcrnet_kit.parity.gradients import GradientReference
from jcrnet_kit.parity.in_model import InModelReference, LayerRow
from jcrnet_kit.parity.outputs import OutputRow, judge_outputs
from jcrnet_kit.parity.per_layer import LayerReference
from jcrnet_kit.parity.trajectories import Trajectory, TrainingParity
from jcrnet_spec import Architecture, Block
from jcrnet_spec.errors import first_line

#: Each layer alone runs on this crop of the image (two crops make the batch: BatchNorm needs N*H*W > 1).
LAYER_CROP = (16, 24)
PARTS = ("outputs", "in_model", "layers", "gradients", "training")
Progress = Callable[[str], None]


def layer_crop(x: np.ndarray, crop: Tuple[int, int] = LAYER_CROP) -> np.ndarray:
    """Two crops of at most ``crop`` (even sides) from the image batch: its first image's top-left and its last
    image's bottom-right corner, so the batch holds two different patches."""
    h, w = (min(side, limit) // 2 * 2 for side, limit in zip(x.shape[2:], crop))
    return np.ascontiguousarray(np.stack([x[0, :, :h, :w], x[-1, :, -h:, -w:]]))


@dataclass
class Case:
    """What one verification checks: a preset's weights (torch naming, float32), an image batch, MindSpore's mode."""

    arch: Architecture
    state: Dict[str, np.ndarray]
    x: np.ndarray
    ms_mode: str = "graph"
    training_steps: int = 10
    seed: int = 0
    parts: Tuple[str, ...] = PARTS
    weights_text: str = ""
    input_text: str = ""
    crop: Tuple[int, int] = LAYER_CROP  # each layer alone runs on two crops of this size
    blocks_only: bool = False  # alone: composite blocks only (a leaf's bug shows in the blocks around it)


@dataclass
class Reference:
    """The torch side of a case."""

    outputs32: Tuple[np.ndarray, ...]
    outputs64: Tuple[np.ndarray, ...]
    in_model: Optional[InModelReference] = None
    layers: List[LayerReference] = field(default_factory=list)  # execution order
    gradients: Dict[str, GradientReference] = field(default_factory=dict)  # by mode
    batches: List[Tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    trajectories: Dict[str, Tuple[Trajectory, Trajectory]] = field(default_factory=dict)  # mode -> (fp32, fp64)
    spreads: Dict[str, Dict[str, float]] = field(default_factory=dict)  # mode -> figure -> fp64 spread (train mode)


@dataclass
class Report:
    """Everything one verification found."""

    case: Case
    outputs: List[OutputRow] = field(default_factory=list)
    rows: List[LayerRow] = field(default_factory=list)
    layer_checks: List[Check] = field(default_factory=list)
    layer_modes: List[str] = field(default_factory=list)  # "eval" / "train", one per layer check
    gradients: Dict[str, List[Check]] = field(default_factory=dict)
    training: List[TrainingParity] = field(default_factory=list)
    errors: Dict[str, str] = field(default_factory=dict)  # part -> why it could not be judged
    enhanced: Dict[str, np.ndarray] = field(default_factory=dict)  # "torch", "mindspore": the enhanced images

    def failed_parts(self) -> List[str]:
        failed = [part for part in self.errors]
        if any(row.status == "FAIL" for row in self.outputs):
            failed.append("outputs")
        if any(row.status == "FAIL" for row in self.rows):
            failed.append("in_model")
        if any(c.status == "FAIL" for c in self.layer_checks):
            failed.append("layers")
        if any(c.status == "FAIL" for checks in self.gradients.values() for c in checks):
            failed.append("gradients")
        if any(not t.passed for t in self.training):
            failed.append("training")
        return sorted(set(failed), key=PARTS.index)

    @property
    def passed(self) -> bool:
        return not self.failed_parts()

    def first_failing_layer(self) -> Optional[str]:
        """In execution order: the first layer whose own computation differs (fails alone), else the first layer whose
        output inside the model fails; where the layer failing alone is a block and the first failing row inside the
        model lies within it, that row (more precise: a block checked alone does not say which of its layers)."""
        alone = next((c.layer for c in self.layer_checks if c.status == "FAIL"), None)
        inside = next((row.path for row in self.rows if row.status == "FAIL"), None)
        if alone is not None and inside is not None and inside.startswith(alone + "."):
            return inside
        return alone or inside

    def first_nonfinite_layer(self) -> Optional[str]:
        return next((row.path for row in self.rows if row.nonfinite), None)

    def exercised(self) -> Tuple[int, int]:
        """(exercised, all) in-model rows: a row whose fp64 output is 0 everywhere compares 0 with 0."""
        return sum(row.exercised for row in self.rows), len(self.rows)

    def _checks_by_part(self) -> Dict[str, List[Tuple[float, str]]]:
        """Per part that ran, every check's (margin, name)."""
        groups = {"outputs": [(r.check.margin, r.name) for r in self.outputs],
                  "in_model": [(r.margin, r.path) for r in self.rows],
                  "layers": [(c.margin, f"{c.layer} {c.name} ({mode} mode, alone)")
                             for c, mode in zip(self.layer_checks, self.layer_modes)],
                  "gradients": [(c.margin, f"{c.layer} {c.name} ({mode} mode)")
                                for mode, checks in self.gradients.items() for c in checks],
                  "training": [(f.margin, f"{t.mode} mode {f.name}") for t in self.training for f in t.figures]}
        return {part: values for part, values in groups.items() if values and part not in self.errors}

    def margins(self) -> Dict[str, float]:
        """Worst observed / allowed per part (<= 1 passes; inf: non-finite or a part that did not run)."""
        return {**{part: float("inf") for part in self.errors},
                **{part: max(v[0] for v in values) for part, values in self._checks_by_part().items()}}

    def closest(self) -> Dict[str, str]:
        """Per part, which check gave its margin in ``margins`` (a part that could not run: its error)."""
        return {**{part: f"not run: {error}" for part, error in self.errors.items()},
                **{part: max(values, key=lambda v: v[0])[1] for part, values in self._checks_by_part().items()}}


def torch_reference(case: Case, store, progress: Progress = lambda _: None) -> Reference:
    """The torch side of ``case``; the in-model arrays go to ``store`` (an ``ArrayStore``)."""
    import torch

    import torch_reference as tr
    from jcrnet_kit.parity import gradients, in_model, per_layer, trajectories
    from jcrnet_kit.parity.cases import modes_of
    from jcrnet_kit.parity.gradients import checked
    from jcrnet_kit.parity.hooks import record_torch

    arch, state = case.arch, case.state
    progress("torch: whole model")
    model = tr.build_jcrnet(arch, weights=checked(arch.preset.name, state)).eval()
    with torch.no_grad():
        outputs32 = tuple(t.numpy() for t in model(torch.from_numpy(case.x)))
        outputs64 = tuple(t.numpy() for t in model.double()(torch.from_numpy(case.x).double()))
    ref = Reference(outputs32, outputs64)
    if "in_model" in case.parts:
        progress("torch: every layer inside the model (fp32, fp64)")
        ref.in_model = in_model.torch_in_model(arch, state, case.x, store)
    if "layers" in case.parts:
        crop = layer_crop(case.x, case.crop)
        model = tr.build_jcrnet(arch, weights=checked(arch.preset.name, state)).eval()
        recorder = record_torch(arch, model, crop, keep_inputs=True, keep_outputs=False)
        paths = [p for p in recorder.completed if not case.blocks_only or isinstance(arch.node(p), Block)]
        for i, path in enumerate(paths):
            progress(f"torch: layer {i + 1}/{len(paths)} alone ({path})")
            for mode in modes_of(arch.node(path)):
                ref.layers.append(per_layer.torch_layer_reference(arch, path, state, recorder.records[path]["inputs"],
                                                                  mode == "train"))
    if "gradients" in case.parts or "training" in case.parts:
        ref.batches = gradients.batches(max(case.training_steps, 1), case.seed)
    for train in (False, True):
        mode = "train" if train else "eval"
        if "gradients" in case.parts:
            progress(f"torch: whole-model gradients, {mode} mode")
            ref.gradients[mode] = gradients.torch_gradients(arch.preset.name, state, *ref.batches[0], train)
        if "training" in case.parts and case.training_steps > 0:
            progress(f"torch: {case.training_steps} Adam steps, {mode} mode (fp32, fp64)")
            data = ref.batches[:case.training_steps]
            ref.trajectories[mode] = (trajectories.torch_trajectory(arch.preset.name, state, data, train),
                                      trajectories.torch_trajectory(arch.preset.name, state, data, train,
                                                                    "float64"))
            if train:
                progress(f"torch: {case.training_steps} Adam steps, {mode} mode (fp64, gradients within budget)")
                ref.spreads[mode] = trajectories.spread(arch.preset.name, state, data, train, ref.trajectories[mode][1])
    return ref


def mindspore_side(case: Case, ref: Reference, progress: Progress = lambda _: None,
                   stop_at_failure: bool = False) -> Report:
    """Run every part of ``case`` in MindSpore and judge it against the torch ``ref``. ``stop_at_failure``: skip the
    parts after the first failing one; for the mutant sweep, where one failing part is the catch (a report stopped at
    the whole-model outputs names no layer)."""
    import mindspore as ms

    import mindspore_impl
    from jcrnet_kit.parity import gradients, in_model, per_layer, trajectories
    from jcrnet_kit.parity.gradients import checked
    from mindspore_impl.compat import mode, retry_spurious_compile_error

    arch, state, report = case.arch, case.state, Report(case)

    def part(name: str, run: Callable[[], None]) -> None:
        try:
            run()
        except Exception as error:  # a port that crashes fails the part; the verdict names why
            report.errors[name] = f"{type(error).__name__}: {first_line(error)}"

    def outputs():
        progress(f"MindSpore: whole model ({case.ms_mode})")

        def run():
            net = mindspore_impl.build_jcrnet(arch, weights=checked(arch.preset.name, state))
            net.set_train(False)
            with mode(case.ms_mode):
                return tuple(t.asnumpy() for t in net(ms.Tensor(case.x)))

        ported = retry_spurious_compile_error(run)
        report.outputs = judge_outputs(ref.outputs32, ref.outputs64, ported)
        report.enhanced = {"torch": ref.outputs32[0], "mindspore": ported[0]}

    def inside():
        progress("MindSpore: every layer inside the model (PyNative hooks)")
        net = mindspore_impl.build_jcrnet(arch, weights=checked(arch.preset.name, state))
        net.set_train(False)
        report.rows = in_model.mindspore_in_model(arch, net, case.x, ref.in_model)

    def alone():
        for i, layer_ref in enumerate(ref.layers):
            progress(f"MindSpore: layer check {i + 1}/{len(ref.layers)} ({layer_ref.path})")
            ported = per_layer.mindspore_layer_values(arch, layer_ref.path, state, layer_ref)
            checks = per_layer.judge_layer(arch, layer_ref, ported)
            report.layer_checks += checks
            report.layer_modes += ["train" if layer_ref.train else "eval"] * len(checks)

    def backward():
        for mode_name, grad_ref in ref.gradients.items():
            progress(f"MindSpore: whole-model gradients, {mode_name} mode")
            loss, grads = gradients.mindspore_gradients(arch.preset.name, state, *ref.batches[0], grad_ref.train)
            report.gradients[mode_name] = gradients.judge_gradients(arch.preset.name, grad_ref, loss, grads)

    def training():
        for mode_name, (fp32, fp64) in ref.trajectories.items():
            progress(f"MindSpore: {case.training_steps} Adam steps, {mode_name} mode")
            train = mode_name == "train"
            ported = trajectories.mindspore_trajectory(arch.preset.name, state, ref.batches[:case.training_steps],
                                                       train)
            report.training.append(trajectories.judge_training(arch.preset.name, train, state, fp32, fp64, ported,
                                                               ref.spreads.get(mode_name)))

    part("outputs", outputs)
    if stop_at_failure and report.failed_parts():
        return report
    planned = [("in_model", inside, ref.in_model is not None), ("layers", alone, bool(ref.layers)),
               ("gradients", backward, bool(ref.gradients)), ("training", training, bool(ref.trajectories))]
    for name, run, present in planned:
        if present and name in case.parts:
            part(name, run)
            if stop_at_failure and report.failed_parts():
                break
    return report


def verify(case: Case, progress: Progress = lambda _: None) -> Report:
    """Both sides of ``case`` in this process (torch and MindSpore), in-model arrays in a temporary folder."""
    from jcrnet_kit.parity.store import scratch_store

    with scratch_store() as store:
        return mindspore_side(case, torch_reference(case, store, progress), progress)

"""The recipe's optimiser in both frameworks (``jcrnet_kit.train.optim``): stock ``torch.optim.Adam`` and
``mindspore.experimental.optim.AdamW(weight_decay=0)`` take the same steps, each at the schedule's learning rate, in
PyNative and Graph; MindSpore's optimiser state round-trips exactly and ``jcrnet train --resume`` continues a MindSpore
run; a state file of the earlier optimiser is refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import mindspore as ms
from jcrnet_kit.cli import main
from jcrnet_kit.errors import KitError
from jcrnet_kit.parity.tolerances import CLAIM_SAME_UPDATE, FLOAT32_ROUNDING, RUN_PAIR_WEIGHTS
from jcrnet_kit.train.optim import (
    check_learning_rate, constant, current_lr, load_mindspore_state, mindspore_adam, mindspore_state, recipe_schedule,
    torch_adam,
)
from mindspore_impl.compat import mode

STEPS = 12
SCHEDULE = recipe_schedule(STEPS, 4)


def _gradients(steps: int = STEPS):
    """Per-step gradients of one 400-element parameter, from ~1e-1 down to ~1e-11 (around Adam's eps, 1e-8)."""
    r = np.random.default_rng(0)
    return [(r.standard_normal(400) * np.logspace(-11, -1, 400)).astype(np.float32) for _ in range(steps)]


def _start() -> np.ndarray:
    return np.random.default_rng(1).standard_normal(400).astype(np.float32)


def _torch_run(schedule, grads):
    p = torch.nn.Parameter(torch.from_numpy(_start()))
    opt, scheduler = torch_adam([p], schedule)
    lrs = []
    for g in grads:
        lrs.append(current_lr(scheduler))
        p.grad = torch.from_numpy(g)
        opt.step()
        scheduler.step()
    return p.detach().numpy().astype(np.float64), lrs


def _mindspore_pair():
    p = ms.Parameter(ms.Tensor(_start()), name="w")
    opt, scheduler = mindspore_adam([p], SCHEDULE)
    return p, opt, scheduler


@pytest.mark.parametrize("mode_name", ["pynative", "graph"])
def test_mindspore_adam_is_torch_adam_in_both_modes(mode_name):
    grads = _gradients()
    ref, torch_lrs = _torch_run(SCHEDULE, grads)
    with mode(mode_name):
        p, opt, scheduler = _mindspore_pair()
        ms_lrs = []
        for g in grads:
            ms_lrs.append(current_lr(scheduler))
            opt((ms.Tensor(g),))
            scheduler.step()
        got = p.asnumpy().astype(np.float64)
    update = np.abs(ref - _start()).max()
    assert np.abs(got - ref).max() / update < CLAIM_SAME_UPDATE.value
    assert torch_lrs == [SCHEDULE(t) for t in range(1, STEPS + 1)]
    assert ms_lrs == [float(np.float32(SCHEDULE(t))) for t in range(1, STEPS + 1)]


def test_recipe_schedule_reaches_both_optimisers():
    """The schedule changes the steps (a constant rate gives other weights), and a run whose learning rate is not the
    scheduler's is refused."""
    grads = _gradients()
    scheduled, _ = _torch_run(SCHEDULE, grads)
    flat, _ = _torch_run(constant(SCHEDULE(1)), grads)
    assert np.abs(scheduled - flat).max() > 100 * FLOAT32_ROUNDING.atol
    check_learning_rate(3, SCHEDULE(3), float(np.float32(SCHEDULE(3))))
    with pytest.raises(RuntimeError, match="step 3"):
        check_learning_rate(3, SCHEDULE(3), SCHEDULE(4))


def test_mindspore_optimiser_state_round_trips_exactly(tmp_path):
    grads = _gradients(5)
    p, opt, scheduler = _mindspore_pair()
    for g in grads[:3]:
        opt((ms.Tensor(g),))
        scheduler.step()
    path = str(tmp_path / "state.ckpt")
    ms.save_checkpoint([{"name": q.name, "data": q} for q in mindspore_state(opt, scheduler)], path)
    weights = p.asnumpy().copy()
    saved = {name: q.asnumpy() for name, q in ms.load_checkpoint(path).items()}

    p2, opt2, scheduler2 = _mindspore_pair()
    p2.set_data(ms.Tensor(weights))
    load_mindspore_state(opt2, scheduler2, saved)
    assert {q.name: q.asnumpy().tolist() for q in mindspore_state(opt2, scheduler2)} == \
        {q.name: q.asnumpy().tolist() for q in mindspore_state(opt, scheduler)}
    for g in grads[3:]:
        for o, s in ((opt, scheduler), (opt2, scheduler2)):
            o((ms.Tensor(g),))
            s.step()
    assert np.array_equal(p.asnumpy(), p2.asnumpy())
    assert current_lr(scheduler) == current_lr(scheduler2) == float(np.float32(SCHEDULE(6)))

    with pytest.raises(KeyError):
        load_mindspore_state(opt2, scheduler2, {k: v for k, v in saved.items() if k != "state_step"})
    with pytest.raises(ValueError, match="does not have"):
        load_mindspore_state(opt2, scheduler2, {**saved, "moment1.w": saved["exp_avg.w"]})


TINY = ["--data", "synthetic", "--patch", "32", "--batch", "2", "--val-every", "0"]


def _losses(path: Path) -> list:
    return [row["loss"] for row in json.loads(path.read_text())["steps"]]


def test_mindspore_resume_continues_exactly(tmp_path):
    """Step 2 from the step-1 checkpoint: the same loss (the weights come back bit for bit), the same optimiser state
    and weights within what MindSpore's own run-to-run differences allow (its CPU gradients vary at round-off between
    identical calls, ~7e-8, which Adam can turn into up to ~lr for an element whose gradient is round-off)."""
    from safetensors.numpy import load_file

    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    assert main(["train", "--framework", "mindspore", "--ms-mode", "pynative", *TINY, "--steps", "2",
                 "--warmup-steps", "1", "--save-every", "1", "--out", str(straight), "--json",
                 str(tmp_path / "straight.json")]) == 0
    assert main(["train", "--resume", str(straight / "step_000001.ckpt"), "--out", str(resumed), "--val-every", "0",
                 "--json", str(tmp_path / "resumed.json")]) == 0
    last = json.loads((tmp_path / "straight.json").read_text())["steps"][-1]
    assert [row["step"] for row in json.loads((tmp_path / "resumed.json").read_text())["steps"]] == [2]
    assert abs(_losses(tmp_path / "straight.json")[-1] - _losses(tmp_path / "resumed.json")[0]) <= \
        FLOAT32_ROUNDING.atol
    a, b = load_file(str(straight / "step_000002.safetensors")), load_file(str(resumed / "step_000002.safetensors"))
    assert sorted(a) == sorted(b)
    worst = max(float(np.abs(a[k].astype(np.float64) - b[k]).max(initial=0.0)) for k in a)
    assert worst <= RUN_PAIR_WEIGHTS.value * last["lr"]
    # The optimiser states after step 2: the step count, scheduler position and learning rate exactly; the moments
    # within 0.1 x the gradients' run-to-run round-off (a state not restored would leave 0.9 x the step-1 moments out).
    sa, sb = (ms.load_checkpoint(str(run / "step_000002.state.ckpt")) for run in (straight, resumed))
    assert sorted(sa) == sorted(sb)
    for name in ("state_step", "learning_rate_group_0", "last_epoch_LambdaLR"):
        assert sa[name].asnumpy().tolist() == sb[name].asnumpy().tolist(), name
    assert int(sa["state_step"].asnumpy()) == 2
    moments = [k for k in sa if k.startswith("exp_avg")]
    assert max(float(np.abs(sa[k].asnumpy() - sb[k].asnumpy()).max()) for k in moments) <= FLOAT32_ROUNDING.atol


def test_a_state_file_of_the_earlier_optimiser_is_refused(tmp_path):
    from jcrnet_kit.train.torch_trainer import TorchTrainer
    from jcrnet_spec import architecture, seeded_weights

    trainer = TorchTrainer("published", seeded_weights(architecture("published"), 0), "CPU", 1, 0)
    stem = tmp_path / "step_000001"
    torch.save({"optimizer": trainer.opt.state_dict()}, str(stem) + ".state.pth")  # the layout before STATE_FORMAT 2
    with pytest.raises(KitError, match="older"):
        trainer.load_state(stem)

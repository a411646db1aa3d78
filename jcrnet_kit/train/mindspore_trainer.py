"""The recipe in MindSpore, one process or data parallel under msrun."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

from jcrnet_kit.errors import KitError
from jcrnet_kit.train.optim import (
    Schedule, check_learning_rate, constant, current_lr, load_mindspore_state, mindspore_adam, mindspore_state,
)


class MindSporeTrainer:
    """The recipe in MindSpore: ``value_and_grad`` of the shared loss, ``experimental.optim.AdamW(weight_decay=0)``
    (torch's Adam) with its ``LambdaLR`` per step (``jcrnet_kit.train.optim``; default: the recipe's constant learning
    rate); data parallel through ``DistributedGradReducer`` (mean)."""

    framework = "mindspore"

    def __init__(self, preset: str, state: Dict[str, np.ndarray], device: str, world: int, mode: str,
                 schedule: Optional[Schedule] = None, conv: Optional[str] = None):
        """``conv``: the convolutions' backward (``mindspore_impl.layers.CONV_BACKWARDS``; None: ``$JCRNET_MS_CONV``,
        else ``auto``: the low-memory one on CPU)."""
        import mindspore as ms
        from mindspore import nn

        import mindspore_impl
        from jcrnet_kit.parity.gradients import build_mindspore, mindspore_loss_fn

        mindspore_impl.configure(device=device, mode=mode)
        self.ms, self.preset, self.world = ms, preset, world
        self.net = build_mindspore(preset, state, train=True, conv=conv)  # auto: the low-memory backward on CPU
        self.opt, self.scheduler = mindspore_adam(self.net.trainable_params(), schedule or constant())
        grad_fn = mindspore_loss_fn(self.net)
        self.grad_fn = ms.jit(grad_fn) if mode == "graph" else grad_fn
        self.reducer = nn.DistributedGradReducer(self.opt.parameters, mean=True, degree=world) if world > 1 else None

    def step(self, step: int, lr: float, micro: Sequence[Tuple[np.ndarray, np.ndarray]]) -> float:
        from mindspore_impl.compat import mode

        ms = self.ms
        check_learning_rate(step, lr, current_lr(self.scheduler))
        total, grads = 0.0, None
        for x, y in micro:
            loss, g = self.grad_fn(ms.Tensor(x), ms.Tensor(y))
            grads = g if grads is None else tuple(a + b for a, b in zip(grads, g))
            total += float(loss) / len(micro)
        if len(micro) > 1:
            grads = tuple(g / len(micro) for g in grads)
        if self.reducer is not None:
            grads = self.reducer(grads)
            total = float(ms.ops.AllReduce()(ms.Tensor([total], ms.float32)).asnumpy()[0]) / self.world
        with mode("pynative"):  # compiled as a graph, the optimiser's ~2k small kernels hold +390 MB (same speed)
            self.opt(grads)
        self.scheduler.step()
        return total

    def finish(self) -> None:
        """Leave the cluster together: an all-reduce as a barrier, then ``release()`` (without them a worker that
        exited first sometimes crashed with SIGSEGV in MindSpore's teardown, failing the msrun job)."""
        if self.world > 1:
            from mindspore.communication import release

            self.ms.ops.AllReduce()(self.ms.Tensor([0.0], self.ms.float32)).asnumpy()
            release()

    def predict(self, low: np.ndarray) -> np.ndarray:
        from mindspore_impl.compat import mode

        self.net.set_train(False)
        with mode("pynative"):  # no graph compilation per validation image size
            out = self.net(self.ms.Tensor(np.ascontiguousarray(low.transpose(2, 0, 1)[None])))[0]
        self.net.set_train(True)
        return out.asnumpy()[0].transpose(1, 2, 0)

    def weights(self) -> Dict[str, np.ndarray]:
        from jcrnet_spec import architecture, mindspore_to_torch
        from mindspore_impl import numpy_params

        return mindspore_to_torch(numpy_params(self.net), architecture(self.preset))

    def save(self, stem: Path, force: bool) -> None:
        import convert
        from convert.atomic import atomic_output
        from mindspore_impl import numpy_params

        weights = convert.Weights(numpy_params(self.net), "mindspore", self.preset)
        convert.save_weights(weights, str(stem) + ".ckpt", force=force)
        convert.save_weights(weights, str(stem) + ".safetensors", naming="torch", force=force)
        with atomic_output(Path(str(stem) + ".state.ckpt"), force) as tmp:
            self.ms.save_checkpoint([{"name": p.name, "data": p} for p in mindspore_state(self.opt, self.scheduler)],
                                    str(tmp))

    def load_state(self, stem: Path) -> None:
        from mindspore_impl.compat import quiet_python_log

        path = Path(str(stem) + ".state.ckpt")
        try:
            with quiet_python_log():
                saved = self.ms.load_checkpoint(str(path))
        except (ValueError, RuntimeError) as error:
            raise KitError(f"{path}: not a readable optimiser state ({str(error).strip().splitlines()[0]})") from None
        try:
            load_mindspore_state(self.opt, self.scheduler, {name: p.asnumpy() for name, p in saved.items()})
        except KeyError as error:
            raise KitError(f"{path}: optimiser state does not match this run (no {error.args[0]}; a state written "
                           f"by an older `jcrnet train` held nn.Adam's moments, which cannot be resumed exactly)"
                           ) from None
        except ValueError as error:
            raise KitError(f"{path}: optimiser state does not match this run ({error})") from None

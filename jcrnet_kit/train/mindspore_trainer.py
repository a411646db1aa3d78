"""The recipe in MindSpore, one process or data parallel under msrun."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Sequence, Tuple

import numpy as np

from jcrnet_kit.errors import KitError
from jcrnet_spec import recipe


class MindSporeTrainer:
    """The recipe in MindSpore: ``value_and_grad`` of the shared loss, stock ``nn.Adam`` (its eps convention) with the
    schedule as its dynamic learning rate; data parallel through ``DistributedGradReducer`` (mean)."""

    framework = "mindspore"

    def __init__(self, preset: str, state: Dict[str, np.ndarray], device: str, world: int, mode: str,
                 schedule: Sequence[float]):
        import mindspore as ms
        from mindspore import nn

        import mindspore_impl
        from jcrnet_kit.parity.gradients import build_mindspore, mindspore_loss_fn

        mindspore_impl.configure(device=device, mode=mode)
        self.ms, self.preset, self.world = ms, preset, world
        self.net = build_mindspore(preset, state, train=True)
        b1, b2 = recipe.ADAM_BETAS
        # The whole schedule as nn.Adam's dynamic learning rate, indexed by its global_step (saved with the state).
        # Setting a learning-rate Parameter before each step works in Graph mode only: PyNative kept the first value.
        self.schedule = list(schedule)
        self.opt = nn.Adam(self.net.trainable_params(), learning_rate=self.schedule, beta1=b1, beta2=b2,
                           eps=recipe.ADAM_EPS)
        grad_fn = mindspore_loss_fn(self.net)
        self.grad_fn = ms.jit(grad_fn) if mode == "graph" else grad_fn
        self.reducer = nn.DistributedGradReducer(self.opt.parameters, mean=True, degree=world) if world > 1 else None

    def _optimizer_params(self) -> list:
        opt = self.opt
        return [*opt.moment1, *opt.moment2, opt.beta1_power, opt.beta2_power, opt.global_step]

    def step(self, step: int, lr: float, micro: Sequence[Tuple[np.ndarray, np.ndarray]]) -> float:
        ms = self.ms
        if abs(self.schedule[step - 1] - lr) > 1e-12 * lr:
            raise RuntimeError(f"step {step}: learning rate {lr} is not the schedule's {self.schedule[step - 1]}")
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
        self.opt(grads)
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
            self.ms.save_checkpoint([{"name": p.name, "data": p} for p in self._optimizer_params()], str(tmp))

    def load_state(self, stem: Path) -> None:
        from mindspore_impl.compat import quiet_python_log

        path = Path(str(stem) + ".state.ckpt")
        try:
            with quiet_python_log():
                saved = self.ms.load_checkpoint(str(path))
        except (ValueError, RuntimeError) as error:
            raise KitError(f"{path}: not a readable optimiser state ({str(error).strip().splitlines()[0]})") from None
        params = self._optimizer_params()
        missing = [p.name for p in params if p.name not in saved]
        if missing or len(saved) != len(params):
            raise KitError(f"{path}: optimiser state does not match this model ({len(missing)} missing)")
        for p in params:
            p.set_data(saved[p.name].astype(p.dtype))

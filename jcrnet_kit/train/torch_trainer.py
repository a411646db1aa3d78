"""The recipe in PyTorch, one process or data parallel under torchrun."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

from jcrnet_kit.errors import KitError
from jcrnet_kit.train.optim import Schedule, check_learning_rate, constant, current_lr, torch_adam

#: Version of the ``.state.pth`` layout: 2 = stock Adam's state and the scheduler's (1, without a "format" key, held
#: an Adam whose eps had been rewritten to MindSpore's convention).
STATE_FORMAT = 2


class TorchTrainer:
    """The recipe in PyTorch: stock ``torch.optim.Adam``, its learning rate set per step by ``LambdaLR``
    (``jcrnet_kit.train.optim``); the default schedule is the recipe's constant learning rate."""

    framework = "torch"

    def __init__(self, preset: str, state: Dict[str, np.ndarray], device: str, world: int, rank: int,
                 schedule: Optional[Schedule] = None):
        import torch

        from jcrnet_kit.parity.gradients import build_torch

        self.torch, self.preset, self.world = torch, preset, world
        self.device = torch.device("cuda", rank % max(1, torch.cuda.device_count())) if device == "GPU" else \
            torch.device("cpu")
        if self.device.type == "cuda":
            # torch_reference/loss.py builds its blur kernel and mask without a device argument.
            torch.set_default_device(self.device)
        self.model = build_torch(preset, state, train=True).to(self.device)
        self.ddp = None
        if world > 1:
            from torch.nn.parallel import DistributedDataParallel

            # JCRNet has parameters that reach no output (the spec's unused modules).
            self.ddp = DistributedDataParallel(self.model, find_unused_parameters=True)
        self.opt, self.scheduler = torch_adam(self.model.parameters(), schedule or constant())

    def step(self, step: int, lr: float, micro: Sequence[Tuple[np.ndarray, np.ndarray]]) -> float:
        from torch_reference.loss import jcrnet_loss

        torch = self.torch
        check_learning_rate(step, lr, current_lr(self.scheduler))
        self.opt.zero_grad(set_to_none=True)
        net = self.ddp or self.model
        total = torch.zeros((), dtype=torch.float64)
        for i, (x, y) in enumerate(micro):
            sync = nullcontext() if self.ddp is None or i == len(micro) - 1 else self.ddp.no_sync()
            with sync:
                loss = jcrnet_loss(net(torch.from_numpy(x).to(self.device)), torch.from_numpy(y).to(self.device))
                (loss / len(micro)).backward()
            total += loss.detach().cpu().double() / len(micro)
        self.opt.step()
        self.scheduler.step()
        if self.world > 1:
            torch.distributed.all_reduce(total)
            total /= self.world
        return float(total)

    def finish(self) -> None:
        """Leave the process group together (a no-op in one process)."""
        if self.world > 1:
            self.torch.distributed.barrier()
            self.torch.distributed.destroy_process_group()

    def predict(self, low: np.ndarray) -> np.ndarray:
        torch = self.torch
        self.model.eval()
        with torch.no_grad():
            out = self.model(torch.from_numpy(np.ascontiguousarray(low.transpose(2, 0, 1)[None])).to(self.device))[0]
        self.model.train()
        return out[0].cpu().numpy().transpose(1, 2, 0)

    def weights(self) -> Dict[str, np.ndarray]:
        from torch_reference import numpy_state

        return numpy_state(self.model)

    def save(self, stem: Path, force: bool) -> None:
        import convert
        from convert.atomic import atomic_output

        weights = convert.Weights(self.weights(), "torch", self.preset)
        convert.save_weights(weights, str(stem) + ".pth", force=force)
        convert.save_weights(weights, str(stem) + ".safetensors", force=force)
        with atomic_output(Path(str(stem) + ".state.pth"), force) as tmp:
            self.torch.save({"format": STATE_FORMAT, "optimizer": self.opt.state_dict(),
                             "scheduler": self.scheduler.state_dict()}, tmp)

    def load_state(self, stem: Path) -> None:
        path = Path(str(stem) + ".state.pth")
        try:
            state = self.torch.load(path, weights_only=True, map_location=self.device)
            if state.get("format") != STATE_FORMAT:
                raise KitError(f"{path}: optimiser state of an older `jcrnet train` (Adam with MindSpore's eps "
                               f"convention, no scheduler); it cannot be resumed exactly: start again from its "
                               f"weights with --init")
            self.opt.load_state_dict(state["optimizer"])
            self.scheduler.load_state_dict(state["scheduler"])
        except KitError:
            raise
        except Exception as error:  # torch raises many kinds for a damaged or foreign file; report one line
            raise KitError(f"{path}: not a readable optimiser state ({type(error).__name__}: "
                           f"{str(error).splitlines()[0] if str(error) else ''})") from None

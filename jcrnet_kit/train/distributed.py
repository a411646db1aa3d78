"""Data-parallel start-up: the world size and rank from torchrun's or msrun's environment."""

from __future__ import annotations

import os
from typing import Tuple

from jcrnet_kit.errors import KitError


def world_and_rank(framework: str, device: str) -> Tuple[int, int]:
    """(world size, rank): from torchrun's or msrun's environment; (1, 0) for a plain process."""
    torchrun = int(os.environ.get("WORLD_SIZE", "1")) > 1
    # msrun starts the script in its scheduler too (MS_ROLE=MS_SCHED): there init() serves the cluster and exits.
    msrun = os.environ.get("MS_ROLE") in ("MS_WORKER", "MS_SCHED")
    if framework == "torch" and msrun:
        raise KitError("--framework torch runs data parallel under torchrun, not msrun")
    if framework == "mindspore" and torchrun:
        raise KitError("--framework mindspore runs data parallel under msrun, not torchrun")
    if torchrun:
        import torch.distributed as dist

        if not dist.is_initialized():
            dist.init_process_group("nccl" if device == "GPU" else "gloo")
        return dist.get_world_size(), dist.get_rank()
    if msrun:
        import mindspore as ms
        from mindspore.communication import get_group_size, get_rank, init

        import mindspore_impl

        mindspore_impl.configure(device=device)
        try:
            init()
        except RuntimeError as error:
            raise KitError(f"MindSpore distributed init failed on {device}: "
                           f"{str(error).strip().splitlines()[0]}") from None
        ms.set_auto_parallel_context(parallel_mode=ms.ParallelMode.DATA_PARALLEL, gradients_mean=True)
        return get_group_size(), get_rank()
    return 1, 0

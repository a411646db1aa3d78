"""Measure the floor under MindSpore's training-step time on CPU (docs/PERFORMANCE.md section 2): one 3x3
convolution C -> C on 1xCx256x256, CPU seconds per call (best of 3) for its forward, its input gradient (dx) and its
weight gradient (dW), in torch (``conv2d``, ``conv2d_input``, ``conv2d_weight``) and in MindSpore as the kit's
low-memory backward computes them: all three with MindSpore's forward ``Conv2D`` kernel (dx: the flipped, transposed
weight; dW: batch and channel axes swapped, dy as the kernel).

    python tools/measure_conv_kernels.py [THREADS]    (default: each framework's own default)

Both frameworks run in this one process, interleaved per channel count, so a load that comes and goes hits both.
"""

from __future__ import annotations

import sys
import time

import torch  # first, before MindSpore

import numpy as np


def best(run, fetch=lambda r: r) -> float:
    fetch(run())
    times = []
    for _ in range(3):
        start = time.process_time()
        fetch(run())
        times.append(time.process_time() - start)
    return min(times)


def measure(c: int, side: int):
    """(torch's, MindSpore's) CPU seconds for forward, dx and dW of one C -> C 3x3 convolution."""
    from mindspore import Tensor, ops

    rng = np.random.default_rng(0)
    x, dy, w = (rng.standard_normal(s).astype(np.float32) for s in ((1, c, side, side), (1, c, side, side),
                                                                      (c, c, 3, 3)))
    tx, tdy, tw = map(torch.from_numpy, (x, dy, w))
    t = [best(lambda: torch.nn.functional.conv2d(tx, tw, padding=1)),
         best(lambda: torch.nn.grad.conv2d_input(tx.shape, tw, tdy, padding=1)),
         best(lambda: torch.nn.grad.conv2d_weight(tx, tw.shape, tdy, padding=1))]
    mx, mdy, mw = map(Tensor, (x, dy, w))
    flipped = ops.transpose(ops.flip(mw, (2, 3)), (1, 0, 2, 3))

    def host(result):  # MindSpore runs asynchronously until the result is read
        return result.asnumpy()

    m = [best(lambda: ops.conv2d(mx, mw, pad_mode="pad", padding=1), host),
         best(lambda: ops.conv2d(mdy, flipped, pad_mode="pad", padding=1), host),
         best(lambda: ops.conv2d(ops.transpose(mx, (1, 0, 2, 3)), ops.transpose(mdy, (1, 0, 2, 3)), pad_mode="pad",
                                 padding=1), host)]
    return t, m


def main(argv) -> int:
    if argv:
        torch.set_num_threads(int(argv[0]))
    import mindspore as ms

    ms.set_context(mode=ms.PYNATIVE_MODE)
    if argv:
        ms.set_context(runtime_num_threads=int(argv[0]))
    side = 256
    print(f"one 3x3 convolution C->C on 1xCx{side}x{side}, CPU seconds per call (best of 3), threads: "
          f"{argv[0] if argv else 'default'}")
    print(f"{'C':>4} {'torch fwd':>9} {'dx':>6} {'dW':>6} {'sum':>6} | {'MS fwd':>7} {'dx':>6} {'dW':>6} {'sum':>6} | "
          f"{'fwd ratio':>9} {'sum ratio':>9}")
    for c in (16, 32, 64, 128):
        t, m = measure(c, side)
        print(f"{c:>4} {t[0]:>9.3f} {t[1]:>6.3f} {t[2]:>6.3f} {sum(t):>6.3f} | {m[0]:>7.3f} {m[1]:>6.3f} {m[2]:>6.3f} "
              f"{sum(m):>6.3f} | {m[0] / t[0]:>8.2f}x {sum(m) / sum(t):>8.2f}x", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""NumPy float64 primitives of the oracle, written from their textbook definitions (NCHW, OIHW weights).

Nothing here is shared with the kit; each function states the convention it follows.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

F64 = np.float64


def conv2d(x: np.ndarray, weight: np.ndarray, bias: Optional[np.ndarray] = None, stride: int = 1,
           padding: int = 0) -> np.ndarray:
    """Cross-correlation with zero padding on all four sides (MindSpore ``pad_mode="pad"``).

    x: (N, C, H, W); weight: (O, C, kH, kW); out[n, o, i, j] = bias[o] +
    sum_{c, a, b} weight[o, c, a, b] * x_padded[n, c, i * stride + a, j * stride + b].
    """
    n, c, h, w = x.shape
    out_ch, in_ch, kh, kw = weight.shape
    if c != in_ch:
        raise ValueError(f"conv2d: input has {c} channels, weight expects {in_ch}")
    if padding:
        x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    if kh == kw == 1 and stride == 1:
        out = np.tensordot(weight[:, :, 0, 0], x, axes=([1], [1])).transpose(1, 0, 2, 3)
    else:
        windows = sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]  # N C Ho Wo kH kW
        out = np.tensordot(windows, weight, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return np.ascontiguousarray(out)


def conv_transpose_2x2_s2(x: np.ndarray, weight: np.ndarray, bias: Optional[np.ndarray] = None) -> np.ndarray:
    """Transposed convolution, kernel 2, stride 2, no padding: every input pixel paints its own 2x2 block.

    weight: (C_in, C_out, 2, 2); out[n, o, 2i + a, 2j + b] = bias[o] + sum_c x[n, c, i, j] * weight[c, o, a, b].
    """
    n, c, h, w = x.shape
    in_ch, out_ch, kh, kw = weight.shape
    if (kh, kw) != (2, 2) or c != in_ch:
        raise ValueError(f"conv_transpose_2x2_s2: weight {weight.shape} does not fit input {x.shape}")
    blocks = np.einsum("nchw,coab->nohawb", x, weight)
    out = blocks.reshape(n, out_ch, 2 * h, 2 * w)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return out


def instance_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    """Per-sample, per-channel normalisation over H, W with the biased (population) variance, then affine."""
    mean = x.mean(axis=(2, 3), keepdims=True)
    var = ((x - mean) ** 2).mean(axis=(2, 3), keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma.reshape(1, -1, 1, 1) + beta.reshape(1, -1, 1, 1)


def batch_norm_eval(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, moving_mean: np.ndarray,
                    moving_variance: np.ndarray, eps: float) -> np.ndarray:
    """Inference-mode batch norm: the stored moving statistics, never the batch's."""
    shape = (1, -1, 1, 1)
    scale = gamma.reshape(shape) / np.sqrt(moving_variance.reshape(shape) + eps)
    return (x - moving_mean.reshape(shape)) * scale + beta.reshape(shape)


def prelu(x: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """Single-slope PReLU: x where x >= 0, slope * x elsewhere (slope has shape (1,))."""
    return np.where(x >= 0, x, float(np.asarray(slope).reshape(-1)[0]) * x)


def leaky_relu(x: np.ndarray, slope: float) -> np.ndarray:
    return np.where(x >= 0, x, slope * x)


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)), written with tanh so that it never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def global_avg_pool(x: np.ndarray) -> np.ndarray:
    """(N, C, H, W) -> (N, C, 1, 1), the mean over H and W."""
    return x.mean(axis=(2, 3), keepdims=True)


def dense(x: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Fully connected layer without bias; weight is (out, in)."""
    return x @ weight.T


def concat_channels(*xs: np.ndarray) -> np.ndarray:
    return np.concatenate(xs, axis=1)

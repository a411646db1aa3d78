"""``convert.dtypes.cast_floating`` checked bit for bit against casts it shares no code with: torch's ``Tensor.to``,
``ml_dtypes`` / NumPy, and two exact references written here (round-to-nearest-even on the bits for bfloat16, CPython's
own float16 packing in ``struct``), on a stratified sample of every float32 bit pattern plus every rounding boundary of
both 16-bit types (ties, overflow to inf, subnormals, -0.0, NaN)."""

from __future__ import annotations

import struct
from typing import Callable

import ml_dtypes
import numpy as np
import pytest
import torch

from convert.dtypes import cast_floating

BFLOAT16 = np.dtype(ml_dtypes.bfloat16)
TORCH = {"float16": torch.float16, "bfloat16": torch.bfloat16}
NUMPY = {"float16": np.dtype(np.float16), "bfloat16": BFLOAT16}
SAMPLE_STEP = 4099  # a prime: ~1M float32 patterns covering every exponent and many mantissa tails


def all_16_bit(dtype: np.dtype) -> np.ndarray:
    return np.arange(2 ** 16, dtype=np.uint32).astype(np.uint16).view(dtype)


def float32_sample() -> np.ndarray:
    """Every 4099th float32 bit pattern, every float32 at and around each rounding boundary of both 16-bit types, and
    the special values."""
    stratified = np.arange(0, 2 ** 32, SAMPLE_STEP, dtype=np.uint64).astype(np.uint32)
    high = np.arange(2 ** 16, dtype=np.uint32) << 16  # each bfloat16, then the float32s around its half-way points
    bf16_edges = (high[:, None] | np.array([0, 1, 0x7FFF, 0x8000, 0x8001, 0xFFFF], np.uint32)).ravel()
    f16 = all_16_bit(np.dtype(np.float16)).astype(np.float32)
    f16 = np.sort(f16[np.isfinite(f16) & (f16 >= 0)])
    ladder = np.append(f16, np.float32(65536.0))  # the value past float16's max (65504) that rounding overflows to
    mid = ((ladder[:-1].astype(np.float64) + ladder[1:]) / 2).astype(np.float32)  # exact: 11 bits fit in 24
    f16_edges = np.concatenate([mid, np.nextafter(mid, np.float32(0)), np.nextafter(mid, np.float32(np.inf))])
    f16_edges = np.concatenate([f16_edges, -f16_edges]).view(np.uint32)
    specials = np.array([0.0, -0.0, np.inf, -np.inf, 65504, 65519.996, 65520, 3.3895314e38, 3.40282347e38,
                         2.0 ** -14, 2.0 ** -24, 2.0 ** -25, 1.5 * 2.0 ** -25, 2.0 ** -126, 2.0 ** -149], np.float32)
    nans = np.array([0x7FC00000, 0xFFC00000, 0x7F800001, 0xFF800001, 0x7FFFFFFF, 0x7FA00000], np.uint32)
    return np.concatenate([stratified, bf16_edges, f16_edges, specials.view(np.uint32), nans]).view(np.float32)


def wrong_bits(expected: np.ndarray, actual: np.ndarray) -> int:
    """How many results differ in their bits (a NaN only has to be a NaN: torch writes one canonical NaN)."""
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    e, a = expected.view(np.uint16), actual.view(np.uint16)
    nan_e, nan_a = np.isnan(expected.astype(np.float32)), np.isnan(actual.astype(np.float32))
    return int(np.sum((e != a) & ~(nan_e & nan_a)))


def by_torch(x: np.ndarray, dtype: str) -> np.ndarray:
    out = torch.from_numpy(np.array(x.view(np.uint16) if x.dtype == BFLOAT16 else x, copy=True))
    if x.dtype == BFLOAT16:
        out = out.view(torch.int16).view(torch.bfloat16)
    return out.to(TORCH[dtype]).view(torch.int16).numpy().view(NUMPY[dtype])


def by_library(x: np.ndarray, dtype: str) -> np.ndarray:
    with np.errstate(all="ignore"):
        return x.astype(NUMPY[dtype])


def bfloat16_by_bits(x: np.ndarray) -> np.ndarray:
    """Round to nearest, ties to even, on the float32 bits: add 0x7FFF plus the kept part's lowest bit, keep the high
    half (a carry into the exponent is the correct rounding up, to inf past the max). NaN -> a quiet NaN."""
    bits = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    return np.where(np.isnan(x), np.uint16(0x7FC0), rounded).view(BFLOAT16)


def float16_by_struct(x: np.ndarray) -> np.ndarray:
    """CPython's float -> half packing (``struct`` format ``e``), which rounds half to even; it raises on overflow
    instead of giving inf, so values at or past 65520 (the first that rounds up past 65504) become inf here."""
    x = x.astype(np.float32)
    out = np.full(x.shape, 0x7E00, np.uint16)
    big = np.abs(x) >= 65520
    out[big] = np.where(x[big] > 0, 0x7C00, 0xFC00)
    packable = np.isfinite(x) & ~big
    values = x[packable].astype(np.float64).tolist()
    out[packable] = np.frombuffer(struct.pack(f"<{len(values)}e", *values), np.uint16)
    return out.view(np.float16)


def under_test(x: np.ndarray, dtype: str) -> np.ndarray:
    return cast_floating({"x": x}, dtype)["x"]


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_float32_casts_are_bit_identical_to_torch_ml_dtypes_and_an_exact_reference(dtype):
    x = float32_sample()
    exact = float16_by_struct if dtype == "float16" else bfloat16_by_bits
    got = under_test(x, dtype)
    assert got.dtype == NUMPY[dtype]
    for name, reference in (("torch", by_torch(x, dtype)), ("library", by_library(x, dtype)), ("exact", exact(x))):
        assert wrong_bits(reference, got) == 0, name
    assert np.array_equal(np.isnan(got.astype(np.float32)), np.isnan(x))


def test_the_edges_are_in_the_sample():
    """The sample reaches the cases that matter: ties, overflow, float16 subnormals and underflow, -0.0 and NaN."""
    x = float32_sample()
    half, bf16 = under_test(x, "float16").astype(np.float32), under_test(x, "bfloat16").astype(np.float32)
    assert np.isinf(half[np.abs(x) == 65520]).all() and (half[x == np.float32(65519.996)] == 65504).all()
    assert (half[x == 2.0 ** -25] == 0).all() and (half[x == 1.5 * 2.0 ** -25] == 2.0 ** -24).all()
    assert np.signbit(half[(x == 0) & np.signbit(x)]).all() and np.signbit(bf16[(x == 0) & np.signbit(x)]).all()
    assert np.isinf(bf16[x == np.float32(3.40282347e38)]).all()
    assert (bf16[x == np.float32(1 + 2.0 ** -8)] == 1).all()  # a tie to the even neighbour
    assert np.isnan(half[np.isnan(x)]).all() and np.isnan(bf16[np.isnan(x)]).all()


@pytest.mark.parametrize("source, dtype", [("float16", "bfloat16"), ("bfloat16", "float16"),
                                           ("float16", "float32"), ("bfloat16", "float32")])
def test_every_16_bit_value_casts_like_torch(source, dtype):
    x = all_16_bit(NUMPY[source])
    got = under_test(x, dtype)
    if dtype == "float32":
        expected = torch.from_numpy(x.view(np.int16).copy()).view(TORCH[source]).float().numpy()
        assert np.array_equal(got, expected, equal_nan=True)
    else:
        assert wrong_bits(by_torch(x, dtype), got) == 0


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_float64_narrows_through_float32_as_torch_does(dtype):
    """float64 weights get torch's bits. NumPy's direct float64 -> float16 rounding is more exact at near-ties and so
    differs from torch's; the test shows both, so the choice is visible."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(200_000) * 10.0 ** rng.uniform(-9, 5, 200_000)
    assert wrong_bits(by_torch(x, dtype), under_test(x, dtype)) == 0
    direct = wrong_bits(by_torch(x, dtype), by_library(x, dtype))
    assert direct > 0 if dtype == "float16" else direct == 0


def truncating(x: np.ndarray, dtype: str) -> np.ndarray:
    return (x.astype(np.float32).view(np.uint32) >> 16).astype(np.uint16).view(BFLOAT16)


def flushing_subnormals(x: np.ndarray, dtype: str) -> np.ndarray:
    out = under_test(x, dtype)
    return np.where(np.abs(out.astype(np.float32)) < 2.0 ** -14, np.float16(0), out).astype(np.float16)


def rounding_ties_away(x: np.ndarray, dtype: str) -> np.ndarray:
    bits = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    return np.where(np.isnan(x), np.uint16(0x7FC0), ((bits + 0x8000) >> 16).astype(np.uint16)).view(BFLOAT16)


@pytest.mark.parametrize("cast, dtype", [(truncating, "bfloat16"), (rounding_ties_away, "bfloat16"),
                                         (flushing_subnormals, "float16")], ids=lambda v: getattr(v, "__name__", v))
def test_a_wrong_cast_fails_every_reference(cast: Callable, dtype):
    x = float32_sample()
    exact = float16_by_struct if dtype == "float16" else bfloat16_by_bits
    for reference in (by_torch(x, dtype), by_library(x, dtype), exact(x)):
        assert wrong_bits(reference, cast(x, dtype)) > 1000

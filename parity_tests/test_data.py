"""The shared NumPy data pipeline: layouts, pairing errors, synthetic degradation, seeded patches."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from jcrnet_kit.images.pairs import find_pairs, load_pairs, read_rgb
from jcrnet_kit.parity.tolerances import FLOAT32_ROUNDING, FLOAT64_ROUNDING
from jcrnet_kit.images.patches import dihedral, patch_batches
from jcrnet_kit.images.synthetic import synthetic_pairs
from jcrnet_kit.errors import KitError


def _write(path, value=128, mode="RGB", size=(12, 10)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, value if mode != "RGB" else (value,) * 3).save(path)


@pytest.mark.parametrize("layout", [("our485/low", "our485/high"), ("input", "target")])
def test_both_layouts_are_found(tmp_path, layout):
    for folder in layout:
        _write(tmp_path / folder / "1.png")
        _write(tmp_path / folder / "2.png")
    assert [name for name, _, _ in find_pairs(tmp_path, "train")] == ["1", "2"]
    assert load_pairs(tmp_path)[0].low.shape == (10, 12, 3)


def test_unpaired_and_missing_are_refused(tmp_path):
    with pytest.raises(KitError, match="no such data folder"):
        find_pairs(tmp_path / "nope")
    with pytest.raises(KitError, match="expected our485"):
        find_pairs(tmp_path)
    _write(tmp_path / "input" / "a.png")
    _write(tmp_path / "target" / "b.png")
    with pytest.raises(KitError, match="2 unpaired image"):
        find_pairs(tmp_path)


def test_corrupt_grayscale_rgba_and_16_bit_images(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(KitError, match="bad.png: not a readable image"):
        read_rgb(tmp_path / "bad.png")
    _write(tmp_path / "gray.png", 51, mode="L")
    _write(tmp_path / "rgba.png", (51, 51, 51, 0), mode="RGBA")
    Image.fromarray(np.full((10, 12), 13107, np.uint16)).save(tmp_path / "deep.png")
    for name in ("gray.png", "rgba.png", "deep.png"):
        image = read_rgb(tmp_path / name)
        assert image.shape == (10, 12, 3) and np.abs(image - 0.2).max() <= FLOAT32_ROUNDING.atol, name


def test_synthetic_set_is_seeded_and_darker():
    first, again, other = synthetic_pairs(seed=5, count=2), synthetic_pairs(seed=5, count=2), synthetic_pairs(7, 2)
    assert all(np.array_equal(a.low, b.low) for a, b in zip(first, again))
    assert not np.array_equal(first[0].low, other[0].low)
    for pair in first:
        assert pair.low.shape == pair.high.shape and pair.low.mean() < 0.5 * pair.high.mean()


def test_patches_depend_only_on_the_seed():
    pairs = synthetic_pairs(seed=0, count=2, max_side=64)
    a, b = next(patch_batches(pairs, 16, 4, seed=3)), next(patch_batches(pairs, 16, 4, seed=3))
    assert a[0].shape == (4, 3, 16, 16) and all(np.array_equal(x, y) for x, y in zip(a, b))
    with pytest.raises(KitError, match="patch 999 is larger"):
        next(patch_batches(pairs, 999, 1, seed=0))


def test_dihedral_group_has_eight_distinct_members():
    image = np.arange(2 * 2 * 1).reshape(2, 2, 1)
    assert len({dihedral(image, i).tobytes() for i in range(8)}) == 8


def test_metrics_follow_the_8_bit_convention():
    from jcrnet_kit.images.metrics import psnr_ssim

    target = np.full((16, 16, 3), 100.0 / 255.0, np.float32)
    output = target + np.float32(1.0 / 255.0)  # one 8-bit level everywhere: MSE 1 -> PSNR 20 log10(255)
    psnr, ssim = psnr_ssim(output, target)
    assert abs(psnr - 20 * np.log10(255.0)) <= FLOAT64_ROUNDING.atol and 0.0 < ssim <= 1.0
    assert psnr_ssim(np.clip(target + 2.0, 0, 1), np.ones_like(target))[0] == np.inf


def test_every_synthetic_source_is_a_bundled_photo():
    from jcrnet_kit.images.synthetic import SYNTHETIC_SOURCES, synthetic_pairs

    pairs = synthetic_pairs(0, max_side=32)
    assert len(pairs) == len(SYNTHETIC_SOURCES)
    assert all(p.high.ndim == 3 and p.high.shape[2] == 3 and p.high.std() > 0.01 for p in pairs)

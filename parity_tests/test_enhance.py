"""``jcrnet enhance``: every kind of input comes back in its own kind, tiles blend to the right image, a bad file
does not stop the batch, and nothing is overwritten without --force. Seeded weights, small images."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import convert
from jcrnet_kit.cli import main
from convert import load_weights
from jcrnet_kit.images.metrics import psnr_ssim
from jcrnet_kit.images.picture import read_picture, write_png16
from jcrnet_kit.images.tiling import enhance_array, plan_tiles
from jcrnet_kit.models import build_forward
from jcrnet_kit.parity.tolerances import (
    FLOAT32_ROUNDING, TILED_FRAMEWORKS, TILED_VS_WHOLE_MEAN, TILED_VS_WHOLE_PSNR_DB,
)
from jcrnet_spec import architecture, seeded_weights


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    path = tmp_path_factory.mktemp("weights") / "seeded.safetensors"
    convert.save_weights(convert.Weights(seeded_weights(architecture("published"), 0), "torch", "published"), path)
    return path


@pytest.fixture(scope="module")
def torch_forward(weights):
    return build_forward(load_weights(weights), "torch")


def _photo(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A smooth, dark H x W x 3 uint8 test picture (gradients plus a little noise)."""
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    rgb = np.stack([0.3 * x, 0.25 * y, 0.15 * (1 - x * y)], axis=-1)
    noise = np.random.default_rng(seed).normal(0, 0.01, rgb.shape)
    return np.round(np.clip(rgb + noise, 0, 1) * 255).astype(np.uint8)


def _enhance(args, capsys):
    code = main(["enhance", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err.strip()


def _png_depth(path) -> int:
    return path.read_bytes()[24]  # IHDR bit depth


def test_every_input_kind_comes_back_in_its_own_kind(tmp_path, weights, capsys):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    rgb = _photo(18, 22)
    alpha = np.tile(np.linspace(0, 255, 22).astype(np.uint8), (18, 1))
    Image.fromarray(_photo(17, 23)).save(src / "odd.png")
    Image.fromarray(rgb[..., 0]).save(src / "gray.png")
    Image.fromarray(np.dstack([rgb[..., 1], alpha])).save(src / "gray_alpha.png")
    Image.fromarray(rgb[..., 0].astype(np.uint16) * 257 + 3).save(src / "gray16.png")
    Image.fromarray(np.dstack([rgb, alpha])).save(src / "rgba.png")
    Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE).save(src / "palette.png")
    write_png16(src / "rgb16.png", np.dstack([rgb.astype(np.uint16) * 257 + 5, alpha * 257]))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    Image.fromarray(rgb).save(src / "rotated.png", exif=exif)

    code, printed, err = _enhance([src, "-o", out, "--weights", weights], capsys)
    assert code == 0, err
    assert printed.count(" -> ") == 8

    def opened(name):
        with Image.open(out / f"{name}.png") as image:
            return image.mode, image.size, np.asarray(image)

    assert opened("odd")[:2] == ("RGB", (23, 17))
    assert opened("gray")[:2] == ("L", (22, 18))
    mode, size, array = opened("gray_alpha")
    assert (mode, size) == ("LA", (22, 18)) and np.array_equal(array[..., 1], alpha)
    assert opened("gray16")[0].startswith("I;16") and _png_depth(out / "gray16.png") == 16
    mode, size, array = opened("rgba")
    assert (mode, size) == ("RGBA", (22, 18)) and np.array_equal(array[..., 3], alpha)
    assert opened("palette")[:2] == ("RGB", (22, 18))
    assert _png_depth(out / "rgb16.png") == 16
    back = read_picture(out / "rgb16.png")
    assert (back.bits, back.gray) == (16, False)
    assert np.array_equal(np.round(back.alpha * 65535), alpha * 257.0)
    assert opened("rotated")[:2] == ("RGB", (18, 22))  # upright: 22 wide became 22 tall


def test_sixteen_bit_colour_is_read_at_full_depth(tmp_path):
    samples = np.random.default_rng(0).integers(0, 65536, (5, 7, 3), dtype=np.uint16)
    write_png16(tmp_path / "deep.png", samples)
    picture = read_picture(tmp_path / "deep.png")
    assert picture.bits == 16 and np.array_equal(np.round(picture.rgb * 65535).astype(np.uint16), samples)


def test_exif_orientation_is_applied_before_the_network(tmp_path):
    rgb = _photo(12, 20)
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(rgb).save(tmp_path / "r.png", exif=exif)
    picture = read_picture(tmp_path / "r.png")
    assert np.array_equal(np.round(picture.rgb * 255).astype(np.uint8), np.rot90(rgb, k=-1))


@pytest.mark.parametrize("size, padded_to", [((17, 23), (18, 24)), ((1, 1), (4, 4)), ((2, 5), (4, 6))])
def test_odd_and_tiny_sides_are_reflect_padded_and_cropped_back(torch_forward, size, padded_to):
    (h, w), (ph, pw) = size, padded_to
    image = _photo(h, w).astype(np.float32) / 255
    padded = np.pad(image, ((0, ph - h), (0, pw - w), (0, 0)), mode="reflect")
    expected = torch_forward(padded.transpose(2, 0, 1)[None])[0].transpose(1, 2, 0)[:h, :w]
    assert np.array_equal(enhance_array(torch_forward, image), expected)


@pytest.mark.parametrize("shape, tile, overlap", [((64, 96), 48, 16), ((50, 130), 32, 8), ((200, 34), 64, 0)])
def test_tiles_cover_the_image_and_blend_to_one(shape, tile, overlap):
    plan = plan_tiles(*shape, tile=tile, overlap=overlap)
    assert plan.tile_h <= tile and plan.tile_w <= tile and plan.tile_h % 2 == 0 and plan.tile_w % 2 == 0
    assert plan.rows[-1] + plan.tile_h == shape[0] and plan.cols[-1] + plan.tile_w == shape[1]
    image = np.random.default_rng(0).random((*shape, 3), dtype=np.float32)
    np.testing.assert_allclose(enhance_array(lambda x: x, image, plan), image, rtol=0, atol=FLOAT32_ROUNDING.atol)


def test_tiled_output_stays_close_to_the_whole_image(torch_forward):
    image = _photo(48, 96).astype(np.float32) / 255
    whole = enhance_array(torch_forward, image)
    plan = plan_tiles(48, 96, tile=64, overlap=16)
    assert plan.describe() == "1x2 tiles of 48x56, overlap >= 16"
    tiled = enhance_array(torch_forward, image, plan)
    # Per-tile global pooling and instance-norm statistics move the output; two 48x56 tiles of a 48x96 image is the
    # harsh end (docs/ENHANCE.md: 512x768 in 256-pixel tiles is closer).
    assert np.abs(tiled - whole).mean() < TILED_VS_WHOLE_MEAN.value
    assert psnr_ssim(tiled, np.clip(whole, 0, 1))[0] > TILED_VS_WHOLE_PSNR_DB.value


def test_mindspore_enhances_like_torch(weights, torch_forward):
    image = _photo(16, 20).astype(np.float32) / 255
    np.testing.assert_allclose(enhance_array(build_forward(load_weights(weights), "mindspore"), image),
                               enhance_array(torch_forward, image), atol=TILED_FRAMEWORKS.atol, rtol=0)


def test_unreadable_file_is_reported_and_the_batch_goes_on(tmp_path, weights, capsys):
    Image.fromarray(_photo(16, 16)).save(tmp_path / "a_good.png")
    (tmp_path / "b_garbage.png").write_bytes(b"this is not an image")
    (tmp_path / "c_truncated.png").write_bytes((tmp_path / "a_good.png").read_bytes()[:120])
    Image.fromarray(_photo(16, 16, seed=1)).save(tmp_path / "d_good.png")
    code, _, err = _enhance([tmp_path / "a_good.png", tmp_path / "b_garbage.png", tmp_path / "c_truncated.png",
                             tmp_path / "d_good.png", "-o", tmp_path / "out", "--weights", weights], capsys)
    assert code == 1
    lines = err.splitlines()
    assert len(lines) == 3 and "b_garbage.png" in lines[0] and "c_truncated.png" in lines[1]
    assert lines[2] == "jcrnet enhance: 2 of 4 image(s) failed"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a_good.png", "d_good.png"]


def test_existing_output_is_kept_without_force(tmp_path, weights, capsys):
    Image.fromarray(_photo(16, 16)).save(tmp_path / "in.png")
    target = tmp_path / "out.png"
    target.write_bytes(b"keep me")
    code, _, err = _enhance([tmp_path / "in.png", "-o", target, "--weights", weights], capsys)
    assert code == 2 and "\n" not in err and "--force" in err and str(target) in err
    assert target.read_bytes() == b"keep me"
    code, _, err = _enhance([tmp_path / "in.png", "-o", target, "--weights", weights, "--force"], capsys)
    assert code == 0, err
    assert Image.open(target).size == (16, 16)
    assert [p.name for p in tmp_path.iterdir() if ".partial" in p.name] == []


@pytest.mark.parametrize("case", ["missing input", "empty folder", "bad weights", "weights of the wrong preset",
                                  "missing default weights", "tile too small"])
def test_errors_before_any_image_runs_are_one_line(case, tmp_path, weights, capsys, monkeypatch):
    Image.fromarray(_photo(16, 16)).save(tmp_path / "in.png")
    (tmp_path / "empty").mkdir()
    (tmp_path / "bad.pth").write_bytes(b"not a checkpoint")
    args = {"missing input": [tmp_path / "nope.png", "--weights", weights],
            "empty folder": [tmp_path / "empty", "--weights", weights],
            "bad weights": [tmp_path / "in.png", "--weights", tmp_path / "bad.pth"],
            "weights of the wrong preset": [tmp_path / "in.png", "--weights", weights, "--preset", "torch-defaults"],
            "missing default weights": [tmp_path / "in.png"],
            "tile too small": [tmp_path / "in.png", "--weights", weights, "--tile", "8"]}[case]
    if case == "missing default weights":
        monkeypatch.setattr("jcrnet_kit.shipped.DEFAULT_WEIGHTS", tmp_path / "absent.safetensors")
    code, _, err = _enhance([*args, "-o", tmp_path / "out"], capsys)
    assert code == 2
    assert err.startswith("jcrnet enhance: error:") and "\n" not in err


@pytest.mark.parametrize("orientation", range(1, 9))
def test_sixteen_bit_orientation_turns_like_pillows_exif_transpose(tmp_path, orientation):
    from PIL import ImageOps

    from jcrnet_kit.images.picture import _upright

    rgb = _photo(6, 10)
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(rgb).save(tmp_path / "o.png", exif=exif)
    with Image.open(tmp_path / "o.png") as image:
        expected = np.asarray(ImageOps.exif_transpose(image))
    assert np.array_equal(_upright(rgb, orientation), expected)


def test_sixteen_bit_output_keeps_the_icc_profile(tmp_path):
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    write_png16(tmp_path / "icc.png", np.full((4, 6, 3), 40000, np.uint16), profile)
    picture = read_picture(tmp_path / "icc.png")
    assert picture.icc_profile == profile and picture.bits == 16
    assert np.allclose(picture.rgb, 40000 / 65535)

"""Reading any image Pillow reads into the network's RGB float form, and writing the result back in the input's kind.

A ``Picture`` keeps what the network does not see: the alpha channel, whether the image was grayscale, its bit
depth (8 or 16) and its ICC profile. EXIF orientation is applied on reading (``ImageOps.exif_transpose``), so the
output is upright and carries no orientation tag. Output is PNG: 8-bit through Pillow; 16-bit PNGs are read and
written with pypng, because Pillow has no 16-bit colour mode (it reads 16-bit colour and gray + alpha PNGs at 8 bits
and cannot write them).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from jcrnet_kit.errors import KitError

#: ITU-R BT.601 luma, the weights Pillow's RGB -> L conversion uses; a grayscale input gets a grayscale output.
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)
_MAX = {8: 255.0, 16: 65535.0}


@dataclass
class Picture:
    """An image as the network sees it (``rgb``: H x W x 3 float32 in [0, 1]) plus what it does not see."""

    rgb: np.ndarray
    alpha: Optional[np.ndarray]  # H x W float32 in [0, 1], or None
    gray: bool
    bits: int  # 8 or 16
    icc_profile: Optional[bytes] = None

    @property
    def size(self) -> str:
        return f"{self.rgb.shape[0]}x{self.rgb.shape[1]}"


def _unreadable(path: Path, error: BaseException) -> KitError:
    detail = " ".join(str(error).split())
    return KitError(f"{path}: not a readable image ({error.__class__.__name__}{': ' + detail if detail else ''})")


def _scaled(array: np.ndarray, bits: int) -> np.ndarray:
    scaled = array.astype(np.float32)
    scaled /= _MAX[bits]
    return scaled


def _upright(samples: np.ndarray, orientation: int) -> np.ndarray:
    """``samples`` (H x W x C) turned as ``ImageOps.exif_transpose`` turns an image with EXIF ``orientation``."""
    swapped = samples.swapaxes(0, 1)
    return {2: samples[:, ::-1], 3: samples[::-1, ::-1], 4: samples[::-1], 5: swapped, 6: swapped[:, ::-1],
            7: swapped[::-1, ::-1], 8: swapped[::-1]}.get(orientation, samples)


def _sixteen_bit_png(path: Path) -> Optional[Picture]:
    """A 16-bit PNG at full depth (upright, read with pypng), or None if ``path`` is not one."""
    import png
    from PIL import ExifTags, Image

    with Image.open(path) as image:
        if image.format != "PNG":
            return None
        icc, orientation = image.info.get("icc_profile"), image.getexif().get(ExifTags.Base.Orientation, 1)
    try:
        width, height, rows, info = png.Reader(filename=str(path)).asDirect()
        if info["bitdepth"] != 16:
            return None
        samples = np.vstack([np.asarray(row, np.uint16) for row in rows]).reshape(height, width, info["planes"])
    except png.Error as error:
        raise _unreadable(path, error) from None
    samples = _scaled(np.ascontiguousarray(_upright(samples, orientation)), 16)
    colour = samples[..., :1].repeat(3, axis=2) if info["greyscale"] else samples[..., :3]
    return Picture(colour, samples[..., -1] if info["alpha"] else None, bool(info["greyscale"]), 16, icc)


def _from_pillow(image, path: Path) -> Picture:
    icc = image.info.get("icc_profile")
    mode = image.mode
    if mode.startswith("I;16") or mode == "I":
        gray16 = np.asarray(image).astype(np.int64)
        if gray16.max(initial=0) > 65535 or gray16.min(initial=0) < 0:
            raise KitError(f"{path}: {mode} image with values outside 0..65535 is not supported")
        return Picture(np.repeat(_scaled(gray16, 16)[..., None], 3, axis=2), None, True, 16, icc)
    if mode in ("1", "L", "LA", "La"):
        array = np.asarray(image.convert("LA" if mode in ("LA", "La") else "L"))
        gray, alpha = (array[..., 0], array[..., 1]) if array.ndim == 3 else (array, None)
        return Picture(np.repeat(_scaled(gray, 8)[..., None], 3, axis=2),
                       None if alpha is None else _scaled(alpha, 8), True, 8, icc)
    has_alpha = "A" in image.getbands() or "a" in image.getbands() or "transparency" in image.info
    array = np.asarray(image.convert("RGBA" if has_alpha else "RGB"))
    return Picture(_scaled(array[..., :3], 8), _scaled(array[..., 3], 8) if has_alpha else None, False, 8, icc)


def read_picture(path: Path) -> Picture:
    """Any image Pillow reads (grayscale, palette, RGBA, 16-bit, CMYK, ...), upright; ``KitError`` naming the file."""
    from PIL import Image, ImageOps

    path = Path(path)
    try:
        picture = _sixteen_bit_png(path)
        if picture is not None:
            return picture
        with Image.open(path) as image:
            image.load()
            return _from_pillow(ImageOps.exif_transpose(image), path)
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, Image.DecompressionBombError) as error:
        if isinstance(error, FileNotFoundError):
            raise KitError(f"{path}: no such file") from None
        raise _unreadable(path, error) from None


def quantise(values: np.ndarray, bits: int) -> np.ndarray:
    """Float in [0, 1] (clamped) -> unsigned integers of ``bits`` bits, rounded to nearest."""
    scaled = np.clip(values, 0.0, 1.0)
    scaled *= _MAX[bits]
    return np.round(scaled, out=scaled).astype(np.uint8 if bits == 8 else np.uint16)


def write_png16(path: Path, samples: np.ndarray, icc_profile: Optional[bytes] = None) -> None:
    """Write H x W (gray), H x W x 2 (gray + alpha), x 3 (RGB) or x 4 (RGBA) uint16 ``samples`` as a 16-bit PNG."""
    import png

    samples = samples if samples.ndim == 3 else samples[..., None]
    h, w, channels = samples.shape
    writer = png.Writer(w, h, greyscale=channels <= 2, alpha=channels in (2, 4), bitdepth=16)
    with open(path, "wb") as f:
        writer.write(f, np.ascontiguousarray(samples, dtype=np.uint16).reshape(h, w * channels))
    if icc_profile:  # pypng's Writer takes no ICC profile: insert the iCCP chunk after IHDR with pypng's chunk API
        import zlib

        chunks = list(png.Reader(filename=str(path)).chunks())
        with open(path, "wb") as f:
            png.write_chunks(f, [chunks[0], (b"iCCP", b"ICC profile\x00\x00" + zlib.compress(icc_profile)),
                                 *chunks[1:]])


def write_picture(path: Path, rgb: np.ndarray, like: Picture) -> None:
    """Write the enhanced ``rgb`` (H x W x 3 float, clamped to [0, 1]) as a PNG of ``like``'s kind: grayscale
    (BT.601 luma) if it was grayscale, its alpha re-attached, at its bit depth, with its ICC profile."""
    from PIL import Image

    image = rgb @ LUMA if like.gray else rgb
    channels = [image] if like.gray else [image[..., i] for i in range(3)]
    if like.alpha is not None:
        channels.append(like.alpha)
    samples = quantise(np.stack(channels, axis=-1), like.bits)
    if like.bits == 16:
        write_png16(Path(path), samples, like.icc_profile)
        return
    options = {"icc_profile": like.icc_profile} if like.icc_profile else {}
    Image.fromarray(samples[..., 0] if samples.shape[2] == 1 else samples).save(path, format="PNG", **options)

"""Reading any image Pillow reads into the network's RGB float form, and writing the result back in the input's kind.

A ``Picture`` keeps what the network does not see: the alpha channel, whether the image was grayscale, its bit
depth (8 or 16) and its ICC profile. EXIF orientation is applied on reading (``ImageOps.exif_transpose``), so the
output is upright and carries no orientation tag. Output is PNG: 8-bit through Pillow; 16-bit PNGs are read and
written with pypng, because Pillow has no 16-bit colour mode (it reads 16-bit colour and gray + alpha PNGs at 8 bits
and cannot write them).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Tuple

import numpy as np

from jcrnet_kit.errors import KitError

#: ITU-R BT.601 luma, the weights Pillow's RGB -> L conversion uses; a grayscale input gets a grayscale output.
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)
_MAX = {8: 255.0, 16: 65535.0}
#: The most pixels an input image may declare: 8192 x 8192. Checked from the header, before decoding, so that a small
#: file cannot declare gigapixels (a decompression bomb); Pillow itself only warns below 89 M.
MAX_IMAGE_PIXELS = 8192 * 8192


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
    kind = type(error).__name__
    if type(error).__module__ != "builtins":  # zlib.error, png.FormatError, PIL.UnidentifiedImageError
        kind = f"{type(error).__module__.split('.')[0]}.{kind}"
    return KitError(f"{path}: not a readable image ({kind}{': ' + detail if detail else ''})")


def check_pixels(size: Tuple[int, int], path: Path, max_pixels: int = MAX_IMAGE_PIXELS) -> None:
    """Refuse an image whose header declares more than ``max_pixels`` (before a single row is decoded)."""
    w, h = size
    if w * h > max_pixels:
        raise KitError(f"{path}: {w}x{h} ({w * h:,} pixels) is more than the {max_pixels:,} pixels an image may have "
                       f"here (a decompression bomb, or a picture too large to hold in memory)")


def _scaled(array: np.ndarray, bits: int) -> np.ndarray:
    scaled = array.astype(np.float32)
    scaled /= _MAX[bits]
    return scaled


def _upright(samples: np.ndarray, orientation: int) -> np.ndarray:
    """``samples`` (H x W x C) turned as ``ImageOps.exif_transpose`` turns an image with EXIF ``orientation``."""
    swapped = samples.swapaxes(0, 1)
    return {2: samples[:, ::-1], 3: samples[::-1, ::-1], 4: samples[::-1], 5: swapped, 6: swapped[:, ::-1],
            7: swapped[::-1, ::-1], 8: swapped[::-1]}.get(orientation, samples)


def _png_bit_depth(path: Path) -> int:
    """The bit depth in a PNG's IHDR chunk (byte 24 of the file), 0 if the header is not there."""
    with open(path, "rb") as f:
        head = f.read(25)
    return head[24] if len(head) == 25 and head[12:16] == b"IHDR" else 0


def _sixteen_bit_png(path: Path, icc: Optional[bytes], orientation: int) -> Picture:
    """A 16-bit PNG at full depth, upright. Read with pypng's ``read``, not ``asDirect``: ``asDirect`` rescales to the
    bits an sBIT chunk declares significant, which would turn a 16-bit file into an 8- or 12-bit one."""
    import png

    width, height, rows, info = png.Reader(filename=str(path)).read()
    planes = info["planes"]
    samples = np.vstack([np.asarray(row, np.uint16) for row in rows]).reshape(height, width, planes)
    alpha = samples[..., -1] if info["alpha"] else None
    transparent = info.get("transparent")
    if alpha is None and transparent is not None:  # tRNS: one colour is fully transparent
        key = np.asarray(transparent if isinstance(transparent, tuple) else (transparent,), np.uint16)
        alpha = np.where((samples[..., :len(key)] == key).all(axis=-1), 0, 65535).astype(np.uint16)
    samples = np.ascontiguousarray(_upright(samples, orientation))
    alpha = None if alpha is None else np.ascontiguousarray(_upright(alpha[..., None], orientation)[..., 0])
    colour = _scaled(samples[..., :1].repeat(3, axis=2) if info["greyscale"] else samples[..., :3], 16)
    return Picture(colour, None if alpha is None else _scaled(alpha, 16), bool(info["greyscale"]), 16, icc)


#: Modes whose last band is alpha (LAB's second band is named "A" too, and is not alpha).
ALPHA_MODES = ("RGBA", "RGBa", "LA", "La", "PA")


def _lab_to_rgb(image):
    """A LAB image in sRGB through LittleCMS (Pillow's plain ``convert`` would relabel the bands, not convert)."""
    from PIL import ImageCms

    transform = ImageCms.buildTransform(ImageCms.createProfile("LAB"), ImageCms.createProfile("sRGB"), "LAB", "RGB")
    return ImageCms.applyTransform(image, transform)


def _from_pillow(image, path: Path) -> Picture:
    icc = image.info.get("icc_profile")
    mode = image.mode
    if mode.startswith("I;16") or mode == "I":
        gray16 = np.asarray(image).astype(np.int64)
        if gray16.max(initial=0) > 65535 or gray16.min(initial=0) < 0:
            raise KitError(f"{path}: {mode} image with values outside 0..65535 is not supported")
        return Picture(np.repeat(_scaled(gray16, 16)[..., None], 3, axis=2), None, True, 16, icc)
    if mode == "F":
        gray = np.asarray(image, np.float32)
        if not np.isfinite(gray).all() or gray.min(initial=0) < 0 or gray.max(initial=0) > 1:
            raise KitError(f"{path}: a 32-bit float image is read as values in [0, 1]; this one has values outside "
                           f"(or NaN); save it as an 8- or 16-bit image")
        return Picture(np.repeat(gray[..., None], 3, axis=2), None, True, 16, None)
    if mode in ("1", "L", "LA", "La"):
        array = np.asarray(image.convert("LA" if mode in ("LA", "La") else "L"))
        gray, alpha = (array[..., 0], array[..., 1]) if array.ndim == 3 else (array, None)
        return Picture(np.repeat(_scaled(gray, 8)[..., None], 3, axis=2),
                       None if alpha is None else _scaled(alpha, 8), True, 8, icc)
    if mode == "LAB":
        return Picture(_scaled(np.asarray(_lab_to_rgb(image)), 8), None, False, 8, None)
    has_alpha = mode in ALPHA_MODES or "transparency" in image.info
    try:
        array = np.asarray(image.convert("RGBA" if has_alpha else "RGB"))
    except ValueError as error:  # a mode Pillow cannot turn into RGB
        raise KitError(f"{path}: images of mode {mode} are not supported ({error})") from None
    return Picture(_scaled(array[..., :3], 8), _scaled(array[..., 3], 8) if has_alpha else None, False, 8, icc)


def read_picture(path: Path, max_pixels: int = MAX_IMAGE_PIXELS) -> Picture:
    """Any image Pillow reads (grayscale, palette, RGBA, 16-bit, CMYK, LAB, ...), upright; ``KitError`` naming the file.

    The header is checked against ``max_pixels`` before anything is decoded, and whatever a decoder raises (Pillow,
    pypng, zlib) is reported as this file being unreadable: a batch never stops on a traceback."""
    from PIL import ExifTags, Image, ImageOps

    path = Path(path)
    if path.is_dir():
        raise KitError(f"{path}: is a folder, not an image")
    if not path.is_file():
        raise KitError(f"{path}: no such file" if not path.exists() else f"{path}: not a regular file")
    try:
        with Image.open(path) as image:
            check_pixels(image.size, path, max_pixels)
            if image.format == "PNG" and _png_bit_depth(path) == 16:
                orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
                return _sixteen_bit_png(path, image.info.get("icc_profile"), orientation)
            image.load()
            return _from_pillow(ImageOps.exif_transpose(image), path)
    except KitError:
        raise
    except Image.DecompressionBombError as error:  # Pillow's own, larger limit, checked as it opens the file
        raise KitError(f"{path}: declares more than the {max_pixels:,} pixels an image may have here "
                       f"({error})") from None
    except MemoryError:
        raise KitError(f"{path}: too large to decode in the memory available") from None
    except Exception as error:  # Pillow, pypng and zlib raise a zoo of types for damaged files; each is one line
        raise _unreadable(path, error) from None


def image_size(path: Path, max_pixels: int = MAX_IMAGE_PIXELS) -> Tuple[int, int]:
    """(H, W) from an image's header, without decoding it (EXIF rotations by 90 degrees swap the two); refuses what
    ``read_picture`` would refuse before decoding."""
    from PIL import ExifTags, Image

    path = Path(path)
    if not path.is_file():
        raise KitError(f"{path}: is a folder, not an image" if path.is_dir() else f"{path}: no such file")
    try:
        with Image.open(path) as image:
            check_pixels(image.size, path, max_pixels)
            w, h = image.size
            turned = image.getexif().get(ExifTags.Base.Orientation, 1) in (5, 6, 7, 8)
    except KitError:
        raise
    except Image.DecompressionBombError as error:
        raise KitError(f"{path}: declares more than the {max_pixels:,} pixels an image may have here "
                       f"({error})") from None
    except Exception as error:
        raise _unreadable(path, error) from None
    return (w, h) if turned else (h, w)


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

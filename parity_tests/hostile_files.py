"""The hostile-input corpus's files, made by ``build(root)`` at test time (nothing large is committed; the "large"
files are sparse or declare sizes they do not hold).

Each file is what a hostile or unlucky user could hand the kit: damaged, lying about its size, built to expand in
memory, or built to run code (a pickle that would create ``MARKER`` if anything unpickled it unsafely).
"""

from __future__ import annotations

import json
import os
import pickle
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Dict

import numpy as np
import torch
from PIL import Image

import convert
from jcrnet_spec import architecture, seeded_weights, torch_to_mindspore

#: The file a malicious pickle in the corpus creates when it is unpickled unsafely.
MARKER = "PWNED-by-a-pickle"
#: Apparent size of the sparse "huge" files (no disk is used).
HUGE = 6 * 2 ** 30


class Evil:
    """Unpickled unsafely, this creates the marker file (``open(marker, "w")``)."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _state(**changes) -> Dict[str, torch.Tensor]:
    state = {k: torch.from_numpy(v) for k, v in seeded_weights(architecture("published"), 0).items()}
    state.update({k.replace("__", "."): v for k, v in changes.items()})
    return state


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png(width: int, height: int, depth: int, idat: bytes, extra=()) -> bytes:
    """A PNG (RGB, colour type 2) with the given header and IDAT payload, chunks after IDAT in ``extra``."""
    header = struct.pack(">IIBBBBB", width, height, depth, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", idat)
            + b"".join(_png_chunk(k, d) for k, d in extra) + _png_chunk(b"IEND", b""))


def _sixteen_bit_rows(h: int, w: int, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 65535, (h, w, 3), dtype=np.uint16).astype(">u2")
    return b"".join(b"\x00" + pixels[y].tobytes() for y in range(h))


def _weights(folder: Path) -> None:
    state = _state()
    torch.save(state, folder / "good.pth")
    arch = architecture("published")
    numpy_state = {k: v.numpy() for k, v in state.items()}
    ms_weights = convert.Weights(torch_to_mindspore(numpy_state, arch), "mindspore", "published")
    convert.save_weights(ms_weights, folder / "good.ckpt")
    convert.save_weights(convert.Weights(numpy_state, "torch", "published"), folder / "good.safetensors")

    nan = state["tail.weight"].clone()
    nan[0, 0, 0, 0] = float("nan")
    torch.save(_state(tail__weight=nan), folder / "nan.pth")
    inf = nan.clone()
    inf[0, 0, 0, 0] = float("inf")
    torch.save(_state(tail__weight=inf), folder / "inf.pth")
    nan_ms = dict(ms_weights.tensors, **{"tail.weight": nan.numpy()})
    convert.save_weights(convert.Weights(nan_ms, "mindspore", "published"), folder / "nan.ckpt")
    convert.save_weights(convert.Weights({k: v.numpy() for k, v in _state(tail__weight=nan).items()}, "torch",
                                         "published"), folder / "nan.safetensors")
    diverged = _state(phi_6__body__1__weight=torch.tensor([0.5]))
    torch.save(diverged, folder / "diverged.pth")
    convert.save_weights(convert.Weights({k: v.numpy() for k, v in diverged.items()}, "torch", "published"),
                         folder / "diverged.safetensors")

    torch.save({"tail.weight": torch.zeros(1).expand(400_000_000)}, folder / "stride0.pth")  # 1.6 GB from 1.4 KB
    torch.save(_state(tail__weight=torch.zeros(1).expand(3, 56, 3, 3)), folder / "stride0-in-state.pth")
    torch.save({"a": torch.zeros(2000).as_strided((1000, 1000), (1, 1))}, folder / "overlap.pth")
    torch.save(_state(tail__weight=torch.eye(3).to_sparse()), folder / "sparse.pth")
    torch.save(_state(tail__weight=torch.empty(3, 56, 3, 3, device="meta")), folder / "meta.pth")
    quantized = torch.quantize_per_tensor(torch.zeros(3, 56, 3, 3), 0.1, 0, torch.qint8)
    torch.save(_state(tail__weight=quantized), folder / "quantized.pth")
    torch.save(_state(tail__weight=torch.zeros(3, 56, 3, 3, dtype=torch.int32)), folder / "int32.pth")
    torch.save([state["tail.weight"]], folder / "list.pth")
    torch.save({"model": state, "state_dict": state}, folder / "two-nestings.pth")
    torch.save({k: v for k, v in state.items() if k != "tail.weight"}, folder / "missing-key.pth")
    torch.save(_state(tail__weight=torch.zeros(3, 56, 1, 1)), folder / "misshaped.pth")
    torch.save(_state(extra__weight=torch.zeros(1)), folder / "extra-key.pth")
    torch.save({}, folder / "empty-dict.pth")

    _deflate_bomb(folder / "deflate-bomb.pth")
    with zipfile.ZipFile(folder / "many-entries.pth", "w") as archive:
        for i in range(5000):
            archive.writestr(f"archive/data/{i}", b"")

    good = (folder / "good.pth").read_bytes()
    (folder / "truncated.pth").write_bytes(good[: len(good) // 2])
    ckpt = (folder / "good.ckpt").read_bytes()
    (folder / "truncated.ckpt").write_bytes(ckpt[: len(ckpt) // 2])
    st = (folder / "good.safetensors").read_bytes()
    (folder / "truncated.safetensors").write_bytes(st[: len(st) // 2])
    for ext in ("pth", "ckpt", "safetensors"):
        (folder / f"empty.{ext}").write_bytes(b"")
        (folder / f"text.{ext}").write_text("these are not weights\n")
        with open(folder / f"huge.{ext}", "wb") as f:
            f.write(good[:8] if ext == "pth" else b"\x0a")
            f.truncate(HUGE)
        (folder / f"folder.{ext}").mkdir()
    (folder / "pth-as.ckpt").write_bytes(good)
    (folder / "safetensors-as.pth").write_bytes(st)
    (folder / "huge-header.safetensors").write_bytes(struct.pack("<Q", 2 ** 60) + b"{}")
    header = json.dumps({"tail.weight": {"dtype": "F32", "shape": [1000000, 1000], "data_offsets": [0, 12]}}).encode()
    (folder / "lying.safetensors").write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 12)
    _ckpt_records(folder)

    os.symlink(folder / "good.pth", folder / "link-to-good.pth")
    os.symlink(folder / "loop.pth", folder / "loop.pth")
    os.symlink("/dev/zero", folder / "dev-zero.pth")
    os.mkfifo(folder / "fifo.pth")


def _deflate_bomb(path: Path) -> None:
    """A real torch archive of 200 MB of zeros, re-zipped with deflate: about 200 KB on disk."""
    plain = path.with_suffix(".plain")
    torch.save({"tail.weight": torch.zeros(50_000_000)}, plain)
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        for entry in source.infolist():
            with source.open(entry) as data, bomb.open(entry.filename, "w") as out:
                while chunk := data.read(2 ** 22):
                    out.write(chunk)
    plain.unlink()


def _ckpt_records(folder: Path) -> None:
    import mindspore as ms
    from mindspore.train.checkpoint_pb2 import Checkpoint

    def write(name: str, dims, content: bytes, kind: str = "Float32") -> None:
        records = Checkpoint()
        value = records.value.add()
        value.tag, value.tensor.tensor_type = "tail.weight", kind
        value.tensor.dims.extend(dims)
        value.tensor.tensor_content = content
        (folder / name).write_bytes(records.SerializeToString())

    write("negative-dims.ckpt", [-1, 3], b"\0" * 12)
    write("lying.ckpt", [1_000_000, 1000], b"\0" * 12)
    write("odd-type.ckpt", [3], b"\0" * 12, "Complex128")
    weights = convert.load_weights(folder / "good.ckpt")
    params = [{"name": k, "data": ms.Tensor(v)} for k, v in weights.tensors.items()]
    ms.save_checkpoint(params, str(folder / "append-dict.ckpt"), append_dict={"note": "epoch 3", "epoch_num": 3})


def _images(folder: Path) -> None:
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 60, (16, 16, 3), dtype=np.uint8)).save(folder / "ok8.png")
    Image.fromarray(rng.integers(0, 60, (16, 16, 3), dtype=np.uint8)).save(folder / "ok8b.png")
    rows = zlib.compress(_sixteen_bit_rows(16, 16))
    (folder / "ok16.png").write_bytes(_png(16, 16, 16, rows))
    # Every row in a first IDAT chunk (ended by a full flush), then a damaged trailing one: Pillow stops once it has
    # every row and reads the image; pypng decompresses the whole stream and raises zlib.error.
    stream = zlib.compressobj()
    whole = stream.compress(_sixteen_bit_rows(16, 16)) + stream.flush(zlib.Z_FULL_FLUSH)
    (folder / "corrupt-idat16.png").write_bytes(_png(16, 16, 16, whole, [(b"IDAT", b"\xff" * 16)]))
    sbit = _png(16, 16, 16, rows)
    (folder / "sbit16.png").write_bytes(sbit[:33] + _png_chunk(b"sBIT", bytes([12, 12, 12])) + sbit[33:])
    (folder / "bomb.png").write_bytes(_png(100_000, 100_000, 8, zlib.compress(b"\0" * 301)))
    (folder / "bomb16.png").write_bytes(_png(100_000, 100_000, 16, zlib.compress(b"\0" * 601)))
    (folder / "bad-crc.png").write_bytes(_png(16, 16, 16, rows)[:29] + b"\0\0\0\0"
                                         + _png(16, 16, 16, rows)[33:])
    (folder / "no-idat-data.png").write_bytes(_png(16, 16, 8, b""))
    ok = (folder / "ok8.png").read_bytes()
    (folder / "truncated.png").write_bytes(ok[: len(ok) // 2])
    (folder / "empty.png").write_bytes(b"")
    (folder / "text.png").write_text("not an image\n")
    (folder / "folder.png").mkdir()
    Image.new("LAB", (16, 16), (40, 140, 110)).save(folder / "lab.tif")
    Image.new("CMYK", (16, 16), (10, 20, 30, 200)).save(folder / "cmyk.jpg")
    Image.fromarray(np.full((16, 16), 5.0, np.float32), mode="F").save(folder / "float-range.tif")
    Image.fromarray(np.full((16, 16), 0.2, np.float32), mode="F").save(folder / "float-ok.tif")
    Image.fromarray(np.full((16, 16), 10 ** 6, np.int32), mode="I").save(folder / "int32-range.tif")
    Image.fromarray(rng.integers(0, 60, (2, 2, 3), dtype=np.uint8)).save(folder / "tiny2.png")
    unicode = folder / "ünï cødé"
    unicode.mkdir()
    Image.fromarray(rng.integers(0, 60, (16, 16, 3), dtype=np.uint8)).save(unicode / "lów líght.png")
    batch = folder / "batch"
    batch.mkdir()
    for name in ("a.png", "c.png"):
        (batch / name).write_bytes(ok)
    (batch / "b.png").write_bytes((folder / "corrupt-idat16.png").read_bytes())
    os.symlink(folder / "loop.png", folder / "loop.png")
    os.mkfifo(folder / "fifo.png")


def _pairs(root: Path, name: str, low: bytes, high: bytes, split: str = "eval15") -> Path:
    for side, data in (("low", low), ("high", high)):
        (root / name / split / side).mkdir(parents=True, exist_ok=True)
        (root / name / split / side / "a.png").write_bytes(data)
    return root / name


def _data(folder: Path, images: Path) -> None:
    ok = (images / "ok8.png").read_bytes()
    rng = np.random.default_rng(2)
    small = folder / "small6.png"
    Image.fromarray(rng.integers(0, 60, (6, 6, 3), dtype=np.uint8)).save(small)
    _pairs(folder, "lol-corrupt16", (images / "corrupt-idat16.png").read_bytes(), (images / "ok16.png").read_bytes())
    _pairs(folder, "lol-small", small.read_bytes(), small.read_bytes())
    _pairs(folder, "lol-unequal", ok, small.read_bytes())
    _pairs(folder, "lol-bomb", (images / "bomb.png").read_bytes(), ok)
    _pairs(folder, "lol-text", ok, b"not an image")
    for split in ("our485", "eval15"):
        _pairs(folder, "lol-train-corrupt16", (images / "corrupt-idat16.png").read_bytes(),
               (images / "ok16.png").read_bytes(), split)
    (folder / "lol-unpaired" / "eval15" / "low").mkdir(parents=True)
    (folder / "lol-unpaired" / "eval15" / "high").mkdir(parents=True)
    (folder / "lol-unpaired" / "eval15" / "low" / "a.png").write_bytes(ok)
    (folder / "lol-empty" / "eval15" / "low").mkdir(parents=True)
    (folder / "lol-empty" / "eval15" / "high").mkdir(parents=True)
    (folder / "a-file").write_text("not a folder\n")


def _checkpoint(folder: Path, name: str, run: dict, step: int = 1, weights: str = "good.pth",
                state: bytes = b"", record=None) -> None:
    """A ``jcrnet train`` checkpoint folder ``name`` with the given record (``record`` replaces it whole)."""
    out = folder / name
    out.mkdir()
    suffix = ".pth" if run.get("framework") == "torch" else ".ckpt"
    stem = out / f"step_{step:06d}"
    source = folder.parent / "weights" / (weights if suffix == ".pth" else "good.ckpt")
    Path(str(stem) + suffix).write_bytes(source.read_bytes())
    Path(str(stem) + ".state" + suffix).write_bytes(state or b"not an optimiser state")
    text = record if isinstance(record, str) else json.dumps(record if record is not None else
                                                             {"step": step, "loss": 0.1, "run": run})
    stem.with_suffix(".json").write_text(text)


RUN = {"framework": "torch", "preset": "published", "data": "synthetic", "seed": 0, "batch": 2, "patch": 32,
       "lr": 2e-4, "warmup_steps": 0, "steps": 3}


def _resumes(folder: Path) -> None:
    marker = folder.parent / MARKER
    evil = folder / "evil.pth"
    torch.save({"x": Evil(marker)}, evil)
    _checkpoint(folder, "evil-weights", RUN, weights="../resume/evil.pth")
    _checkpoint(folder, "evil-state", RUN, state=evil.read_bytes())
    _checkpoint(folder, "no-lr", {k: v for k, v in RUN.items() if k != "lr"})
    _checkpoint(folder, "lr-text", dict(RUN, lr="fast"))
    _checkpoint(folder, "lr-nan", RUN, record='{"step": 1, "run": ' + json.dumps(RUN).replace("0.0002", "NaN") + "}")
    _checkpoint(folder, "bad-framework", dict(RUN, framework="tensorflow"))
    _checkpoint(folder, "steps-negative", dict(RUN, steps=-5))
    _checkpoint(folder, "step-past-end", RUN, record={"step": 9, "run": RUN})
    _checkpoint(folder, "not-json", RUN, record="{not json")
    _checkpoint(folder, "list-record", RUN, record=[1, 2, 3])
    _checkpoint(folder, "huge-batch", dict(RUN, batch=10 ** 12))
    _checkpoint(folder, "ms-schedule", dict(RUN, framework="mindspore", steps=200_000_000))


def build(root: Path) -> Dict[str, Path]:
    """Make the corpus under ``root``: folders ``weights``, ``images``, ``data``, ``resume``, and the malicious
    pickles (which would create ``root/MARKER``)."""
    folders = {name: root / name for name in ("weights", "images", "data", "resume")}
    for folder in folders.values():
        folder.mkdir(parents=True)
    _weights(folders["weights"])
    marker = root / MARKER
    torch.save({"tail.weight": Evil(marker)}, folders["weights"] / "evil.pth")
    with open(folders["weights"] / "evil-legacy.pth", "wb") as f:
        pickle.dump({"tail.weight": Evil(marker)}, f, protocol=2)
    _images(folders["images"])
    _data(folders["data"], folders["images"])
    _resumes(folders["resume"])
    return folders

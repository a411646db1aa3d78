"""Reference files: the torch side of a verification (``verification.Reference``) in one ``.safetensors`` file, so a
machine with MindSpore but no torch (the usual Ascend set-up) can verify the port against torch's numbers.

``jcrnet verify --save-reference REF`` writes it where torch runs; ``jcrnet verify --reference REF`` reads it with
NumPy only (``safetensors.numpy``; nothing is unpickled) and runs the MindSpore side against it with the same budgets.
The file holds the input, both whole-model outputs in fp32 and fp64, every spec layer's output inside the model (fp32
and its fp32 - fp64 error), every layer's per-layer check (inputs, outputs, input and parameter gradients, running
statistics in fp32 and fp64), the whole-model gradients and the training-parity trajectories with their batches.
Scales are computed on the full tensors before any sampling; ``sample`` keeps at most that many elements of each
large tensor (a seeded choice of indices stored beside it), which is how the shipped reference stays small. The
weights are not stored: the file records a digest of them, and verification refuses other weights.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple

import numpy as np

from jcrnet_kit.errors import KitError
from jcrnet_kit.parity.gradients import GradientReference
from jcrnet_kit.parity.in_model import InModelReference
from jcrnet_kit.parity.per_layer import LayerReference, Quantity
from jcrnet_kit.parity.store import ArrayStore
from jcrnet_kit.parity.trajectories import Trajectory
from jcrnet_kit.parity.verification import Case, Reference

FORMAT = "jcrnet-reference/1"


def weights_digest(state: Mapping[str, np.ndarray]) -> str:
    """SHA-256 over the float32 bytes of a torch-named state in key order: which weights a reference belongs to."""
    digest = hashlib.sha256()
    for key in sorted(state):
        digest.update(key.encode())
        digest.update(np.ascontiguousarray(np.asarray(state[key], np.float32)).tobytes())
    return digest.hexdigest()


class _Sampler:
    """Keeps at most ``cap`` elements of a flat array: a seeded choice of indices per key, re-drawn when the file is
    read (so they need not be stored)."""

    def __init__(self, cap: Optional[int]):
        self.cap = cap

    def index(self, key: str, size: int) -> Optional[np.ndarray]:
        if self.cap is None or size <= self.cap:
            return None
        seed = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little")
        return np.sort(np.random.default_rng(seed).choice(size, self.cap, replace=False))


class _Writer:
    """The tensors of a reference file, as they are added: flat samples, fp64 values as their fp32 error (t - f,
    whose few significant digits are all a comparison needs), layer inputs stored once per distinct content."""

    def __init__(self, sampler: _Sampler):
        self.sampler, self.tensors, self._blobs = sampler, {}, {}

    def put(self, key: str, array: np.ndarray, sample_key: Optional[str] = None) -> None:
        array = np.asarray(array)
        index = self.sampler.index(sample_key, array.size) if sample_key else None
        self.tensors[key] = np.ascontiguousarray(array if index is None else array.reshape(-1)[index])

    def pair(self, key: str, t: np.ndarray, f: np.ndarray, sample_key: Optional[str]) -> None:
        """fp32 value ``t`` and fp64 value ``f`` as ``<key>.t`` and ``<key>.e`` (= t - f, float32)."""
        t64 = np.asarray(t, np.float64)
        with np.errstate(invalid="ignore", over="ignore"):
            error = (t64 - np.asarray(f, np.float64)).astype(np.float32)
        self.put(f"{key}.t", np.asarray(t, np.float32), sample_key)
        self.put(f"{key}.e", error, sample_key)

    def blob(self, array: np.ndarray) -> str:
        array = np.ascontiguousarray(array)
        name = "blob." + hashlib.sha256(array.tobytes() + str((array.dtype, array.shape)).encode()).hexdigest()[:24]
        self.tensors.setdefault(name, array)
        return name


def _pair(tensors: Mapping[str, np.ndarray], key: str) -> Tuple[np.ndarray, np.ndarray]:
    """(fp32 value, fp64 value) stored by ``_Writer.pair``."""
    t = tensors[f"{key}.t"]
    return t, t.astype(np.float64) - tensors[f"{key}.e"].astype(np.float64)


def _index(meta: dict, sample_key: str, size: int) -> Optional[np.ndarray]:
    return _Sampler(meta.get("sample")).index(sample_key, size)


def save(path: Path, case: Case, ref: Reference, sample: Optional[int] = None, force: bool = False) -> int:
    """Write ``ref`` (the torch side of ``case``) to ``path`` atomically; returns the file's size in bytes."""
    from safetensors.numpy import save

    from convert.atomic import atomic_output

    w = _Writer(_Sampler(sample))
    meta = {"format": FORMAT, "preset": case.arch.preset.name, "weights_digest": weights_digest(case.state),
            "weights": case.weights_text, "input": case.input_text, "training_steps": case.training_steps,
            "seed": case.seed, "sample": sample, "outputs": len(ref.outputs32), "parts": list(case.parts),
            "crop": list(case.crop)}
    w.put("x", case.x)
    for i, (t, f) in enumerate(zip(ref.outputs32, ref.outputs64)):
        w.put(f"outputs.{i}.t", t)
        w.put(f"outputs.{i}.f", f)
    if ref.in_model is not None:
        meta["in_model"] = ref.in_model.meta()
        for layer in ref.in_model.order:
            t = ref.in_model.store.get(f"{layer}.t")
            w.put(f"in_model.{layer}.t", t, f"in_model.{layer}")
            w.put(f"in_model.{layer}.e", ref.in_model.store.get(f"{layer}.e"), f"in_model.{layer}")
    meta["layers"] = []
    for j, layer in enumerate(ref.layers):
        entry = {"path": layer.path, "train": layer.train, "inputs": [w.blob(x) for x in layer.inputs],
                 "quantities": {}}
        for name, q in layer.quantities.items():
            w.pair(f"layer.{j}.{name}", q.torch32, q.fp64, f"layer.{j}.{name}")
            entry["quantities"][name] = {"scale": q.scale, "shape": list(q.shape), "sensitivity": q.sensitivity,
                                         "size": int(q.torch32.size)}
        meta["layers"].append(entry)
    meta["gradients"] = {}
    for mode, g in ref.gradients.items():
        meta["gradients"][mode] = {"train": g.train, "loss32": g.loss32, "loss64": g.loss64,
                                   "sensitivity": g.sensitivity, "scales": {k: g.scale_of(k) for k in g.grads64},
                                   "sizes": {k: int(v.size) for k, v in g.grads64.items()}}
        for name in g.grads32:
            w.pair(f"grad.{mode}.{name}", g.grads32[name].reshape(-1), g.grads64[name].reshape(-1), f"grad.{name}")
    for k, (x, y) in enumerate(ref.batches):
        w.put(f"batch.{k}.x", x)
        w.put(f"batch.{k}.y", y)
    meta["trajectories"] = {}
    for mode, (fp32, fp64) in ref.trajectories.items():
        meta["trajectories"][mode] = {"losses": [fp32.losses, fp64.losses],
                                      "sizes": {k: int(v.size) for k, v in fp32.weights.items()},
                                      "spread": ref.spreads.get(mode)}
        for name in fp32.weights:
            w.pair(f"train.{mode}.weights.{name}", fp32.weights[name].reshape(-1), fp64.weights[name].reshape(-1),
                   f"train.{name}")
        for name in fp32.running:
            w.pair(f"train.{mode}.running.{name}", fp32.running[name], fp64.running[name], None)
    with atomic_output(Path(path), force) as tmp:
        tmp.write_bytes(save(w.tensors, metadata={"jcrnet": json.dumps(meta)}))
    return Path(path).stat().st_size


def load(path: Path) -> Tuple[dict, Dict[str, np.ndarray]]:
    """(metadata, arrays) of a reference file; ``KitError`` naming the file if it is not one."""
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    if not path.is_file():
        raise KitError(f"{path}: no such reference file")
    try:
        with safe_open(str(path), framework="numpy") as f:
            meta = json.loads((f.metadata() or {}).get("jcrnet", "{}"))
            tensors = {key: f.get_tensor(key) for key in f.keys()}
    except (SafetensorError, ValueError, OSError) as error:
        raise KitError(f"{path}: not a readable reference file ({error})") from None
    if meta.get("format") != FORMAT:
        raise KitError(f"{path}: not a jcrnet reference file (format {meta.get('format')!r}, expected {FORMAT!r})")
    return meta, tensors


def reference_of(meta: dict, tensors: Mapping[str, np.ndarray]) -> Reference:
    """The ``Reference`` a loaded file holds (sampled quantities with their indices)."""
    ref = Reference(tuple(tensors[f"outputs.{i}.t"] for i in range(meta["outputs"])),
                    tuple(tensors[f"outputs.{i}.f"] for i in range(meta["outputs"])))
    if "in_model" in meta:
        store = ArrayStore()
        for layer in meta["in_model"]["order"]:
            store.put(f"{layer}.t", tensors[f"in_model.{layer}.t"])
            store.put(f"{layer}.e", tensors[f"in_model.{layer}.e"])
            size = sum(int(np.prod(shape)) for shape in meta["in_model"]["shapes"][layer])
            index = _index(meta, f"in_model.{layer}", size)
            if index is not None:
                store.put(f"{layer}.idx", index)
        ref.in_model = InModelReference.from_meta(meta["in_model"], store)
    for j, entry in enumerate(meta["layers"]):
        quantities = {}
        for name, q in entry["quantities"].items():
            t, f = _pair(tensors, f"layer.{j}.{name}")
            quantities[name] = Quantity(t, f, q["scale"], tuple(q["shape"]),
                                        _index(meta, f"layer.{j}.{name}", q["size"]), q["sensitivity"])
        ref.layers.append(LayerReference(entry["path"], entry["train"], tuple(tensors[b] for b in entry["inputs"]),
                                         quantities))
    for mode, g in meta["gradients"].items():
        pairs = {name: _pair(tensors, f"grad.{mode}.{name}") for name in g["sizes"]}
        index = {name: i for name, size in g["sizes"].items()
                 if (i := _index(meta, f"grad.{name}", size)) is not None}
        grads32, grads64 = ({n: p[r] for n, p in pairs.items()} for r in (0, 1))
        ref.gradients[mode] = GradientReference(g["train"], g["loss32"], g["loss64"], grads32, grads64,
                                                g["sensitivity"], index, g["scales"])
    count = len({k.split(".")[1] for k in tensors if k.startswith("batch.")})
    ref.batches = [(tensors[f"batch.{k}.x"], tensors[f"batch.{k}.y"]) for k in range(count)]
    for mode, t in meta["trajectories"].items():
        weights = {name: _pair(tensors, f"train.{mode}.weights.{name}") for name in t["sizes"]}
        running_names = {k[len(f"train.{mode}.running."):-2] for k in tensors
                         if k.startswith(f"train.{mode}.running.") and k.endswith(".t")}
        running = {name: _pair(tensors, f"train.{mode}.running.{name}") for name in running_names}
        index = {name: i for name, size in t["sizes"].items() if (i := _index(meta, f"train.{name}", size)) is not None}
        runs = tuple(Trajectory(list(t["losses"][r]), {n: p[r] for n, p in weights.items()},
                                {n: p[r] for n, p in running.items()}, index) for r in (0, 1))
        ref.trajectories[mode] = runs
        if t.get("spread"):
            ref.spreads[mode] = {str(k): float(v) for k, v in t["spread"].items()}
    return ref


def check_case(meta: dict, case_state: Mapping[str, np.ndarray], where: Path) -> None:
    """Refuse weights other than those the reference was made with."""
    if weights_digest(case_state) != meta["weights_digest"]:
        raise KitError(f"{where}: was made with other weights ({meta.get('weights')}); pass those with --weights")


def layer_paths(meta: dict) -> List[str]:
    return [entry["path"] for entry in meta.get("layers", [])]

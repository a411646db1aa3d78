"""The torch <-> MindSpore name map of a preset, derived from the spec's parameter rules (``jcrnet_spec.param_table``),
in the weight-map format of MindSpore TroubleShooter (``troubleshooter.migrator.convert_weight``).

TroubleShooter 1.0.18 reads a weight map with ``json.load`` and unpacks a two-item list: a name map
``{torch state_dict key: MindSpore parameter name}`` and a value map ``{torch key: "dotted.function"}`` (``{}``: no
value changes; ``null`` makes ``convert_weight`` fail). ``convert_weight`` raises ``ValueError`` unless the name map's
keys are exactly the source dict's keys, then saves every source tensor under its mapped name.

The map says what the kit's converter does (``jcrnet_spec.naming.torch_to_mindspore``):

- every trainable parameter and BatchNorm running statistic: its torch key -> its MindSpore name (``weight`` ->
  ``gamma``, PReLU ``weight`` -> ``w``, ...);
- a shared PReLU slope: its first torch path -> the MindSpore name under its last path; the other torch paths hold
  copies of the same tensor and have no entry (MindSpore stores a shared parameter once);
- ``num_batches_tracked`` (torch only): no entry;
- InstanceNorm ``moving_mean`` / ``moving_variance`` (MindSpore only, never used for the output): no torch key exists,
  so the entry is keyed by the MindSpore name itself; its source tensor is the spec's fill (zeros / ones).

So the source ``convert_weight`` needs is the torch state dict without the keys that have no entry, plus the
MindSpore-only statistics: ``troubleshooter_source`` builds it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Dict, List, Mapping, Tuple

import numpy as np

from jcrnet_spec import architecture, param_table
from jcrnet_spec.layers import MINDSPORE_ONLY_STAT, TORCH_ONLY_COUNTER


@dataclass(frozen=True)
class NameMap:
    """A preset's name map, with the torch keys that have no entry and the entries that have no torch key."""

    preset: str
    names: Dict[str, str]  # source key -> MindSpore name, in the spec's order
    torch_only: Tuple[str, ...]  # num_batches_tracked: no MindSpore counterpart
    shared_copies: Tuple[Tuple[str, str], ...]  # (torch key, the torch key whose tensor MindSpore keeps)
    mindspore_only: Dict[str, float]  # MindSpore name -> the spec's fill value

    def troubleshooter_json(self) -> str:
        """The two-item list TroubleShooter's ``convert_weight`` loads: ``[name map, {}]``."""
        return json.dumps([self.names, {}], indent=1) + "\n"

    def summary(self) -> List[str]:
        counter = len(self.torch_only)
        return [
            f"{len(self.names)} entries: {len(self.names) - len(self.mindspore_only)} torch keys -> MindSpore names, "
            f"{len(self.mindspore_only)} MindSpore-only InstanceNorm statistics keyed by their own name (add them to "
            f"the source: zeros for moving_mean, ones for moving_variance)",
            f"{counter + len(self.shared_copies)} torch keys have no entry (drop them from the source: convert_weight "
            f"requires the map's keys exactly): {counter} num_batches_tracked (no MindSpore counterpart), "
            f"{len(self.shared_copies)} copies of shared PReLU slopes (MindSpore stores each once, read from the first "
            f"path)",
        ]


def name_map(preset: str) -> NameMap:
    """The name map of ``preset``, from the spec's rule table."""
    names: Dict[str, str] = {}
    torch_only: List[str] = []
    copies: List[Tuple[str, str]] = []
    mindspore_only: Dict[str, float] = {}
    for entry in param_table(architecture(preset)):
        if entry.role == TORCH_ONLY_COUNTER:
            torch_only.extend(entry.torch_keys)
        elif entry.role == MINDSPORE_ONLY_STAT:
            names[entry.mindspore_key] = entry.mindspore_key
            mindspore_only[entry.mindspore_key] = entry.rule.fill
        else:
            first, *others = entry.torch_keys
            names[first] = entry.mindspore_key
            copies.extend((other, first) for other in others)
    return NameMap(preset, names, tuple(torch_only), tuple(copies), mindspore_only)


def troubleshooter_source(mapping: NameMap, state: Mapping[str, np.ndarray]) -> Dict[str, np.ndarray]:
    """The source dict ``convert_weight`` accepts with ``mapping``: the torch state without the keys that have no entry,
    plus each MindSpore-only statistic at its fill (in the dtype of its layer's weight). Raises ``KeyError`` naming a
    missing torch key, ``ValueError`` where a shared slope's copies differ."""
    diverged = [f"{key} != {kept}" for key, kept in mapping.shared_copies
                if not np.array_equal(np.asarray(state[key]), np.asarray(state[kept]))]
    if diverged:
        raise ValueError("shared parameters differ between their copies: " + "; ".join(diverged))
    source = {}
    for key in mapping.names:
        if key in mapping.mindspore_only:
            like = np.asarray(state[key.rsplit(".", 1)[0] + ".weight"])
            source[key] = np.full(like.shape, mapping.mindspore_only[key], like.dtype)
        else:
            source[key] = np.asarray(state[key])
    return source

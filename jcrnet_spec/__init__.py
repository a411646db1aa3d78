"""The framework-free spec of JCRNet: module tree, presets, dataflow facts and parameter naming.

Neither torch nor MindSpore is imported here; both implementations, the converters, the tests and the docs read
the architecture from this package.
"""

from jcrnet_spec.architecture import (
    DEFAULT_PRESET, OUTPUTS, PRESETS, SHARED_GROUPS, UNUSED_MODULES, Architecture, Block, Preset, SharedGroup,
    architecture, preset_differences,
)
from jcrnet_spec.assemble import assemble, assemble_at
from jcrnet_spec.errors import UnknownChoiceError, UserError
from jcrnet_spec.inputs import validate_input_shape
from jcrnet_spec.layers import LEAF_KINDS, PARAM_RULES, Leaf, ParamRule
from jcrnet_spec.naming import (
    NAMINGS, KeyMismatchError, LayoutMatch, LocalName, ParamEntry, check_keys, compare_keys, layout_keys,
    local_names, match_layouts, mindspore_keys, mindspore_to_torch, param_table, torch_keys, torch_state_at,
    torch_to_mindspore, torch_to_mindspore_at,
)
from jcrnet_spec.weights import seeded_weights

__all__ = [
    "DEFAULT_PRESET", "LEAF_KINDS", "NAMINGS", "OUTPUTS", "PARAM_RULES", "PRESETS", "SHARED_GROUPS",
    "UNUSED_MODULES", "Architecture", "Block", "KeyMismatchError", "LayoutMatch", "Leaf",
    "LocalName", "ParamEntry", "ParamRule", "Preset", "SharedGroup", "UnknownChoiceError", "UserError",
    "architecture", "assemble", "assemble_at", "check_keys", "compare_keys", "layout_keys", "local_names",
    "match_layouts", "mindspore_keys", "mindspore_to_torch", "param_table", "preset_differences", "seeded_weights",
    "torch_keys", "torch_state_at", "torch_to_mindspore", "torch_to_mindspore_at", "validate_input_shape",
]

"""How a mutant patches code for the length of a block: every change registers its undo on an ``ExitStack``."""

from __future__ import annotations

import contextlib
import sys
from typing import Callable


def patch(stack: contextlib.ExitStack, owner, name: str, value) -> None:
    """Set ``owner.name`` (or ``owner[name]`` for a dict) to ``value`` until the stack closes."""
    if isinstance(owner, dict):
        old = owner[name]
        owner[name] = value
        stack.callback(owner.__setitem__, name, old)
    elif isinstance(owner, type) and name not in owner.__dict__:  # inherited: remove the override afterwards
        setattr(owner, name, value)
        stack.callback(delattr, owner, name)
    else:
        old = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
        setattr(owner, name, value)
        stack.callback(setattr, owner, name, old)


def patch_everywhere(stack: contextlib.ExitStack, original, replacement) -> None:
    """Replace every module-level reference to ``original`` (``from x import f`` copies included)."""
    for module in list(sys.modules.values()):
        for name, value in list(getattr(module, "__dict__", {}).items()):
            if value is original:
                patch(stack, module, name, replacement)


def patch_leaf(stack, kind: str, factory) -> None:
    from mindspore_impl import layers

    patch(stack, layers.LEAF_FACTORIES, kind, factory)


def patch_construct(stack, cls, construct) -> None:
    patch(stack, cls, "construct", construct)


def patch_after_init(stack, cls, extra: Callable) -> None:
    original = cls.__init__

    def __init__(self, node, children):
        original(self, node, children)
        extra(self)

    patch(stack, cls, "__init__", __init__)


def patch_conversion(stack, transform: Callable[[str, str, object], object]) -> None:
    """Wrap both torch -> MindSpore converters (whole model, one layer) so that ``transform(kind, mindspore leaf name,
    array)`` rewrites each converted array."""
    import jcrnet_spec.naming as naming

    whole, local = naming.torch_to_mindspore, naming.torch_to_mindspore_at

    def torch_to_mindspore(state, arch):
        out = whole(state, arch)
        for entry in naming.param_table(arch):
            if entry.mindspore_key is not None:
                out[entry.mindspore_key] = transform(entry.kind, entry.rule.mindspore, out[entry.mindspore_key])
        return out

    def torch_to_mindspore_at(state, arch, path):
        out = local(state, arch, path)
        for n in naming.local_names(arch, path):
            if n.mindspore is not None:
                out[n.mindspore] = transform(n.kind, n.rule.mindspore, out[n.mindspore])
        return out

    patch_everywhere(stack, whole, torch_to_mindspore)
    patch_everywhere(stack, local, torch_to_mindspore_at)

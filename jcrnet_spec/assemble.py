"""One builder for both frameworks: walks the spec tree and asks the framework for each leaf and block."""

from __future__ import annotations

from typing import Callable, Dict, List, Tuple, TypeVar

from jcrnet_spec.architecture import Architecture, Block
from jcrnet_spec.layers import Leaf

M = TypeVar("M")


def _builder(
    arch: Architecture,
    make_leaf: Callable[[Leaf], M],
    make_block: Callable[[Block, List[Tuple[str, M]]], M],
) -> Callable[[object, str], M]:
    shared: Dict[str, M] = {}

    def build(node, path: str) -> M:
        group = arch.shared_group_of(path)
        if group is not None and group.name in shared:
            return shared[group.name]
        if isinstance(node, Block):
            module = make_block(node, [(name, build(child, f"{path}.{name}" if path else name))
                                       for name, child in node.children])
        else:
            module = make_leaf(node)
        if group is not None:
            shared[group.name] = module
        return module

    return build


def assemble(
    arch: Architecture,
    make_leaf: Callable[[Leaf], M],
    make_block: Callable[[Block, List[Tuple[str, M]]], M],
) -> M:
    """Build one model instance of ``arch``.

    Children are built before their parent and handed to ``make_block`` in attribute order. A shared layer is
    built once per call and handed to every path of its group, so two models never share a parameter.
    """
    return _builder(arch, make_leaf, make_block)(arch.root, "")


def assemble_at(
    arch: Architecture,
    path: str,
    make_leaf: Callable[[Leaf], M],
    make_block: Callable[[Block, List[Tuple[str, M]]], M],
) -> M:
    """Build the module at ``path`` of ``arch`` alone (a block with its subtree, or one leaf), as ``assemble`` would
    build it inside the whole model; its parameter names are relative to ``path``."""
    return _builder(arch, make_leaf, make_block)(arch.node(path), path)

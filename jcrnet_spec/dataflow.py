"""How each module is called: how many tensors it takes and returns, which modules are called at all, and which
ones compute differently in training. The single table the per-layer tests and ``jcrnet verify`` read."""

from __future__ import annotations

from typing import Dict, Iterator, Tuple

from jcrnet_spec.architecture import Architecture, Block, Node
from jcrnet_spec.layers import Leaf

#: Block kinds whose call is not one tensor in, one tensor out: kind -> (inputs, outputs).
BLOCK_IO: Dict[str, Tuple[int, int]] = {
    "Encoder": (1, 2),  # (bottom features, pre-downsample skip)
    "UNetUpBlock": (2, 1),  # (x, bridge)
    "Decoder": (2, 1),  # (bottom features, skip)
    "SAM": (2, 2),  # (features, x_img) -> (features, stage image)
    "SFTLayer": (2, 1),  # (x, condition)
    "ResBlockSFT": (2, 1),  # (x, condition)
    "JCRNet": (1, 2),  # img -> (enhanced, stage1)
}
#: UNetConvBlock returns (downsampled, skip) when it has a ``downsample`` child.
DOWNSAMPLE_CHILD = "downsample"
#: Kinds that are containers, never called themselves.
NOT_CALLED_KINDS = ("List",)
#: Leaf kinds that are parameters or constants held by their parent, never called.
HELD_KINDS = ("StepSize",)
#: Leaf kinds whose output or state differs between eval and train mode (batch statistics, running updates).
TRAIN_MODE_KINDS = ("BatchNorm2d",)


def io_arity(node: Node) -> Tuple[int, int]:
    """(number of input tensors, number of output tensors) of one call of ``node``."""
    if isinstance(node, Block):
        if node.kind == "UNetConvBlock" and any(name == DOWNSAMPLE_CHILD for name, _ in node.children):
            return 1, 2
        return BLOCK_IO.get(node.kind, (1, 1))
    return 1, 1


def is_called(node: Node) -> bool:
    """Whether ``node`` is a module that is called with tensors (not a container list or a held parameter)."""
    return node.kind not in (NOT_CALLED_KINDS if isinstance(node, Block) else HELD_KINDS)


def layers(arch: Architecture, used_only: bool = True) -> Iterator[Tuple[str, Node]]:
    """Every called module (blocks and leaves) with its path, in attribute order; by default only those the
    forward pass reaches (``arch.unused_modules`` are left out)."""
    return ((path, node) for path, node in arch.walk()
            if is_called(node) and (arch.is_used(path) or not used_only))


def subtree_kinds(node: Node) -> Tuple[str, ...]:
    """The kinds of ``node`` and of everything below it."""
    if isinstance(node, Leaf):
        return (node.kind,)
    return (node.kind, *(kind for _, child in node.children for kind in subtree_kinds(child)))


def depends_on_mode(node: Node) -> bool:
    """Whether ``node`` computes differently in train mode than in eval mode."""
    return any(kind in TRAIN_MODE_KINDS for kind in subtree_kinds(node))


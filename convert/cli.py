"""``jcrnet convert SRC DST``: the command line over ``convert.convert``.

Registered by the ``jcrnet`` CLI through ``add_parser(subparsers)``; ``python -m convert SRC DST`` runs it alone.
Every failure is one line on stderr (``jcrnet convert: error: ...``) and a non-zero exit: 2 for a conversion that
cannot be done, 1 when ``--verify`` finds different numbers. Nothing is written in either case.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import List, Optional

PROG = "jcrnet convert"
HELP = "convert weights between .pth/.pt, .ckpt and .safetensors, or export .onnx"
DESCRIPTION = (
    "Convert JCRNet weights between PyTorch (.pth/.pt), MindSpore (.ckpt) and .safetensors, or export an ONNX "
    "model (.onnx), strictly: every key must match the spec's layout of the preset. The formats follow from the "
    "extensions."
)


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("src", type=Path, metavar="SRC", help="weights to read: .pth, .pt, .ckpt or .safetensors")
    parser.add_argument("dst", type=Path, metavar="DST", help="file to write: .pth, .pt, .ckpt, .safetensors or .onnx")
    parser.add_argument("--preset", choices=["auto", "published", "torch-defaults"], default="auto",
                        help="preset the source must hold (default: auto, detected from its keys and metadata)")
    parser.add_argument("--dtype", choices=["float32", "float16", "bfloat16"], default=None,
                        help="cast floating tensors (default: keep each tensor's dtype)")
    parser.add_argument("--naming", choices=["auto", "torch", "mindspore"], default="auto",
                        help="key naming of a .safetensors destination (default: the source's)")
    parser.add_argument("--onnx-from", choices=["auto", "torch", "mindspore"], default="auto",
                        help="implementation that exports an .onnx destination (default: the source's framework)")
    from jcrnet_kit.parity.tolerances import CONVERTED_WEIGHTS, NARROWED_WEIGHTS, ONNX_EXPORT

    parser.add_argument("--verify", action="store_true",
                        help=f"before keeping the result, check every converted tensor bit for bit against the source "
                             f"(cast by torch with --dtype), then run the float32 source and the converted weights on "
                             f"a seeded input: max |diff| 0 in one framework, {CONVERTED_WEIGHTS.atol:g} across "
                             f"frameworks, {NARROWED_WEIGHTS.value:g} x eps(dtype) x output scale when --dtype "
                             f"rounded values, {ONNX_EXPORT.atol:g} for ONNX (run in onnxruntime)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing DST")
    parser.add_argument("--allow-nonfinite", action="store_true",
                        help="convert tensors that hold NaN or Inf instead of refusing them")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``convert`` on the ``jcrnet`` CLI's subparsers; ``func`` takes the Namespace, returns the exit code."""
    parser = subparsers.add_parser("convert", help=HELP, description=DESCRIPTION)
    configure_parser(parser)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("GLOG_v", "3")  # MindSpore's C++ log: errors only, unless the user set a level
    from convert.core import convert
    from convert.errors import ConversionError

    try:
        report = convert(args.src, args.dst, preset=args.preset, dtype=args.dtype, naming=args.naming,
                         onnx_from=args.onnx_from, verify=args.verify, force=args.force,
                         allow_nonfinite=args.allow_nonfinite)
    except ConversionError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return error.exit_code
    for line in report.lines():
        print(f"{PROG}: {line}")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """``python -m convert``: as ``jcrnet convert``, Ctrl-C (130) and SIGTERM (143) included."""
    from convert.atomic import Terminated, signals_raise

    parser = argparse.ArgumentParser(prog=PROG, description=DESCRIPTION)
    configure_parser(parser)
    args = parser.parse_args(argv)
    try:
        with signals_raise():
            return run(args)
    except (KeyboardInterrupt, Terminated) as stop:
        print(f"{PROG}: {'interrupted' if isinstance(stop, KeyboardInterrupt) else 'terminated'}", file=sys.stderr)
        return 130 if isinstance(stop, KeyboardInterrupt) else 143

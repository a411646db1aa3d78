"""The ``jcrnet`` command. Each subcommand lives in its own module with ``add_parser(subparsers)`` that registers
it and sets ``func`` (Namespace -> exit code); frameworks are imported when a command runs, not at start-up."""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import List, Optional

from jcrnet_kit import __version__
from jcrnet_kit.errors import KitError
from jcrnet_spec import KeyMismatchError

COMMAND_MODULES = (
    "jcrnet_kit.verify",
    "convert.cli",
    "jcrnet_kit.bench",
    "jcrnet_kit.mutants",
    "jcrnet_kit.train",
    "jcrnet_kit.apimap",
    "jcrnet_kit.enhance",
    "jcrnet_kit.evaluate",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jcrnet", description="JCRNet PyTorch <-> MindSpore porting kit")
    parser.add_argument("--version", action="version", version=f"jcrnet-port {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_parser(subparsers)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (KitError, KeyMismatchError, ValueError, OSError) as error:
        message = " ".join(str(error).split())
        print(f"jcrnet {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

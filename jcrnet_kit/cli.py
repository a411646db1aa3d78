"""The ``jcrnet`` command. Each subcommand is one module of ``jcrnet_kit.commands`` (``convert``: ``convert.cli``);
frameworks are imported when a command runs, not at start-up.

A user error (``jcrnet_spec.UserError``: a bad file, flag or image) is printed as one line and the command exits with
its ``exit_code`` (2, or 1 for a failed verification); Ctrl-C exits 130 with one line; anything else is a bug in the
kit and keeps its traceback (exit 1).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import List, Optional

from jcrnet_kit import __version__
from jcrnet_kit.commands import COMMAND_MODULES
from jcrnet_spec.errors import UserError, render


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
    except UserError as error:
        print(render(f"jcrnet {args.command}", error), file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print(f"jcrnet {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

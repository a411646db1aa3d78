"""The ``jcrnet`` command. Each subcommand is one module of ``jcrnet_kit.commands`` (``convert``: ``convert.cli``);
frameworks are imported when a command runs, not at start-up.

A user error (``jcrnet_spec.UserError``: a bad file, flag or image) is printed as one line and the command exits with
its ``exit_code`` (2, or 1 for a failed verification); a bad flag is one line too (``OneLineParser``, exit 2); Ctrl-C
exits 130 and SIGTERM 143, each with one line, after every temporary file is removed; anything else is a bug in the
kit and keeps its traceback (exit 1).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import List, Optional

from jcrnet_kit import __version__
from jcrnet_kit.commands import COMMAND_MODULES
from jcrnet_spec.errors import UserError, one_line, render


class OneLineParser(argparse.ArgumentParser):
    """argparse with its error as one line naming the flag (the usage is one ``--help`` away); subcommand parsers
    inherit it."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {one_line(message)} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="jcrnet", description="JCRNet PyTorch <-> MindSpore porting kit")
    parser.add_argument("--version", action="version", version=f"jcrnet-port {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_parser(subparsers)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    from convert.atomic import Terminated, signals_raise

    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # a bad flag, already printed in one line; --help and --version exit as they do
        if not done.code:
            raise
        return done.code if isinstance(done.code, int) else 2
    try:
        with signals_raise():
            return int(args.func(args) or 0)
    except UserError as error:
        print(render(f"jcrnet {args.command}", error), file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print(f"jcrnet {args.command}: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print(f"jcrnet {args.command}: terminated", file=sys.stderr)
        return 143


if __name__ == "__main__":
    sys.exit(main())

"""``jcrnet api-map``: print or write docs/API_MAPPING.md; ``--check`` fails when a generated page is stale."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from jcrnet_kit.errors import KitError


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("api-map", help="print the PyTorch -> MindSpore API map (docs/API_MAPPING.md)")
    p.add_argument("--out", type=Path, default=None, help="write it here instead of printing it")
    p.add_argument("--check", action="store_true",
                   help="exit 1 if docs/API_MAPPING.md or the generated parts of docs/PORTING_GUIDE.md are stale")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from jcrnet_kit.docs.api_map import render, stale_pages
    from jcrnet_kit.docs.introspect import default_mismatches

    problems = default_mismatches()
    if problems:
        raise KitError("the API map disagrees with the installed libraries: " + "; ".join(problems))
    if args.check:
        stale = stale_pages()
        for page in stale:
            print(f"stale: {page} (run `make docs`)")
        if not stale:
            print("docs/API_MAPPING.md and docs/PORTING_GUIDE.md are current")
        return 1 if stale else 0
    text = render()
    if args.out is None:
        sys.stdout.write(text)
    else:
        from convert.atomic import write_text

        write_text(args.out, text)
        print(f"wrote {args.out}")
    return 0

"""``jcrnet compare A B``: two weight files, any format and naming, compared tensor by tensor through the spec
(``convert.compare``). Exit 0 when they match, 1 when they differ, 2 for a file that is not readable JCRNet weights."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path


def add_parser(subparsers) -> None:
    from jcrnet_kit.parity.tolerances import COMPARE_WEIGHTS

    p = subparsers.add_parser(
        "compare", help="compare two weight files tensor by tensor (any format and naming)",
        description="Compare two JCRNet weight files (.pth/.pt, .ckpt, .safetensors in either naming) tensor by "
                    "tensor, paired through the spec's parameter table: shape, dtype, max and mean |diff|, cosine, "
                    "fraction within --atol; missing, unexpected and other-preset tensors by name. Exit 0 when they "
                    "match, 1 when they differ.")
    p.add_argument("a", type=Path, metavar="A", help="first weights file")
    p.add_argument("b", type=Path, metavar="B", help="second weights file")
    p.add_argument("--atol", type=float, default=COMPARE_WEIGHTS.atol, metavar="X",
                   help=f"largest |difference| still equal (default {COMPARE_WEIGHTS.atol:g}: bit-identical after "
                        f"widening to float64)")
    p.add_argument("--all", action="store_true", help="print every tensor, not only those that differ")
    p.add_argument("--json", type=Path, default=None, metavar="OUT", help="write every tensor's figures as JSON")
    p.add_argument("--force", action="store_true", help="overwrite an existing --json file")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("GLOG_v", "3")  # MindSpore's C++ log: errors only, unless the user set a level
    from convert.atomic import write_text
    from convert.compare import compare_files, lines
    from jcrnet_kit.gates import check_output_file

    check_output_file(args.json, "--json", args.force)
    result = compare_files(args.a, args.b, args.atol)
    for line in lines(result, every_row=args.all):
        print(line)
    if args.json is not None:
        write_text(args.json, json.dumps(result.as_dict(), indent=1, allow_nan=False) + "\n", force=args.force)
    return 0 if result.matched else 1

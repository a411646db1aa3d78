"""``jcrnet where PATH``: one layer or parameter, from a spec path or a key of either naming: its spec entry, the code
that builds it in each framework, its keys, budgets and parity tests (``jcrnet_kit.docs.where``)."""

from __future__ import annotations

import argparse

from jcrnet_spec import PRESETS


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "where", help="find a layer or parameter: spec entry, code, keys, budgets, tests",
        description="Everything the kit knows about one layer or parameter. PATH is a spec path "
                    "(illum.sft.sft0.SFT_shift_conv1) or a key in torch naming (lbp.conv2.conv_Encoder.act.weight) or "
                    "MindSpore naming (lbp.conv2.conv_Encoder.act.w).")
    p.add_argument("path", metavar="PATH", help="a spec path, or a torch or MindSpore key")
    p.add_argument("--preset", choices=sorted(PRESETS), default=None, help="only this preset (default: every preset "
                                                                           "that has PATH)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from jcrnet_kit.docs.where import describe, lookup

    answers = lookup(args.path, (args.preset,) if args.preset else tuple(PRESETS))
    for i, answer in enumerate(answers):
        if i:
            print()
        print("\n".join(describe(answer)))
    return 0

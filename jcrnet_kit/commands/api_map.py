"""``jcrnet api-map``: print or write docs/API_MAPPING.md; ``--check`` fails when a generated page is stale;
``--claims`` runs the map's executable claims (``--flip``: against the texts they corrected)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from jcrnet_kit.errors import KitError


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("api-map", help="print the PyTorch -> MindSpore API map (docs/API_MAPPING.md)")
    p.add_argument("--out", type=Path, default=None, help="write it here instead of printing it")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    p.add_argument("--check", action="store_true",
                   help="exit 1 if docs/API_MAPPING.md or the generated parts of docs/PORTING_GUIDE.md are stale")
    p.add_argument("--claims", nargs="?", const="", default=None, metavar="TEXT",
                   help="run the map's executable claims (those whose name contains TEXT) in both libraries and print "
                        "what each measured; exit 1 if one fails")
    p.add_argument("--flip", action="store_true",
                   help="with --claims: run each claim that has one against the earlier text it corrected; every one "
                        "must fail")
    p.set_defaults(func=run)


def run_claims(text: str, flip: bool) -> int:
    import mindspore_impl
    from jcrnet_kit.docs.claims import CLAIMS, run as run_claim

    mindspore_impl.configure()
    chosen = [c for c in CLAIMS.values() if text in c.slug and (c.flip or not flip)]
    if not chosen:
        raise KitError(f"--claims {text!r}: no claim's name contains it" + (" (with --flip: none that can be flipped)"
                                                                           if flip else ""))
    failed = 0
    for item in chosen:
        outcome = run_claim(item, flip)
        failed += not outcome.passed
        status = ("fails as it must" if outcome.passed else "DID NOT FAIL") if flip else \
            ("holds" if outcome.passed else "FAILS")
        shown = outcome.error if (flip or not outcome.passed) else str(outcome.measured)
        print(f"{item.slug:52s} {status:16s} {outcome.seconds:6.2f} s  {shown[:400]}")
    print(f"{len(chosen) - failed} of {len(chosen)} claims " + ("fail when flipped" if flip else "hold"))
    return 1 if failed else 0


def run(args: argparse.Namespace) -> int:
    from jcrnet_kit.docs.api_map import render, stale_pages
    from jcrnet_kit.docs.introspect import default_mismatches

    if args.out is not None:
        from jcrnet_kit.gates import check_output_file

        check_output_file(args.out, "--out", args.force)
    if args.claims is not None:
        return run_claims(args.claims, args.flip)
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

        write_text(args.out, text, force=args.force)
        print(f"wrote {args.out}")
    return 0

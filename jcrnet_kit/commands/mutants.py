"""``jcrnet mutants``: the parity tests against the catalogue of porting bugs; exit 1 if one survives."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from jcrnet_kit.errors import KitError
from jcrnet_kit.mutants.catalogue import CATALOGUE
from jcrnet_kit.mutants.runner import SUITE, run_catalogue, suite_tests


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("mutants", help="run the parity tests against a catalogue of porting bugs")
    p.add_argument("--json", type=Path, default=None, help="write the results here")
    p.add_argument("--only", default=None, help="comma-separated mutant names (default: all)")
    p.add_argument("--jobs", type=int, default=2, help="mutants run at once (default 2)")
    p.add_argument("--list", action="store_true", help="list the catalogue and exit")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.list:
        for mutant in CATALOGUE.values():
            print(f"{mutant.name:<34} {mutant.bug}")
        return 0
    names = list(CATALOGUE) if not args.only else [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in CATALOGUE]
    if unknown:
        raise KitError(f"unknown mutant(s) {', '.join(unknown)}; see jcrnet mutants --list")
    print(f"jcrnet mutants: {len(names)} porting bugs, each against {len(suite_tests())} tests "
          f"({'; '.join(s.split('/')[-1] for s in SUITE)}), {args.jobs} at a time")
    baseline, results = run_catalogue(names, args.jobs)
    if baseline["failed"]:
        raise KitError(f"the unmutated suite fails ({', '.join(baseline['failed'][:3])}); fix that first")
    print(f"unmutated suite passes ({baseline['seconds']} s)")
    rows = []
    for name in names:
        caught_by = results[name]["failed"]
        rows.append({"name": name, "bug": CATALOGUE[name].bug, "caught": bool(caught_by), "caught_by": caught_by,
                     "seconds": results[name]["seconds"]})
        first = caught_by[0] if caught_by else "SURVIVED"
        more = f" (+{len(caught_by) - 1} more)" if len(caught_by) > 1 else ""
        print(f"{'caught  ' if caught_by else 'SURVIVED'} {name:<34} {first}{more}")
    caught = sum(row["caught"] for row in rows)
    print(f"{caught}/{len(rows)} mutants caught")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        from convert.atomic import write_text

        write_text(args.json, json.dumps({"total": len(rows), "caught": caught, "suite": list(SUITE),
                                         "mutants": rows}, indent=2))
        print(f"wrote {args.json}")
    return 0 if caught == len(rows) else 1
